// The embedded telemetry store's SQL: one table per measurement, telemetry columns from fields.ts.
// The same sample again (series, time, boot and seq: a replay) replaces its row; two samples in one
// millisecond are two rows. Knows nothing of timers.
import type Database from 'better-sqlite3'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import { TELEMETRY_FIELDS, type FieldKind } from './fields.ts'
import type { StoredTelemetry } from './types.ts'

const SQL_TYPE: Record<FieldKind, string> = { int: 'INTEGER', float: 'REAL', bool: 'INTEGER', string: 'TEXT' }
const q = (name: string) => `"${name}"`

type Row = Record<string, string | number | null>
export type Value = string | number | null

/** Values per telemetry row: elevator, region, gateway, ts, then each field of fields.ts. */
const ROW_VALUES = 4 + TELEMETRY_FIELDS.length
// rows per multi-row INSERT: one statement step instead of 64 (SQLite's limit is 32766 values)
const ROWS_PER_INSERT = 64

/**
 * Samples waiting for their commit, four entries each: the message as ingest accepted it, its
 * elevatorId, its region and the ts to store (the gateway's). Rows are made from them only inside the insert.
 */
export type PendingSamples = (Telemetry | string | number)[]
export const PENDING_ENTRIES = 4

/** Writes sample `i` of `samples` as one row's values into `into` from `at`. */
function rowInto(into: Value[], at: number, samples: PendingSamples, i: number): void {
  const msg = samples[i * PENDING_ENTRIES] as Telemetry
  into[at] = samples[i * PENDING_ENTRIES + 1] as string
  into[at + 1] = samples[i * PENDING_ENTRIES + 2] as string
  into[at + 2] = msg.gateway
  into[at + 3] = samples[i * PENDING_ENTRIES + 3] as number
  for (let k = 0; k < TELEMETRY_FIELDS.length; k++) {
    const v = msg[TELEMETRY_FIELDS[k]!.name] as string | number | boolean | null | undefined
    into[at + 4 + k] = v === undefined || v === null ? null : typeof v === 'boolean' ? (v ? 1 : 0) : v
  }
}

export interface TelemetryStore {
  insert(telemetry: PendingSamples, alarms: readonly AlarmEvent[]): void
  latest(elevatorId: string): StoredTelemetry | undefined
  range(elevatorId: string, from: number, to: number, limit: number): StoredTelemetry[]
  alarms(elevatorId: string, from: number, to: number, limit: number): AlarmEvent[]
  /** deletes at most `limit` rows older than `cutoff` (ms); returns how many */
  deleteTelemetryBefore(cutoff: number, limit: number): number
  deleteAlarmsBefore(cutoff: number, limit: number): number
  rows(): { telemetry: number; alarms: number }
}

/** The schema steps for core/sqlite.ts's openSqlite; the telemetry columns follow the protocol below. */
export const TELEMETRY_MIGRATIONS = [`
  CREATE TABLE IF NOT EXISTS telemetry (
    elevator TEXT NOT NULL, region TEXT NOT NULL, gateway TEXT NOT NULL, ts INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS telemetry_series ON telemetry (elevator, ts, gateway);
  CREATE INDEX IF NOT EXISTS telemetry_ts ON telemetry (ts);
  CREATE TABLE IF NOT EXISTS alarm_events (
    id TEXT NOT NULL, state TEXT NOT NULL, ts INTEGER NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL,
    code TEXT, severity TEXT NOT NULL, elevator TEXT NOT NULL, region TEXT NOT NULL,
    raisedAt INTEGER NOT NULL, clearedAt INTEGER, drill INTEGER NOT NULL, evidence TEXT NOT NULL,
    PRIMARY KEY (id, state)
  );
  CREATE INDEX IF NOT EXISTS alarm_events_elevator ON alarm_events (elevator, ts);
  CREATE INDEX IF NOT EXISTS alarm_events_ts ON alarm_events (ts);
`]

