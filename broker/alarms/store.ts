// The alarm store on SQLite (better-sqlite3): every AlarmEvent upserted by id, so an alarm's row
// holds its latest lifecycle state. Acknowledgement is independent of clearing (ISA-18.2's
// active/cleared × acked/unacked): an alarm can be acked while active or after it cleared, and
// the monitoring centre's list keeps a cleared alarm of a grave severity until someone acks it.
import type Database from 'better-sqlite3'
import { openSqlite } from '../../core/sqlite.ts'
import { errorClass, type CodeOf } from '../../core/errors.ts'
import { formatProblems, validateAlarmEvent, type AlarmEvent, type Problem } from '../../protocol/index.ts'

export const AlarmStoreErrorCode = {
  Invalid: 'LW_ERR_ALARM_INVALID',       // record() given something that is not an AlarmEvent
  Conflict: 'LW_ERR_ALARM_CONFLICT',     // same id, different alarm (key differs)
  NotStarted: 'LW_ERR_ALARM_STORE',      // used before start() or after stop()
} as const
export type AlarmStoreErrorCode = CodeOf<typeof AlarmStoreErrorCode>

export class AlarmStoreError extends errorClass('AlarmStoreError', AlarmStoreErrorCode) {}

export type Severity = AlarmEvent['severity']
export type AckState = 'active-unacked' | 'active-acked' | 'cleared-unacked' | 'cleared-acked'

export interface StoredAlarm extends AlarmEvent {
  ackedAt: number | null
  ackedBy: string | null
  /** the username of who acknowledged (ackedBy is the display name); absent for older acks */
  ackedByUser?: string
  /** what the operator noted with the acknowledgement */
  ackNote?: string
  /** derived from state and ackedAt, never stored */
  ackState: AckState
}

export const ackStateOf = (a: Pick<AlarmEvent, 'state'> & { ackedAt: number | null }): AckState =>
  `${a.state === 'raised' ? 'active' : 'cleared'}-${a.ackedAt === null ? 'unacked' : 'acked'}`

/** An event not (yet) in the store, as the store would show it. */
export const unackedView = (e: AlarmEvent): StoredAlarm => ({ ...e, ackedAt: null, ackedBy: null, ackState: ackStateOf({ state: e.state, ackedAt: null }) })

/** Severities whose cleared alarms stay on the visible list until acknowledged. */
export const DEFAULT_KEEP_UNTIL_ACKED: readonly Severity[] = Object.freeze(['critical'])

export interface VisibleQuery {
  keepUntilAcked?: readonly Severity[]
  elevatorId?: string
  /** only alarms whose elevatorId (a gateway id for gateway alarms) is one of these */
  elevatorIds?: readonly string[]
  limit?: number
}

export interface AlarmQuery {
  state?: 'raised' | 'cleared'
  elevatorId?: string
  /** only alarms whose elevatorId (a gateway id for gateway alarms) is one of these */
  elevatorIds?: readonly string[]
  /** raised at or after, ms since epoch */
  since?: number
  limit: number
}

export const MAX_LIST = 10_000

/** How many alarms of a type an elevator raised in a window (countsBetween). */
export interface AlarmCount { elevatorId: string; type: string; severity: Severity; n: number }

// user_version 1: the first schema. A later change adds a step, never edits this one.
const MIGRATIONS = [
  `CREATE TABLE alarms (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    code TEXT,
    severity TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('raised', 'cleared')),
    elevator_id TEXT NOT NULL,
    region TEXT NOT NULL,
    raised_at INTEGER NOT NULL,
    cleared_at INTEGER,
    evidence TEXT NOT NULL,
    drill INTEGER NOT NULL,
    acked_at INTEGER,
    acked_by TEXT
  ) STRICT;
  CREATE INDEX alarms_active ON alarms (raised_at) WHERE state = 'raised';
  CREATE INDEX alarms_elevator ON alarms (elevator_id, raised_at);
  CREATE INDEX alarms_raised_at ON alarms (raised_at);`,
  // user_version 2: the event's optional protocol fields (scope, flapping, late, updatedAt, …) as
  // one JSON object, so a field the protocol adds later round-trips without another migration;
  // and the cleared-but-unacknowledged alarms the visible list reads.
  `ALTER TABLE alarms ADD COLUMN extra TEXT;
  CREATE INDEX alarms_cleared_unacked ON alarms (raised_at) WHERE state = 'cleared' AND acked_at IS NULL;`,
  // user_version 3: acknowledgement by a logged-in user (issue 11): acked_by holds the display
  // name, acked_by_user the username, ack_note what the operator noted
  `ALTER TABLE alarms ADD COLUMN acked_by_user TEXT;
  ALTER TABLE alarms ADD COLUMN ack_note TEXT;`,
]

