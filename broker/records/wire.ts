// The records the county keeps, wired over the response store (docs/records.md): the hazard
// register first (the others register hazards through it), then patrols, residents' reports and the
// due dates; their routes for the HTTP app; the dispatcher's reports routed to the record by the
// subject id's prefix (SUBJECT_PREFIX).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname } from 'node:path'
import type { RoutePlugin } from '../http/app.ts'
import { registerHazardRoutes } from '../http/hazard-routes.ts'
import { registerPatrolRoutes } from '../http/patrol-routes.ts'
import { registerPublicRoutes } from '../http/public-routes.ts'
import { registerRecordsReportRoutes } from '../http/report-routes.ts'
import { linkKey } from '../incidents/links.ts'
import type { AttemptReport } from '../notify/types.ts'
import { Complaints } from './complaints.ts'
import { DueDates } from './due.ts'
import { Hazards } from './hazards.ts'
import { Patrols } from './patrols.ts'
import { SUBJECT_PREFIX, type RecordsDeps, type RecordsPart } from './types.ts'
import type { RecordsConfig } from './config.ts'

export interface RecordsOptions extends Omit<RecordsDeps, 'linkKey' | 'dataDir'> {
  /** the response store's path: photos go beside it */
  readonly path: string
  /** the configured link key (response.linkKeyEnv's value), else the store's */
  readonly linkKey: string | undefined
  readonly config: RecordsConfig
}

export interface Records {
  readonly hazards: Hazards
  readonly patrols: Patrols
  readonly complaints: Complaints
  readonly due: DueDates
  readonly routes: readonly RoutePlugin[]
  /** the outbox subject is a record's, not an incident's */
  owns(subjectId: string): boolean
  onAttempt(r: AttemptReport): void
  stats(): Record<string, Record<string, number>>
  stop(): void
}

export function startRecords(o: RecordsOptions): Records {
  const dataDir = o.path === ':memory:' ? mkdtempSync(`${tmpdir()}/lw-records-`) : dirname(o.path)
  const { config: _config, path: _path, ...shared } = o
  const deps: RecordsDeps = { ...shared, linkKey: linkKey(o.db, o.linkKey), dataDir }
  const { hazards: h = {}, patrols: p = {}, complaints: c = {}, due: d = {} } = o.config
  const hazards = new Hazards(deps, {
    deadlineDays: { major: h.majorDays ?? 7, general: h.generalDays ?? 30 },
    repeat: { count: h.repeatCount ?? 3, days: h.repeatDays ?? 30 }, ...(h.escalateEveryHours ? { escalateEveryHours: h.escalateEveryHours } : {}),
  })
  const patrols = new Patrols(deps, hazards, { ...(p.everyDays ? { everyDays: p.everyDays } : {}), ...(p.linkDays ? { linkDays: p.linkDays } : {}) })
  const complaints = new Complaints(deps, hazards, {
    ...(c.ackHours ? { ackHours: c.ackHours } : {}), ...(c.resolveDays ? { resolveDays: c.resolveDays } : {}),
    limits: { ...(c.perAddressMinute ? { perAddressMinute: c.perAddressMinute } : {}), ...(c.perAddressDay ? { perAddressDay: c.perAddressDay } : {}), ...(c.perCarHour ? { perCarHour: c.perCarHour } : {}) },
  })
  const due = new DueDates(deps, hazards, { ...(d.warnDays ? { warnDays: d.warnDays } : {}), ...(d.drillEveryDays ? { drillEveryDays: d.drillEveryDays } : {}) })
  const parts: readonly [string, RecordsPart][] = [[SUBJECT_PREFIX.hazard, hazards], [SUBJECT_PREFIX.patrol, patrols], [SUBJECT_PREFIX.complaint, complaints], ['in-', due]]
  for (const [, p] of parts) p.start()
  const partOf = (id: string) => parts.find(([prefix]) => id.startsWith(prefix))?.[1]
  return {
    hazards, patrols, complaints, due,
    routes: [
      registerHazardRoutes(hazards, { servePhotos: false }), registerPatrolRoutes(patrols, deps),
      registerPublicRoutes(complaints, deps), registerRecordsReportRoutes(deps, due),
    ],
    owns: (id) => partOf(id) !== undefined,
    onAttempt: (r) => partOf(r.item.incidentId)?.onAttempt(r),
    stats: () => ({ hazards: hazards.stats(), patrols: patrols.stats(), complaints: complaints.stats(), due: due.stats() }),
    stop: () => { for (const [, p] of [...parts].reverse()) p.stop() },
  }
}
