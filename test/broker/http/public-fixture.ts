// The HTTP app (broker/http/app.ts build) with the public page's routes (broker/http/public-routes.ts)
// over a real complaints service and hazard register on a temp SQLite file in virtual time
// (test/broker/records/complaint-fixture.ts), real accounts in memory, and what the live page knows
// of each car set by the test.
import type { FastifyInstance } from 'fastify'
import type { VirtualTimeScheduler } from 'rxjs'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { build } from '../../../broker/http/app.ts'
import { registerPublicRoutes, type PublicRouteOptions } from '../../../broker/http/public-routes.ts'
import { LiveView } from '../../../broker/live-view.ts'
import type { ComplaintsOptions } from '../../../broker/records/complaints.ts'
import type { RecordsDeps } from '../../../broker/records/types.ts'
import { memoryAccounts, type TestUser } from '../../helpers/accounts.ts'
import { memoryLog, type LogLine } from '../../helpers/memory-log.ts'
import { clock } from '../incidents/fixtures.ts'
import { complaintRig, type ComplaintRig } from '../records/complaint-fixture.ts'
import { tempDir } from '../records/hazard-fixture.ts'
import { METRICS_TEXT } from './fixtures.ts'
import { USERS } from './incident-fixture.ts'

export type Live = ReturnType<RecordsDeps['live']>

export interface PublicApp {
  app: FastifyInstance
  rig: ComplaintRig
  scheduler: VirtualTimeScheduler
  accounts: AccountStore
  lines: LogLine[]
  /** what the live page knows of each car (default: unknown) */
  live: Map<string, Live>
  close(): Promise<void>
}

export async function publicApp(o: { users?: TestUser[]; complaints?: ComplaintsOptions; routes?: PublicRouteOptions; uiDir?: string } = {}): Promise<PublicApp> {
  const scheduler = clock()
  const rig = complaintRig(tempDir(), scheduler, o.complaints)
  const live = new Map<string, Live>()
  const deps: RecordsDeps = { ...rig.deps, live: (id) => live.get(id) ?? { availability: 'unknown', activeAlarms: [] } }
  const view = new LiveView(rig.deps.registry, rig.alarms, async () => METRICS_TEXT, () => ({ ok: true, checks: {} }), undefined, () => scheduler.now())
  const accounts = await memoryAccounts(o.users ?? USERS)
  const { log, lines } = memoryLog('broker')
  const app = build({ view, accounts, log, routes: [registerPublicRoutes(rig.complaints, deps, o.routes)], ...(o.uiDir ? { uiDir: o.uiDir } : {}) })
  await app.ready()
  return {
    app, rig, scheduler, accounts, lines, live,
    async close() {
      await app.close()
      view.stop()
      rig.close()
      accounts.stop()
    },
  }
}