// the columns of an AlarmEvent; whatever else an event carries goes to `extra`
const COLUMNS = ['v', 'id', 'key', 'type', 'code', 'severity', 'state', 'elevatorId', 'region', 'raisedAt', 'clearedAt', 'evidence', 'drill'] as const

function extraOf(event: AlarmEvent): string | null {
  const rest: Record<string, unknown> = { ...event }
  for (const k of COLUMNS) delete rest[k]
  return Object.keys(rest).length ? JSON.stringify(rest) : null
}

interface Row {
  id: string; key: string; type: string; code: string | null; severity: string; state: string; elevator_id: string; region: string
  raised_at: number; cleared_at: number | null; evidence: string; drill: number; acked_at: number | null; acked_by: string | null
  extra: string | null; acked_by_user: string | null; ack_note: string | null
}

const fromRow = (r: Row): StoredAlarm => ({
  v: 1, id: r.id, key: r.key, type: r.type as AlarmEvent['type'], code: r.code, severity: r.severity as Severity,
  state: r.state as AlarmEvent['state'], elevatorId: r.elevator_id, region: r.region, raisedAt: r.raised_at, clearedAt: r.cleared_at,
  evidence: JSON.parse(r.evidence) as Record<string, unknown>, drill: r.drill === 1,
  ...(r.extra ? JSON.parse(r.extra) as Partial<AlarmEvent> : {}),
  ackedAt: r.acked_at, ackedBy: r.acked_by,
  ...(r.acked_by_user !== null ? { ackedByUser: r.acked_by_user } : {}), ...(r.ack_note !== null ? { ackNote: r.ack_note } : {}),
  ackState: ackStateOf({ state: r.state as AlarmEvent['state'], ackedAt: r.acked_at }),
})

// critical first, then newest
const SEVERITY_RANK = "CASE severity WHEN 'critical' THEN 0 WHEN 'major' THEN 1 WHEN 'minor' THEN 2 ELSE 3 END"

export class AlarmStore {
  private db: Database.Database | null = null
  private readonly statements = new Map<string, Database.Statement>()

  /** `path`: a file, or ':memory:' */
  constructor(private readonly path: string) {}

  start(): void {
    if (this.db) return
    // an alarm that was raised must still be there after a power cut
    this.db = openSqlite(this.path, { migrations: MIGRATIONS, synchronous: 'full' })
  }

  /** Idempotent. */
  stop(): void {
    this.statements.clear()
    this.db?.close()
    this.db = null
  }

  /**
   * Upserts by id. While the stored alarm is active every event updates it: the lifecycle re-emits
   * a raised alarm with new evidence, `flapping`, or an earlier raisedAt found in late history. A
   * cleared alarm stays cleared: a late or repeated event does not reopen or rewrite it. The
   * acknowledgement columns are never touched here. Returns the alarm as stored now.
   */
  record(event: AlarmEvent): StoredAlarm {
    const checked = validateAlarmEvent(event)
    if (!checked.ok) throw invalid(checked.problems, event)
    const existing = this.sql<[string], Pick<Row, 'key'>>('SELECT key FROM alarms WHERE id = ?').get(event.id)
    if (existing && existing.key !== event.key) {
      throw new AlarmStoreError(AlarmStoreErrorCode.Conflict, 'alarm id already used by another alarm', { id: event.id, key: event.key, storedKey: existing.key })
    }
    this.sql(`INSERT INTO alarms (id, key, type, code, severity, state, elevator_id, region, raised_at, cleared_at, evidence, drill, extra)
      VALUES (@id, @key, @type, @code, @severity, @state, @elevatorId, @region, @raisedAt, @clearedAt, @evidence, @drill, @extra)
      ON CONFLICT (id) DO UPDATE SET
        ${['state', 'code', 'severity', 'raised_at', 'cleared_at', 'evidence', 'extra'].map(keepCleared).join(',\n        ')},
        drill = excluded.drill`).run({
      id: event.id, key: event.key, type: event.type, code: event.code, severity: event.severity, state: event.state,
      elevatorId: event.elevatorId, region: event.region, raisedAt: event.raisedAt, clearedAt: event.clearedAt,
      evidence: JSON.stringify(event.evidence), drill: event.drill ? 1 : 0, extra: extraOf(event),
    })
    return this.get(event.id)!
  }

  get(id: string): StoredAlarm | null {
    const row = this.sql<[string], Row>('SELECT * FROM alarms WHERE id = ?').get(id)
    return row ? fromRow(row) : null
  }