/** Statements over a database opened with TELEMETRY_MIGRATIONS. */
export function openTelemetryStore(db: Database.Database): TelemetryStore {
  // a field added to the protocol becomes a column; old rows hold NULL there
  const have = new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('telemetry')`).all().map((c) => c.name))
  for (const f of TELEMETRY_FIELDS) if (!have.has(f.name)) db.exec(`ALTER TABLE telemetry ADD COLUMN ${q(f.name)} ${SQL_TYPE[f.kind]}`)
  // a sample is (elevator, ts, gateway, boot, seq): the first migration's key lacked the last two,
  // so a change and a heartbeat in one ms replaced each other. Made here, after the columns exist.
  db.exec(`DROP INDEX IF EXISTS telemetry_series;
    CREATE UNIQUE INDEX IF NOT EXISTS telemetry_sample ON telemetry (elevator, ts, gateway, "boot", "seq")`)

  const cols = ['elevator', 'region', 'gateway', 'ts', ...TELEMETRY_FIELDS.map((f) => f.name)]
  const insertInto = `INSERT OR REPLACE INTO telemetry (${cols.map(q).join(', ')}) VALUES `
  const rowParams = `(${cols.map(() => '?').join(', ')})`
  const insertTelemetry = db.prepare<Value[][]>(insertInto + rowParams)
  const insertMany = db.prepare<Value[][]>(insertInto + Array.from({ length: ROWS_PER_INSERT }, () => rowParams).join(', '))
  // reused argument arrays: a run() binds them element by element
  const one = new Array<Value>(ROW_VALUES).fill(null)
  const many = new Array<Value>(ROW_VALUES * ROWS_PER_INSERT).fill(null)
  const insertAlarm = db.prepare<Value[]>(`INSERT OR REPLACE INTO alarm_events
    (id, state, ts, key, type, code, severity, elevator, region, raisedAt, clearedAt, drill, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const latest = db.prepare<[string], Row>('SELECT * FROM telemetry WHERE elevator = ? ORDER BY ts DESC, seq DESC LIMIT 1')
  const range = db.prepare<[string, number, number, number], Row>('SELECT * FROM telemetry WHERE elevator = ? AND ts >= ? AND ts < ? ORDER BY ts, gateway, seq LIMIT ?')
  const alarms = db.prepare<[string, number, number, number], Row>('SELECT * FROM alarm_events WHERE elevator = ? AND ts >= ? AND ts < ? ORDER BY ts, id LIMIT ?')
  const oldTelemetry = db.prepare<[number, number]>('DELETE FROM telemetry WHERE rowid IN (SELECT rowid FROM telemetry WHERE ts < ? LIMIT ?)')
  const oldAlarms = db.prepare<[number, number]>('DELETE FROM alarm_events WHERE rowid IN (SELECT rowid FROM alarm_events WHERE ts < ? LIMIT ?)')
  const count = (table: string) => db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${table}`)
  const counts = { telemetry: count('telemetry'), alarms: count('alarm_events') }

  const insert = db.transaction((telemetry: PendingSamples, events: readonly AlarmEvent[]) => {
    // rows stay in order, so a later sample replaces an earlier one of the same key as before
    const n = telemetry.length / PENDING_ENTRIES
    let i = 0
    for (; i + ROWS_PER_INSERT <= n; i += ROWS_PER_INSERT) {
      for (let r = 0; r < ROWS_PER_INSERT; r++) rowInto(many, r * ROW_VALUES, telemetry, i + r)
      insertMany.run(many)
    }
    for (; i < n; i++) {
      rowInto(one, 0, telemetry, i)
      insertTelemetry.run(one)
    }
    for (const a of events) {
      const ts = a.state === 'cleared' && a.clearedAt !== null ? a.clearedAt : a.raisedAt
      insertAlarm.run(a.id, a.state, ts, a.key, a.type, a.code, a.severity, a.elevatorId, a.region, a.raisedAt, a.clearedAt, a.drill ? 1 : 0, JSON.stringify(a.evidence))
    }
  })

  return {
    insert: (telemetry, events) => insert(telemetry, events),
    latest: (id) => {
      const r = latest.get(id)
      return r && toTelemetry(r)
    },
    range: (id, from, to, limit) => range.all(id, from, to, limit).map(toTelemetry),
    alarms: (id, from, to, limit) => alarms.all(id, from, to, limit).map(toAlarm),
    deleteTelemetryBefore: (cutoff, limit) => oldTelemetry.run(cutoff, limit).changes,
    deleteAlarmsBefore: (cutoff, limit) => oldAlarms.run(cutoff, limit).changes,
    rows: () => ({ telemetry: counts.telemetry.get()!.n, alarms: counts.alarms.get()!.n }),
  }
}

function toTelemetry(r: Row): StoredTelemetry {
  const t: Record<string, unknown> = { v: 1, elevatorId: r.elevator, region: r.region, gateway: r.gateway, ts: r.ts }
  for (const f of TELEMETRY_FIELDS) {
    const v = r[f.name] ?? null
    if (v === null && f.optional) continue
    t[f.name] = f.kind === 'bool' && v !== null ? v === 1 : v
  }
  return t as StoredTelemetry
}

function toAlarm(r: Row): AlarmEvent {
  return {
    v: 1, id: r.id, key: r.key, type: r.type, code: r.code, severity: r.severity, state: r.state,
    elevatorId: r.elevator, region: r.region, raisedAt: r.raisedAt, clearedAt: r.clearedAt,
    evidence: JSON.parse(r.evidence as string) as Record<string, unknown>, drill: r.drill === 1,
  } as AlarmEvent
}
