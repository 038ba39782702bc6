// The hazard register over a real SQLite file in virtual time, with the incident tests' county
// (test/broker/incidents/fixtures.ts): its registry, parties and a real alarm store.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import type { VirtualTimeScheduler } from 'rxjs'
import type { AlarmEvent } from '../../../protocol/index.ts'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { IncidentService } from '../../../broker/incidents/service.ts'
import { AlarmStore } from '../../../broker/alarms/store.ts'
import { Outbox } from '../../../broker/notify/outbox.ts'
import { Hazards, type HazardsOptions } from '../../../broker/records/hazards.ts'
import type { RecordsDeps } from '../../../broker/records/types.ts'
import type { Db } from '../../../core/sqlite.ts'
import { LIFT1, parties, POLICIES, registry } from '../incidents/fixtures.ts'

export interface HazardRig { hazards: Hazards; outbox: Outbox; db: Db; alarms: AlarmStore; kicks: number; deps: RecordsDeps; close(): void }

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'lw-hazards-'))

export function hazardRig(dir: string, s: VirtualTimeScheduler, opts: HazardsOptions = {}): HazardRig {
  const db = openResponseDb(join(dir, 'response.db'))
  const outbox = new Outbox(db)
  const alarms = new AlarmStore(':memory:')
  alarms.start()
  const reg = registry()
  const dir2 = parties()
  const log = pino({ level: 'silent' })
  const r = { db, outbox, alarms, kicks: 0 } as HazardRig
  const incidents = new IncidentService({ db, registry: reg, parties: () => dir2, policies: POLICIES, scheduler: s, log, outbox, kick: () => {}, linkBase: 'https://lw.example' })
  r.deps = {
    db, registry: reg, parties: () => dir2, scheduler: s, log, outbox, kick: () => { r.kicks++ }, linkBase: () => 'https://lw.example/',
    linkKey: Buffer.alloc(32, 7), dataDir: dir, alarms, incidents, live: () => ({ availability: 'unknown', activeAlarms: [] }),
  }
  r.hazards = new Hazards(r.deps, opts)
  r.hazards.start()
  r.close = () => { r.hazards.stop(); alarms.stop(); if (db.open) db.close() }
  return r
}

let seq = 0
/** A raised alarm of LIFT1 at `at`, stored in the rig's alarm store as the broker does before the register sees it. */
export function raise(r: HazardRig, at: number, over: Partial<AlarmEvent> = {}): AlarmEvent {
  const a: AlarmEvent = {
    v: 1, id: `al-${++seq}`, key: `${over.elevatorId ?? LIFT1}:${over.type ?? 'entrapment'}:${seq}`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
    elevatorId: LIFT1, region: '330922', raisedAt: at, detectedAt: at, clearedAt: null, evidence: {}, drill: false, ...over,
  }
  r.alarms.record(a)
  r.hazards.onAlarm(a)
  return a
}
