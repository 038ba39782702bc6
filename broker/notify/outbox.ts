// The durable notification outbox: one row per message to one endpoint (or one phone), written in
// the same transaction as the incident that caused it (broker/incidents/db.ts), then sent by the
// dispatcher (dispatcher.ts). Rows are never deleted here: a delivered row is the record of what
// was told, when (docs/domain.md#notification-channels-outside-services). SQL only: no timers, no logs.
import type { Db } from '../../core/sqlite.ts'
import type { Statement } from 'better-sqlite3'
import type { PartyRole } from '../../response/index.ts'
import type { ChannelKind } from '../parties/schema.ts'
import type { Message, OutboxItem, OutboxState } from './types.ts'

interface Row {
  id: string
  incident_id: string
  notification_id: string
  role: string
  party_id: string
  party_name: string
  channel: string
  endpoint_id: string
  to_phone: string | null
  message: string
  drill: number
  created_at: number
  state: string
  attempts: number
  next_at: number
  last_detail: string | null
  delivered_at: number | null
}

type InsertArgs = [string, string, string, string, string, string, string, string, string | null, string, number, number, string, number, number, string | null, number | null]

const COLUMNS = 'id, incident_id, notification_id, role, party_id, party_name, channel, endpoint_id, to_phone, message, drill, created_at, state, attempts, next_at, last_detail, delivered_at'

// The first pending row of each lane (one endpoint, and for SMS one phone) in created order: the
// only row of its lane that may be sent (dispatcher.ts keeps each lane in order).
const HEADS = `SELECT ${COLUMNS} FROM (
    SELECT ${COLUMNS}, rowid AS seq, row_number() OVER (PARTITION BY endpoint_id, coalesce(to_phone, '') ORDER BY created_at, rowid) AS n
    FROM outbox WHERE state = 'pending'
  ) WHERE n = 1 ORDER BY next_at, created_at, seq`

export class Outbox {
  private readonly sql: {
    insert: Statement<InsertArgs>
    due: Statement<[number, number], Row>
    nextDue: Statement<[], { at: number | null }>
    heads: Statement<[], Row>
    attempted: Statement<[number, number, string, string]>
    delivered: Statement<[number, number, string, string]>
    failed: Statement<[number, string, string]>
    defer: Statement<[number, string]>
    get: Statement<[string], Row>
    forIncident: Statement<[string], Row>
    counts: Statement<[], { state: string; n: number }>
  }
  private readonly insertTx: (items: readonly OutboxItem[]) => void

  constructor(private readonly db: Db) {
    this.sql = {
      insert: db.prepare(`INSERT OR IGNORE INTO outbox (${COLUMNS}) VALUES (${COLUMNS.split(',').map(() => '?').join(', ')})`),
      due: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, created_at, rowid LIMIT ?`),
      nextDue: db.prepare(`SELECT min(next_at) AS at FROM outbox WHERE state = 'pending'`),
      heads: db.prepare(HEADS),
      attempted: db.prepare(`UPDATE outbox SET attempts = ?, next_at = ?, last_detail = ? WHERE id = ? AND state = 'pending'`),
      delivered: db.prepare(`UPDATE outbox SET state = 'delivered', attempts = ?, delivered_at = ?, last_detail = ? WHERE id = ? AND state = 'pending'`),
      failed: db.prepare(`UPDATE outbox SET state = 'failed', attempts = ?, last_detail = ? WHERE id = ? AND state = 'pending'`),
      defer: db.prepare(`UPDATE outbox SET next_at = ? WHERE id = ? AND state = 'pending'`),
      get: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE id = ?`),
      forIncident: db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE incident_id = ? ORDER BY created_at, rowid`),
      counts: db.prepare(`SELECT state, count(*) AS n FROM outbox GROUP BY state`),
    }
    // nested in a caller's db.transaction this is a savepoint: the caller's commit decides
    this.insertTx = db.transaction((items: readonly OutboxItem[]) => {
      for (const it of items) this.sql.insert.run(...toArgs(it))
    })
  }

  /** Writes new rows; an id already there is left as it is (the idempotency key). Works inside a caller's transaction. */
  insert(items: readonly OutboxItem[]): void {
    if (items.length > 0) this.insertTx(items)
  }

  /** Pending rows whose next attempt may go at `now`, oldest due first. */
  due(now: number, limit: number): OutboxItem[] {
    return this.sql.due.all(now, limit).map(fromRow)
  }

  /** When the earliest pending row is due; null when nothing is pending. */
  nextDueAt(): number | null {
    return this.sql.nextDue.get()?.at ?? null
  }

  /** The first pending row of each lane (endpoint, and phone for SMS), in created order within the lane; ordered by nextAt. */
  heads(): OutboxItem[] {
    return this.sql.heads.all().map(fromRow)
  }

  /** An attempt failed and will be retried at nextAt. */
  attempted(id: string, r: { attempts: number; nextAt: number; detail: string }): void {
    this.sql.attempted.run(r.attempts, r.nextAt, r.detail, id)
  }

  delivered(id: string, r: { attempts: number; at: number; detail: string }): void {
    this.sql.delivered.run(r.attempts, r.at, r.detail, id)
  }

  /** Given up: not retryable, too old, or its endpoint is gone. */
  failed(id: string, r: { attempts: number; detail: string }): void {
    this.sql.failed.run(r.attempts, r.detail, id)
  }

  /** Not yet (rate limit): no attempt counted. */
  defer(id: string, nextAt: number): void {
    this.sql.defer.run(nextAt, id)
  }

  get(id: string): OutboxItem | undefined {
    const row = this.sql.get.get(id)
    return row ? fromRow(row) : undefined
  }

  /** An incident's rows in created order. */
  forIncident(incidentId: string): OutboxItem[] {
    return this.sql.forIncident.all(incidentId).map(fromRow)
  }

  counts(): Record<OutboxState, number> {
    const out: Record<OutboxState, number> = { pending: 0, delivered: 0, failed: 0 }
    for (const r of this.sql.counts.all()) if (r.state in out) out[r.state as OutboxState] = r.n
    return out
  }
}

function toArgs(it: OutboxItem): InsertArgs {
  return [
    it.id, it.incidentId, it.notificationId, it.role, it.partyId, it.partyName, it.channel, it.endpointId, it.to ?? null,
    JSON.stringify(it.message), it.drill ? 1 : 0, it.createdAt, it.state, it.attempts, it.nextAt, it.lastDetail ?? null,
    it.deliveredAt ?? null,
  ]
}

function fromRow(r: Row): OutboxItem {
  return {
    id: r.id,
    incidentId: r.incident_id,
    notificationId: r.notification_id,
    role: r.role as PartyRole,
    partyId: r.party_id,
    partyName: r.party_name,
    channel: r.channel as ChannelKind,
    endpointId: r.endpoint_id,
    ...(r.to_phone !== null ? { to: r.to_phone } : {}),
    message: JSON.parse(r.message) as Message,
    drill: r.drill === 1,
    createdAt: r.created_at,
    state: r.state as OutboxState,
    attempts: r.attempts,
    nextAt: r.next_at,
    ...(r.last_detail !== null ? { lastDetail: r.last_detail } : {}),
    ...(r.delivered_at !== null ? { deliveredAt: r.delivered_at } : {}),
  }
}
