// The HTTP app (broker/http/app.ts build) over a real incident service on a temp SQLite file in
// virtual time (test/broker/incidents/fixtures.ts: three cars of 嵊泗县 and their parties), the
// broker's LiveView over the same registry, and real accounts in memory. Its log lines go into memory.
import type { FastifyInstance } from 'fastify'
import type { VirtualTimeScheduler } from 'rxjs'
import { AlarmStore } from '../../../broker/alarms/store.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { build } from '../../../broker/http/app.ts'
import { LiveView } from '../../../broker/live-view.ts'
import type { IncidentService } from '../../../broker/incidents/service.ts'
import type { PartyRole } from '../../../response/index.ts'
import { memoryAccounts, type TestUser } from '../../helpers/accounts.ts'
import { memoryLog, type LogLine } from '../../helpers/memory-log.ts'
import { clock, registry, rig, tempDb } from '../incidents/fixtures.ts'
import { METRICS_TEXT } from './fixtures.ts'

export { CAIYUAN, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, MIN, T0, runUntil } from '../incidents/fixtures.ts'

export const DESK: TestUser = { username: 'desk', name: '值班员 王五', role: 'desk', scope: { region: '330922' }, password: 'desk-pw-3kLm9' }
export const TOWN_A: TestUser = { username: 'town-a', name: '菜园镇 李四', role: 'township', scope: { region: '330922100' }, password: 'town-pw-8sQ2x' }
export const TOWN_B: TestUser = { username: 'town-b', name: '黄龙乡 赵六', role: 'township', scope: { region: '330922203' }, password: 'town-pw-9tR3y' }
export const MAINT: TestUser = { username: 'maint', name: '舟山维保 张三', role: 'maintenance', scope: { org: 'zs-lift' }, password: 'maint-pw-5vB7n' }
export const PROPERTY: TestUser = { username: 'prop', name: '沙河路物业 钱七', role: 'property', scope: { org: 'wy-shahe' }, password: 'prop-pw-6wC8m' }
export const USERS = [DESK, TOWN_A, TOWN_B, MAINT, PROPERTY]

export interface IncidentApp {
  app: FastifyInstance
  service: IncidentService
  scheduler: VirtualTimeScheduler
  accounts: AccountStore
  lines: LogLine[]
  /** the token of a responder link for the party, expiring at `expiresAt` (default 24 h on) */
  token(incidentId: string, party?: { id: string; name: string; role: PartyRole }, expiresAt?: number): string
  close(): Promise<void>
}

export const WANG = { id: 'p-wang', name: '王师傅', role: 'maintenance' as const }

export async function incidentApp(users: TestUser[] = USERS): Promise<IncidentApp> {
  const scheduler = clock()
  const r = rig(tempDb(), scheduler)
  const alarms = new AlarmStore(':memory:')
  alarms.start()
  const view = new LiveView(registry(), alarms, async () => METRICS_TEXT, () => ({ ok: true, checks: {} }), undefined, () => scheduler.now())
  const accounts = await memoryAccounts(users)
  const { log, lines } = memoryLog('broker')
  const app = build({ view, accounts, log, incidents: r.service, incidentsNow: () => scheduler.now() })
  await app.ready()
  return {
    app, service: r.service, scheduler, accounts, lines,
    token: (incidentId, party = WANG, expiresAt = scheduler.now() + 24 * 3_600_000) =>
      r.service.linkFor(incidentId, party, expiresAt).split('/r/')[1]!,
    async close() {
      await app.close()
      r.service.stop()
      r.db.close()
      view.stop()
      alarms.stop()
      accounts.stop()
    },
  }
}
