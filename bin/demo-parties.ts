// The demo's parties directory (docs/import.md): for the 20 cars of bin/demo-files.ts, the two
// maintenance units, the property companies, a steward per building, a grid worker per village,
// the two township offices with an officer each, the 96333 desk and the county bureau. Phone
// numbers are made up; the endpoints lead nowhere until the notification channels exist.
import type { FleetOptions } from '../simulators/fleet.ts'
import { demoRegistry, MAINTENANCE_ORGS, REGION, TOWNSHIPS } from './demo-files.ts'

const phone = (n: number) => `138000${String(n).padStart(5, '0')}`
const sms = [{ kind: 'sms', ref: 'demo-sms' }]

/** undefined for a region other than the demo's: its cars have no townships to answer for them. */
export function demoParties(fleet: FleetOptions): Record<string, unknown[]> | undefined {
  if (fleet.region !== REGION) return undefined
  const cars = demoRegistry(fleet).elevators as { id: string; township: string; village: string; maintenance: string; property: string; building: string }[]
  const properties = [...new Set(cars.map((c) => c.property))]
  const villages = TOWNSHIPS.flatMap((t) => t.villages)
  const building = (i: number) => Math.floor(i / 2) + 1
  return {
    organisations: [
      ...MAINTENANCE_ORGS.map((id, k) => ({ id, kind: 'maintenance', name: ['舟山某电梯维保有限公司', '嵊泗某电梯工程有限公司'][k], dutyPhone: `0580-50812${30 + k}`, channels: [{ kind: 'wecom', ref: `wecom-${id}` }] })),
      ...properties.map((id, k) => ({ id, kind: 'property', name: `第${k + 1}物业服务中心` })),
      ...TOWNSHIPS.map((t) => ({ id: `township-${t.code}`, kind: 'township', name: `${t.name}人民政府`, township: t.code })),
      { id: 'desk-96333', kind: 'desk', name: '嵊泗县 96333 电梯应急处置服务平台', dutyPhone: '96333' },
      { id: 'ss-amr', kind: 'bureau', name: '嵊泗县市场监督管理局' },
    ],
    people: [
      ...MAINTENANCE_ORGS.map((org, k) => ({ id: `tech-${k + 1}`, name: `维保技师${k + 1}`, phone: phone(100 + k), role: 'maintenance', org, channels: sms })),
      ...properties.map((org, k) => ({ id: `safety-${k + 1}`, name: `安全管理员${k + 1}`, phone: phone(200 + k), role: 'property', org, channels: sms })),
      ...cars.filter((_, i) => i % 2 === 0).map((c, k) => ({ id: `steward-${building(2 * k)}`, name: `楼道长${building(2 * k)}`, phone: phone(300 + k), role: 'steward', region: c.village, channels: sms })),
      ...villages.map((v, k) => ({ id: `grid-${v}`, name: `网格员${k + 1}`, phone: phone(400 + k), role: 'grid', region: v, channels: sms })),
      ...TOWNSHIPS.map((t, k) => ({ id: `officer-${t.code}`, name: `${t.name}干部`, phone: phone(500 + k), role: 'township', org: `township-${t.code}`, region: t.code, channels: sms })),
      { id: 'desk-duty', name: '96333 值班坐席', phone: phone(600), role: 'desk', org: 'desk-96333', channels: sms },
    ],
    endpoints: [
      ...MAINTENANCE_ORGS.map((id) => ({ id: `wecom-${id}`, kind: 'wecom', url: `http://127.0.0.1:9/demo-wecom/${id}` })),
      { id: 'demo-sms', kind: 'sms', template: 'SMS_DEMO', signName: '嵊泗电梯演示', keyId: 'demo-key-id', secret: 'demo-sms-secret' },
    ],
    elevators: cars.map((c, i) => ({
      elevatorId: c.id, maintenance: c.maintenance, property: c.property,
      steward: `steward-${building(i)}`, grid: `grid-${c.village}`, village: c.village, township: c.township,
    })),
  }
}

