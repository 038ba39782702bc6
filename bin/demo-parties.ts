// The demo's parties directory (docs/import.md): for the 20 cars of bin/demo-files.ts, the two
// maintenance units, the property companies, a steward per building, a grid worker per village,
// the two township offices with an officer each, the 96333 desk and the county bureau. Phone
// numbers are made up; the endpoints are the demo's local receivers (bin/demo-notify.ts): a WeCom
// robot per maintenance unit, a signed DingTalk robot per township's group (its grid workers and
// officer), the desk's signed webhook and one SMS account for everyone else.
import type { FleetOptions } from '../simulators/fleet.ts'
import { demoRegistry, MAINTENANCE_ORGS, REGION, TOWNSHIPS } from './demo-files.ts'

/** Where one endpoint is, as the receivers gave it (simulators/notify/receivers.ts add). */
export interface DemoEndpoint { readonly url: string; readonly secret?: string; readonly keyId?: string }

export interface DemoEndpoints {
  /** by maintenance unit id */
  readonly wecom: Readonly<Record<string, DemoEndpoint>>
  /** by township code */
  readonly dingtalk: Readonly<Record<string, DemoEndpoint>>
  readonly desk: DemoEndpoint
  readonly sms: DemoEndpoint
}

export const endpointIds = {
  wecom: (org: string) => `wecom-${org}`,
  dingtalk: (township: string) => `dingtalk-${township}`,
  desk: 'webhook-96333',
  sms: 'demo-sms',
} as const

/** Endpoints that lead nowhere: the directory's shape without receivers (tests of the file alone). */
export function nowhereEndpoints(): DemoEndpoints {
  const at = (path: string) => ({ url: `http://127.0.0.1:9/${path}` })
  return {
    wecom: Object.fromEntries(MAINTENANCE_ORGS.map((o) => [o, at(`wecom/${o}`)])),
    dingtalk: Object.fromEntries(TOWNSHIPS.map((t) => [t.code, { ...at(`dingtalk/${t.code}`), secret: 'demo-dingtalk-secret' }])),
    desk: { ...at('hook/96333'), secret: 'demo-webhook-secret' },
    sms: { ...at('sms/demo-sms/'), keyId: 'demo-key-id', secret: 'demo-sms-secret' },
  }
}

const phone = (n: number) => `138000${String(n).padStart(5, '0')}`
const sms = [{ kind: 'sms', ref: endpointIds.sms }]
const dingtalk = (township: string) => [{ kind: 'dingtalk', ref: endpointIds.dingtalk(township) }]
/** The technician of maintenance unit k: the demo's simulated one reads this mobile (bin/demo-technician.ts). */
export const technicianPhone = (k: number): string => phone(100 + k)
const secretOf = (e: DemoEndpoint) => (e.secret !== undefined ? { secret: e.secret } : {})

/** undefined for a region other than the demo's: its cars have no townships to answer for them. */
export function demoParties(fleet: FleetOptions, ep: DemoEndpoints = nowhereEndpoints()): Record<string, unknown[]> | undefined {
  if (fleet.region !== REGION) return undefined
  const cars = demoRegistry(fleet).elevators as { id: string; township: string; village: string; maintenance: string; property: string; building: string }[]
  const properties = [...new Set(cars.map((c) => c.property))]
  const villages = TOWNSHIPS.flatMap((t) => t.villages.map((v) => ({ v, t: t.code })))
  const building = (i: number) => Math.floor(i / 2) + 1
  return {
    organisations: [
      ...MAINTENANCE_ORGS.map((id, k) => ({ id, kind: 'maintenance', name: ['舟山某电梯维保有限公司', '嵊泗某电梯工程有限公司'][k], dutyPhone: `0580-50812${30 + k}`, channels: [{ kind: 'wecom', ref: endpointIds.wecom(id) }] })),
      ...properties.map((id, k) => ({ id, kind: 'property', name: `第${k + 1}物业服务中心` })),
      ...TOWNSHIPS.map((t) => ({ id: `township-${t.code}`, kind: 'township', name: `${t.name}人民政府`, township: t.code, channels: dingtalk(t.code) })),
      { id: 'desk-96333', kind: 'desk', name: '嵊泗县 96333 电梯应急处置服务平台', dutyPhone: '96333', channels: [{ kind: 'webhook', ref: endpointIds.desk }] },
      { id: 'ss-amr', kind: 'bureau', name: '嵊泗县市场监督管理局' },
    ],
    people: [
      ...MAINTENANCE_ORGS.map((org, k) => ({ id: `tech-${k + 1}`, name: `维保技师${k + 1}`, phone: technicianPhone(k), role: 'maintenance', org, channels: sms })),
      ...properties.map((org, k) => ({ id: `safety-${k + 1}`, name: `安全管理员${k + 1}`, phone: phone(200 + k), role: 'property', org, channels: sms })),
      ...cars.filter((_, i) => i % 2 === 0).map((c, k) => ({ id: `steward-${building(2 * k)}`, name: `楼道长${building(2 * k)}`, phone: phone(300 + k), role: 'steward', region: c.village, channels: sms })),
      ...villages.map(({ v, t }, k) => ({ id: `grid-${v}`, name: `网格员${k + 1}`, phone: phone(400 + k), role: 'grid', region: v, channels: dingtalk(t) })),
      ...TOWNSHIPS.map((t, k) => ({ id: `officer-${t.code}`, name: `${t.name}干部`, phone: phone(500 + k), role: 'township', org: `township-${t.code}`, region: t.code, channels: dingtalk(t.code) })),
      // the desk is reached through its platform's webhook; the duty seat answers the phone
      { id: 'desk-duty', name: '96333 值班坐席', phone: phone(600), role: 'desk', org: 'desk-96333', channels: [] },
    ],
    endpoints: [
      ...MAINTENANCE_ORGS.map((id) => ({ id: endpointIds.wecom(id), kind: 'wecom', url: ep.wecom[id]!.url })),
      ...TOWNSHIPS.map((t) => ({ id: endpointIds.dingtalk(t.code), kind: 'dingtalk', url: ep.dingtalk[t.code]!.url, ...secretOf(ep.dingtalk[t.code]!) })),
      { id: endpointIds.desk, kind: 'webhook', url: ep.desk.url, ...secretOf(ep.desk) },
      { id: endpointIds.sms, kind: 'sms', url: ep.sms.url, template: 'SMS_DEMO_TRAPPED', templates: { hazard: 'SMS_DEMO_HAZARD', complaint: 'SMS_DEMO_REPORT', inspection: 'SMS_DEMO_INSPECTION', patrol: 'SMS_DEMO_PATROL' }, signName: '嵊泗电梯演示', keyId: ep.sms.keyId ?? 'demo-key-id', ...secretOf(ep.sms) },
    ],
    elevators: cars.map((c, i) => ({
      elevatorId: c.id, maintenance: c.maintenance, property: c.property,
      steward: `steward-${building(i)}`, grid: `grid-${c.village}`, village: c.village, township: c.township,
    })),
  }
}
