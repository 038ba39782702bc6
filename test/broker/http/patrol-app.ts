// The HTTP app (broker/http/app.ts build) with the patrol routes over the real patrol service and
// hazard register (test/broker/records/patrol-fixture.ts) in virtual time, real accounts in memory,
// and the log in memory (its lines are read for tokens).
import type { FastifyInstance } from 'fastify'
import type { VirtualTimeScheduler } from 'rxjs'
import { AlarmStore } from '../../../broker/alarms/store.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { build } from '../../../broker/http/app.ts'
import { registerPatrolRoutes, type PatrolRouteOptions } from '../../../broker/http/patrol-routes.ts'
import { LiveView } from '../../../broker/live-view.ts'
import { memoryAccounts, type TestUser } from '../../helpers/accounts.ts'
import { memoryLog, type LogLine } from '../../helpers/memory-log.ts'
import { clock, registry } from '../incidents/fixtures.ts'
import { patrolRig, tempDir, type PatrolRig } from '../records/patrol-fixture.ts'
import { METRICS_TEXT } from './fixtures.ts'

export const GRID: TestUser = { username: 'grid-zhou', name: '周网格员', role: 'grid', scope: { region: '330922100001' }, password: 'grid-pw-4hJ8k' }
export const TOWN_A: TestUser = { username: 'town-a', name: '菜园镇 李四', role: 'township', scope: { region: '330922100' }, password: 'town-pw-8sQ2x' }
export const TOWN_B: TestUser = { username: 'town-b', name: '黄龙乡 赵六', role: 'township', scope: { region: '330922203' }, password: 'town-pw-9tR3y' }
export const MAINT: TestUser = { username: 'maint', name: '舟山维保 张三', role: 'maintenance', scope: { org: 'zs-lift' }, password: 'maint-pw-5vB7n' }
export const USERS = [GRID, TOWN_A, TOWN_B, MAINT]

export interface PatrolApp { app: FastifyInstance; rig: PatrolRig; scheduler: VirtualTimeScheduler; accounts: AccountStore; lines: LogLine[]; close(): Promise<void> }

export async function patrolApp(opts: PatrolRouteOptions = {}): Promise<PatrolApp> {
  const scheduler = clock()
  const rig = patrolRig(tempDir(), scheduler)
  const alarms = new AlarmStore(':memory:')
  alarms.start()
  const view = new LiveView(registry(), alarms, async () => METRICS_TEXT, () => ({ ok: true, checks: {} }), undefined, () => scheduler.now())
  const accounts = await memoryAccounts(USERS)
  const { log, lines } = memoryLog('broker')
  const app = build({ view, accounts, log, routes: [registerPatrolRoutes(rig.patrols, rig.deps, opts)] })
  await app.ready()
  return {
    app, rig, scheduler, accounts, lines,
    async close() {
      await app.close()
      rig.close()
      view.stop()
      alarms.stop()
      accounts.stop()
    },
  }
}