  /** Every alarm not cleared, oldest first. */
  active(): StoredAlarm[] {
    return this.sql<[], Row>("SELECT * FROM alarms WHERE state = 'raised' ORDER BY raised_at, id").all().map(fromRow)
  }

  /** Newest first; `limit` is capped at MAX_LIST. */
  list(q: AlarmQuery): StoredAlarm[] {
    const where: string[] = []
    const params: Record<string, unknown> = { limit: Math.max(0, Math.min(Math.floor(q.limit), MAX_LIST)) }
    if (q.state) { where.push('state = @state'); params.state = q.state }
    if (q.elevatorId) { where.push('elevator_id = @elevatorId'); params.elevatorId = q.elevatorId }
    if (q.since !== undefined) { where.push('raised_at >= @since'); params.since = q.since }
    if (q.elevatorIds) { where.push('elevator_id IN (SELECT value FROM json_each(@ids))'); params.ids = JSON.stringify(q.elevatorIds) }
    const sql = `SELECT * FROM alarms ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id DESC LIMIT @limit`
    return this.sql<[Record<string, unknown>], Row>(sql).all(params).map(fromRow)
  }

  /**
   * Alarms raised in [from, to), drills left out, counted per elevator and type: the monthly
   * report's alarms by type and the risk grade's faults (broker/records/report.ts, risk.ts).
   */
  countsBetween(from: number, to: number): AlarmCount[] {
    return this.sql<[number, number], AlarmCount>(`SELECT elevator_id AS elevatorId, type, severity, COUNT(*) AS n FROM alarms
      WHERE raised_at >= ? AND raised_at < ? AND drill = 0 GROUP BY elevator_id, type, severity`).all(from, to)
  }

  /**
   * What the monitoring centre must see: every active alarm, and each cleared one of a
   * `keepUntilAcked` severity (default critical) that nobody has acknowledged yet. Critical
   * first, then newest raised; `limit` (default and cap MAX_LIST).
   */
  visible(q: VisibleQuery = {}): StoredAlarm[] {
    const limit = Math.max(0, Math.min(Math.floor(q.limit ?? MAX_LIST), MAX_LIST))
    // two branches, so each reads its own partial index instead of the whole history
    return this.sql<[Record<string, unknown>], Row>(`SELECT * FROM (
        SELECT * FROM alarms WHERE state = 'raised'
        UNION ALL
        SELECT * FROM alarms WHERE state = 'cleared' AND acked_at IS NULL AND severity IN (SELECT value FROM json_each(@keep))
      ) WHERE (@elevatorId IS NULL OR elevator_id = @elevatorId)
        AND (@ids IS NULL OR elevator_id IN (SELECT value FROM json_each(@ids)))
      ORDER BY ${SEVERITY_RANK}, raised_at DESC, id DESC LIMIT @limit`)
      .all({ keep: JSON.stringify(q.keepUntilAcked ?? DEFAULT_KEEP_UNTIL_ACKED), elevatorId: q.elevatorId ?? null, ids: q.elevatorIds ? JSON.stringify(q.elevatorIds) : null, limit })
      .map(fromRow)
  }

  /**
   * Acknowledges an active or a cleared alarm. The first acknowledgement wins and is kept.
   * Returns the alarm, or null when there is no such id.
   */
  ack(id: string, by: string, at: number, more: { user?: string; note?: string } = {}): StoredAlarm | null {
    this.sql('UPDATE alarms SET acked_at = ?, acked_by = ?, acked_by_user = ?, ack_note = ? WHERE id = ? AND acked_at IS NULL')
      .run(at, by, more.user ?? null, more.note ?? null, id)
    return this.get(id)
  }

  /** A prepared statement, prepared once per opening. */
  private sql<P extends unknown[] | object = unknown[], R = unknown>(text: string): Database.Statement<P, R> {
    if (!this.db) throw new AlarmStoreError(AlarmStoreErrorCode.NotStarted, 'alarm store not started', { path: this.path })
    let st = this.statements.get(text)
    if (!st) this.statements.set(text, (st = this.db.prepare(text)))
    return st as Database.Statement<P, R>
  }
}

function keepCleared(column: string): string {
  return `${column} = CASE WHEN alarms.state = 'cleared' THEN alarms.${column} ELSE excluded.${column} END`
}

function invalid(problems: Problem[], event: unknown): AlarmStoreError {
  const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined
  return new AlarmStoreError(AlarmStoreErrorCode.Invalid, `not an AlarmEvent: ${formatProblems(problems, { separator: '; ' })}`, { id, problems })
}
