// The due dates, risk grades and monthly reports over the real stores in virtual time: the
// incident tests' county (test/broker/incidents/fixtures.ts) with inspection dates and ages, the
// real incident service, hazard register and alarm store, and — for the API — the HTTP app with
// the incidents API and the report routes over real accounts in memory, bearer tokens per user.
import { dirname } from 'node:path'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import type { VirtualTimeScheduler } from 'rxjs'
import { AlarmStore } from '../../../broker/alarms/store.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { build } from '../../../broker/http/app.ts'
import { registerRecordsReportRoutes } from '../../../broker/http/report-routes.ts'
import { LiveView } from '../../../broker/live-view.ts'
import { DueDates, type DueOptions } from '../../../broker/records/due.ts'
import { Hazards } from '../../../broker/records/hazards.ts'
import type { RecordsDeps } from '../../../broker/records/types.ts'
import { parseRegistry, type ElevatorRecord } from '../../../broker/registry/registry.ts'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { Actor } from '../../../response/index.ts'
import { memoryAccounts, type TestUser } from '../../helpers/accounts.ts'
import { memoryLog } from '../../helpers/memory-log.ts'
import { METRICS_TEXT } from '../http/fixtures.ts'
import { CAIYUAN, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, MIN, parties, rig, tempDb, type Rig } from '../incidents/fixtures.ts'

export { CAIYUAN, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, MIN }
export const DESK_ACTOR: Actor = { name: '值班员', via: 'desk', role: 'desk' }

const lift = (id: string, rescueCode: string, township: string, village: string, more: Partial<ElevatorRecord>): ElevatorRecord => ({
  id, registrationCode: id, rescueCode, region: '330922', address: '嵊泗县菜园镇沙河路 18 号', building: '1号楼', landings: 12, ratedSpeed: 1,
  gatewayId: 'gw-1', township, village, maintenance: 'zs-lift', property: township === ISLAND ? 'wy-island' : 'wy-shahe', ...more,
})

/** The fixture county; `more` adds fields per elevator (nextInspection, inServiceSince). */
export const countyRegistry = (more: Partial<Record<string, Partial<ElevatorRecord>>> = {}) => parseRegistry({
  elevators: [
    lift(LIFT1, '33001', CAIYUAN, '330922100001', more[LIFT1] ?? {}),
    lift(LIFT2, '33002', CAIYUAN, '330922100001', more[LIFT2] ?? {}),
    lift(LIFT_ISLAND, '33003', ISLAND, '330922203001', more[LIFT_ISLAND] ?? {}),
  ],
})

export interface RecordsRig extends Rig { deps: RecordsDeps; hazards: Hazards; alarms: AlarmStore; close(): void }

export function recordsRig(s: VirtualTimeScheduler, more: Partial<Record<string, Partial<ElevatorRecord>>> = {}): RecordsRig {
  const reg = countyRegistry(more)
  const r = rig(tempDb(), s, { registry: reg }) as RecordsRig
  const dir = parties()
  r.alarms = new AlarmStore(':memory:')
  r.alarms.start()
  r.deps = {
    db: r.db, registry: reg, parties: () => dir, scheduler: s, log: pino({ level: 'silent' }), outbox: r.outbox, kick: () => { r.kicks++ },
    linkBase: () => 'https://lw.example/', linkKey: Buffer.alloc(32, 9), dataDir: dirname(tempDb()), alarms: r.alarms, incidents: r.service,
    live: () => ({ availability: 'unknown', activeAlarms: [] }),
  }
  r.hazards = new Hazards(r.deps)
  r.hazards.start()
  r.close = () => { r.hazards.stop(); r.service.stop(); r.alarms.stop(); if (r.db.open) r.db.close() }
  return r
}

let seq = 0
/** An alarm as the broker stores it (state raised, cleared a minute on when `cleared`). */
export function storeAlarm(r: RecordsRig, at: number, over: Partial<AlarmEvent> = {}): AlarmEvent {
  const a: AlarmEvent = {
    v: 1, id: `ra-${++seq}`, key: `k-${seq}`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
    elevatorId: LIFT1, region: '330922', raisedAt: at, detectedAt: at, clearedAt: null, evidence: {}, drill: false, ...over,
  }
  r.alarms.record(a)
  return a
}

export interface ReportApp { app: FastifyInstance; accounts: AccountStore; due: DueDates; token(username: string): string; close(): Promise<void> }

export async function reportApp(r: RecordsRig, s: VirtualTimeScheduler, users: TestUser[], dueOpts: DueOptions = {}): Promise<ReportApp> {
  const view = new LiveView(r.deps.registry, r.alarms, async () => METRICS_TEXT, () => ({ ok: true, checks: {} }), undefined, () => s.now())
  const accounts = await memoryAccounts(users)
  const due = new DueDates(r.deps, r.hazards, dueOpts)
  const { log } = memoryLog('broker')
  const app = build({ view, accounts, log, incidents: r.service, incidentsNow: () => s.now(), routes: [registerRecordsReportRoutes(r.deps, due)] })
  await app.ready()
  return {
    app, accounts, due,
    token: (username) => accounts.createToken(accounts.user(username)!.id, 'test'),
    async close() { await app.close(); view.stop(); accounts.stop() },
  }
}

let cp = 0
/** A resident's report as the complaints service stores it (its row and JSON), acknowledged and resolved when given. */
export function plantComplaint(r: RecordsRig, elevatorId: string, createdAt: number, o: { ackAt?: number; resolvedAt?: number } = {}): string {
  const id = `cp-test-${++cp}`
  const ackDueAt = createdAt + 24 * 3_600_000
  const resolveDueAt = createdAt + 7 * 24 * 3_600_000
  const state = o.resolvedAt !== undefined ? 'resolved' : o.ackAt !== undefined ? 'acknowledged' : 'new'
  const c = { id, elevatorId, category: 'fault', text: '电梯异响', createdAt, state, ackDueAt, resolveDueAt, timeline: [], ...o }
  r.db.prepare('INSERT INTO complaints (id, elevator_id, township, village, state, created_at, ack_due_at, resolve_due_at, data) VALUES (?, ?, NULL, NULL, ?, ?, ?, ?, ?)')
    .run(id, elevatorId, state, createdAt, ackDueAt, resolveDueAt, JSON.stringify(c))
  return id
}

let pt = 0
/** A patrol row as the patrols service stores it. */
export function plantPatrol(r: RecordsRig, elevatorId: string, at: number): void {
  r.db.prepare('INSERT INTO patrols (id, elevator_id, village, township, at, data) VALUES (?, ?, NULL, NULL, ?, ?)')
    .run(`pt-test-${++pt}`, elevatorId, at, JSON.stringify({ id: `pt-test-${pt}`, elevatorId, at, results: [], hazardIds: [] }))
}
