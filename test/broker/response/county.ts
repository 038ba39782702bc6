// One small county for the response chain's end-to-end tests: elevators of 菜园镇 with their parties,
// each reached through a local outside service (simulators/notify/receivers.ts) — the maintenance
// unit's and the property's WeCom robots, the steward's DingTalk robot (signed), the township's DingTalk group for the
// grid worker and the officer, and the 96333 desk's signed webhook — plus a shortened escalation policy.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import type { Receivers } from '../../../simulators/notify/receivers.ts'
import { TEST_ADMIN } from '../../helpers/accounts.ts'
import { startBrokerApp, type BrokerRun } from '../../helpers/broker-app.ts'

export const REGION = '330922'
export const TOWNSHIP = '330922100'
export const VILLAGE = '330922100001'
/** the receivers' endpoint ids, one per party group */
export const ROBOT = { maintenance: 'wecom-maint', property: 'wecom-property', steward: 'ding-steward', township: 'ding-township', desk: 'hook-desk' } as const

export const elevator = (id: string, n: number, gatewayId: string) => ({
  id, registrationCode: id, rescueCode: `3300${n}`, region: REGION, address: `嵊泗县菜园镇测试路 ${n} 号`, building: `${n}号楼 1单元`,
  landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId,
  township: TOWNSHIP, village: VILLAGE, maintenance: 'zs-lift', property: 'wy-test',
})

/** parties.yaml for `ids`, its endpoints registered on `recv` (started). */
export function partiesFor(recv: Receivers, ids: readonly string[]): Record<string, unknown> {
  const maint = recv.add('wecom', ROBOT.maintenance)
  const property = recv.add('wecom', ROBOT.property)
  const steward = recv.add('dingtalk', ROBOT.steward, 'SEC-steward-7f3a')
  const town = recv.add('dingtalk', ROBOT.township, 'SEC-township-91c2')
  const desk = recv.add('webhook', ROBOT.desk, 'SEC-desk-44d0')
  return {
    organisations: [
      { id: 'zs-lift', kind: 'maintenance', name: '舟山电梯维保', dutyPhone: '0580-5081234', channels: [{ kind: 'wecom', ref: maint.id }] },
      { id: 'wy-test', kind: 'property', name: '测试路物业', channels: [{ kind: 'wecom', ref: property.id }] },
      { id: 'caiyuan', kind: 'township', name: '菜园镇政府', township: TOWNSHIP, channels: [{ kind: 'dingtalk', ref: town.id }] },
      { id: 'desk-96333', kind: 'desk', name: '96333 平台', dutyPhone: '96333', channels: [{ kind: 'webhook', ref: desk.id }] },
    ],
    people: [
      { id: 'p-wang', name: '王师傅', phone: '13800000001', role: 'maintenance', org: 'zs-lift', channels: [] },
      { id: 'p-chen', name: '陈楼道长', phone: '13800000003', role: 'steward', region: VILLAGE, channels: [{ kind: 'dingtalk', ref: steward.id }] },
      { id: 'p-zhou', name: '周网格员', phone: '13800000004', role: 'grid', region: VILLAGE, channels: [{ kind: 'dingtalk', ref: town.id }] },
    ],
    endpoints: [
      { id: maint.id, kind: 'wecom', url: maint.url },
      { id: property.id, kind: 'wecom', url: property.url },
      { id: steward.id, kind: 'dingtalk', url: steward.url, secret: steward.secret },
      { id: town.id, kind: 'dingtalk', url: town.url, secret: town.secret },
      { id: desk.id, kind: 'webhook', url: desk.url, secret: desk.secret },
    ],
    elevators: ids.map((elevatorId) => ({ elevatorId, maintenance: 'zs-lift', property: 'wy-test', steward: 'p-chen', grid: 'p-zhou', village: VILLAGE, township: TOWNSHIP })),
  }
}

/** The default chain with the waits shortened: level 2 after `level2Min`, arrival due after `arrivalMin`, no reminders. */
export function writePolicies(dir: string, level2Min: number, arrivalMin: number): string {
  const file = join(dir, 'policies.yaml')
  writeFileSync(file, stringify({
    policies: [{
      name: 'test', severities: ['critical'], responseLimitMin: level2Min, arrivalLimitMin: arrivalMin, reminderEveryMin: 0,
      steps: [
        { id: 'at_once', after: 0, roles: ['maintenance', 'property', 'steward', 'desk'] },
        { id: 'level2', after: level2Min, unless: 'responded', roles: ['grid', 'township'], dispatch: true },
        { id: 'level3', after: 'arrival_limit', unless: 'arrived', roles: ['police', 'bureau'] },
      ],
    }],
  }))
  return file
}

/** The responder link in a message's text. */
export const linkIn = (text: string): string | undefined => /https?:\/\/[^\s)]+\/r\/[A-Za-z0-9_.~-]+/.exec(text)?.[0]

/**
 * A broker in this process for `ids` with their parties on `recv` (started), and an API token of
 * the test admin (for the commands that speak the API: liftwatch drill, report, labels).
 */
export async function startCountyBroker(recv: Receivers, ids: readonly string[], name: string): Promise<{ broker: BrokerRun; dir: string; token: string }> {
  const dir = mkdtempSync(join(tmpdir(), `lw-${name}-`))
  writeFileSync(join(dir, 'parties.yaml'), stringify(partiesFor(recv, ids)))
  const broker = await startBrokerApp({
    mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } } },
    registry: { elevators: ids.map((id, i) => elevator(id, i + 1, 'gw-1')) },
    parties: { path: join(dir, 'parties.yaml') },
    alarms: { path: join(dir, 'alarms.db') },
  }, join(dir, 'broker.yaml'))
  const accounts = broker.broker.accounts!
  return { broker, dir, token: accounts.createToken(accounts.user(TEST_ADMIN.username)!.id, name) }
}
