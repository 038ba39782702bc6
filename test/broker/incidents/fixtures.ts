// A small county for the incident service tests: two cars in 菜园镇, one on a ferry island, their
// parties with group robots, SMS and a webhook, and a service over a real SQLite file in virtual time.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { parseParties } from '../../../broker/parties/directory.ts'
import { parseRegistry } from '../../../broker/registry/registry.ts'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { IncidentService, type IncidentServiceOptions } from '../../../broker/incidents/service.ts'
import { Outbox } from '../../../broker/notify/outbox.ts'
import { DEFAULT_POLICY, type PolicySet } from '../../../response/index.ts'
import type { Principal } from '../../../broker/accounts/scope.ts'
import type { Db } from '../../../core/sqlite.ts'

export const T0 = 1_767_225_600_000 // 2026-01-01T00:00:00Z, 08:00 in the county
export const MIN = 60_000
export const CAIYUAN = '330922100'
export const ISLAND = '330922203'
export const LIFT1 = '31103309222024010001'
export const LIFT2 = '31103309222024010002'
export const LIFT_ISLAND = '31103309222024030001'

const lift = (id: string, rescueCode: string, township: string, village: string, address: string, building: string) => ({
  id, registrationCode: id, rescueCode, region: '330922', address, building, landings: 12, ratedSpeed: 1, gatewayId: 'gw-1',
  township, village, maintenance: 'zs-lift', property: township === ISLAND ? 'wy-island' : 'wy-shahe',
})

export const registry = () => parseRegistry({
  elevators: [
    lift(LIFT1, '33001', CAIYUAN, '330922100001', '嵊泗县菜园镇沙河路 18 号', '1号楼 1单元'),
    lift(LIFT2, '33002', CAIYUAN, '330922100001', '嵊泗县菜园镇沙河路 18 号', '1号楼 2单元'),
    lift(LIFT_ISLAND, '33003', ISLAND, '330922203001', '嵊泗县黄龙乡峙岙村 5 号', '综合楼'),
  ],
})

const sms = [{ kind: 'sms', ref: 'sms-main' }]
export const parties = () => parseParties({
  organisations: [
    { id: 'zs-lift', kind: 'maintenance', name: '舟山电梯维保', dutyPhone: '0580-5081234', channels: [{ kind: 'wecom', ref: 'wecom-lift' }] },
    { id: 'wy-shahe', kind: 'property', name: '沙河路物业', channels: [{ kind: 'wecom', ref: 'wecom-shahe' }] },
    { id: 'wy-island', kind: 'property', name: '峙岙村委会' },
    { id: 'caiyuan-office', kind: 'township', name: '菜园镇政府', township: CAIYUAN, channels: [{ kind: 'dingtalk', ref: 'ding-caiyuan' }] },
    { id: 'desk-96333', kind: 'desk', name: '96333 平台', dutyPhone: '96333', channels: [{ kind: 'webhook', ref: 'hook-desk' }] },
    { id: 'amr', kind: 'bureau', name: '县市场监管局', channels: [{ kind: 'webhook', ref: 'hook-amr' }] },
  ],
  people: [
    { id: 'p-wang', name: '王师傅', phone: '13800000001', role: 'maintenance', org: 'zs-lift', channels: [...sms, { kind: 'wecom', ref: 'wecom-lift' }] },
    { id: 'p-zhao', name: '赵师傅', phone: '13800000011', role: 'maintenance', org: 'zs-lift', channels: [{ kind: 'wecom', ref: 'wecom-lift' }] },
    { id: 'p-li', name: '李安全员', phone: '13800000002', role: 'property', org: 'wy-shahe', channels: sms },
    { id: 'p-chen', name: '陈楼道长', phone: '13800000003', role: 'steward', region: '330922100001', channels: sms },
    { id: 'p-zhou', name: '周网格员', phone: '13800000004', role: 'grid', region: '330922100001', channels: [{ kind: 'dingtalk', ref: 'ding-caiyuan' }] },
    { id: 'p-xu', name: '徐干部', phone: '13800000005', role: 'township', org: 'caiyuan-office', region: CAIYUAN, channels: [{ kind: 'dingtalk', ref: 'ding-caiyuan' }] },
    { id: 'p-hai', name: '海岛救援员', phone: '13800000007', role: 'rescuer', region: ISLAND, channels: sms },
    { id: 'p-dong', name: '董网格员', phone: '13800000008', role: 'grid', region: '330922203001', channels: [] },
  ],
  endpoints: [
    { id: 'wecom-lift', kind: 'wecom', url: 'https://robot.example/send?key=LIFT' },
    { id: 'wecom-shahe', kind: 'wecom', url: 'https://robot.example/send?key=SHAHE' },
    { id: 'ding-caiyuan', kind: 'dingtalk', url: 'https://robot.example/robot/send?access_token=C' },
    { id: 'hook-desk', kind: 'webhook', url: 'https://desk.example/hook' },
    { id: 'hook-amr', kind: 'webhook', url: 'https://amr.example/hook' },
    { id: 'sms-main', kind: 'sms', template: 'SMS_1', signName: '嵊泗电梯', keyId: 'LTAI-test', secret: 'k' },
  ],
  elevators: [
    { elevatorId: LIFT1, maintenance: 'zs-lift', property: 'wy-shahe', steward: 'p-chen', grid: 'p-zhou', village: '330922100001', township: CAIYUAN },
    { elevatorId: LIFT2, maintenance: 'zs-lift', property: 'wy-shahe', steward: 'p-chen', grid: 'p-zhou', village: '330922100001', township: CAIYUAN },
    { elevatorId: LIFT_ISLAND, maintenance: 'zs-lift', property: 'wy-island', grid: 'p-dong', village: '330922203001', township: ISLAND },
  ],
})

/** The default chain, with the ferry island's 90-minute arrival limit and its trained rescuer told at once. */
export const POLICIES: PolicySet = { policies: [{ ...DEFAULT_POLICY, townships: { [ISLAND]: { arrivalLimitMin: 90, atOnce: ['rescuer'] } } }] }

export const principal = (scope: Principal['scope'], role: Principal['role'] = 'desk'): Principal =>
  ({ userId: 1, username: 'u', name: 'u', role, scope, via: 'session' })
export const COUNTY = principal({ region: '330922' })

/** Virtual time starting at T0: scheduler.now() is the absolute time in ms. */
export function clock(): VirtualTimeScheduler {
  const s = new VirtualTimeScheduler(VirtualAction, Infinity)
  s.frame = T0
  return s
}

/** Runs every action due up to `at` (absolute ms), then stands at `at`; later ones stay queued. */
export function runUntil(s: VirtualTimeScheduler, at: number): void {
  s.maxFrames = at
  try {
    s.flush()
  } finally {
    s.maxFrames = Infinity
  }
  s.frame = Math.max(s.frame, at)
}

export const tempDb = (): string => join(mkdtempSync(join(tmpdir(), 'lw-incidents-')), 'response.db')

export interface Rig { service: IncidentService; outbox: Outbox; db: Db; kicks: number }

export function rig(file: string, s: VirtualTimeScheduler, over: Partial<IncidentServiceOptions> = {}): Rig {
  const db = openResponseDb(file)
  const outbox = new Outbox(db)
  const r: Rig = { db, outbox, kicks: 0, service: undefined as unknown as IncidentService }
  const reg = registry()
  const dir = parties()
  r.service = new IncidentService({
    db, registry: reg, parties: () => dir, policies: POLICIES, scheduler: s, log: pino({ level: 'silent' }), outbox,
    kick: () => { r.kicks++ }, linkBase: 'https://lw.example', carAt: () => '3', ...over,
  })
  r.service.start()
  return r
}
