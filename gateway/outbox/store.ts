// The outbox's SQL: schema, prepared statements, and one commit = inserts + acks + bounds in a
// single transaction. Knows nothing of timers or logging (outbox.ts owns those).
import type Database from 'better-sqlite3'
import type { MessageKind, OutboxMessage, OutboxRow } from './outbox.ts'

// AUTOINCREMENT: ids are never reused, even after the newest row is deleted, so id order is
// insertion order across restarts and "id ≤ x" is a stable backlog boundary.
export const OUTBOX_MIGRATIONS = [`
  CREATE TABLE IF NOT EXISTS outbox (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    topic   TEXT    NOT NULL,
    payload TEXT    NOT NULL,
    retain  INTEGER NOT NULL,
    kind    TEXT    NOT NULL CHECK (kind IN ('change', 'heartbeat', 'availability')),
    ts      INTEGER NOT NULL,
    bytes   INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS outbox_heartbeats ON outbox (id) WHERE kind = 'heartbeat';
  CREATE INDEX IF NOT EXISTS outbox_retained ON outbox (topic, id) WHERE retain = 1;
`]

export interface BoundDrop { reason: 'maxMessages' | 'maxBytes' | 'maxAge'; count: number }
export interface Bounds { maxMessages: number; maxBytes: number; ageCutoff?: number | undefined }
export interface CommitResult { rows: OutboxRow[]; depth: number; bytes: number; dropped: BoundDrop[]; overBound: boolean }

interface RawRow { id: number; topic: string; payload: string; retain: number; kind: MessageKind; ts: number }
interface Freed { id: number; bytes: number }

export const messageBytes = (m: { topic: string; payload: string }): number => Buffer.byteLength(m.topic) + Buffer.byteLength(m.payload)

export class OutboxStore {
  private readonly db: Database.Database
  private last: number
  private readonly insert: Database.Statement<[string, string, number, string, number, number]>
  private readonly remove: Database.Statement<[number], { bytes: number }>
  private readonly oldestHeartbeats: Database.Statement<[number], Freed>
  private readonly dropHeartbeats: Database.Statement<[number], Freed>
  private readonly dropAged: Database.Statement<[number], Freed>
  private readonly range: Database.Statement<[number, number, number], RawRow>
  private readonly newerRetained: Database.Statement<[string, number], { id: number }>
  private readonly tx: (batch: OutboxMessage[], acks: number[], now: number, totals: { depth: number; bytes: number }, bounds: Bounds) => CommitResult

  constructor(db: Database.Database) {
    this.db = db
    this.insert = db.prepare('INSERT INTO outbox (topic, payload, retain, kind, ts, bytes) VALUES (?, ?, ?, ?, ?, ?)')
    this.remove = db.prepare('DELETE FROM outbox WHERE id = ? RETURNING bytes')
    this.oldestHeartbeats = db.prepare(`SELECT id, bytes FROM outbox WHERE kind = 'heartbeat' ORDER BY id LIMIT ?`)
    this.dropHeartbeats = db.prepare(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE kind = 'heartbeat' ORDER BY id LIMIT ?) RETURNING id, bytes`)
    this.dropAged = db.prepare(`DELETE FROM outbox WHERE kind = 'heartbeat' AND ts < ? RETURNING id, bytes`)
    this.range = db.prepare('SELECT id, topic, payload, retain, kind, ts FROM outbox WHERE id > ? AND id <= ? ORDER BY id LIMIT ?')
    this.newerRetained = db.prepare('SELECT id FROM outbox WHERE retain = 1 AND topic = ? AND id > ? LIMIT 1')
    const seq = db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'outbox'`).get() as { seq: number } | undefined
    this.last = seq?.seq ?? 0
    this.tx = db.transaction((batch, acks, now, totals, bounds) => this.commitInTx(batch, acks, now, totals, bounds))
  }

  lastId(): number { return this.last }

  totals(): { depth: number; bytes: number } {
    const t = this.db.prepare('SELECT count(*) AS depth, coalesce(sum(bytes), 0) AS bytes FROM outbox').get() as { depth: number; bytes: number }
    return { depth: t.depth, bytes: t.bytes }
  }

  read(afterId: number, uptoId: number, limit: number): OutboxRow[] {
    return this.range.all(afterId, Math.min(uptoId, Number.MAX_SAFE_INTEGER), limit).map((r) => ({ ...r, retain: r.retain === 1 }))
  }

  hasNewerRetained(topic: string, id: number): boolean {
    return this.newerRetained.get(topic, id) !== undefined
  }

  /** Throws on a failed write; the transaction is then rolled back and nothing changed. */
  commit(batch: OutboxMessage[], acks: number[], now: number, totals: { depth: number; bytes: number }, bounds: Bounds): CommitResult {
    const result = this.tx(batch, acks, now, totals, bounds)
    const newest = result.rows.at(-1)?.id ?? 0
    if (newest > this.last) this.last = newest
    return result
  }

  private commitInTx(batch: OutboxMessage[], acks: number[], now: number, totals: { depth: number; bytes: number }, bounds: Bounds): CommitResult {
    let { depth, bytes } = totals
    const rows: OutboxRow[] = []
    for (const m of batch) {
      const size = messageBytes(m)
      const id = Number(this.insert.run(m.topic, m.payload, m.retain ? 1 : 0, m.kind, now, size).lastInsertRowid)
      rows.push({ id, topic: m.topic, payload: m.payload, retain: m.retain, kind: m.kind, ts: now })
      depth++
      bytes += size
    }
    // acked rows a bound already dropped are simply gone
    for (const id of acks) {
      const gone = this.remove.get(id)
      if (gone) { depth--; bytes -= gone.bytes }
    }
    const dropped: BoundDrop[] = []
    const droppedIds = new Set<number>()
    const account = (reason: BoundDrop['reason'], freed: Freed[]) => {
      if (freed.length === 0) return
      for (const f of freed) { depth--; bytes -= f.bytes; droppedIds.add(f.id) }
      dropped.push({ reason, count: freed.length })
    }
    if (bounds.ageCutoff !== undefined) account('maxAge', this.dropAged.all(bounds.ageCutoff))
    if (depth > bounds.maxMessages) account('maxMessages', this.dropHeartbeats.all(depth - bounds.maxMessages))
    if (bytes > bounds.maxBytes) account('maxBytes', this.dropHeartbeats.all(this.heartbeatsToFree(bytes - bounds.maxBytes)))
    return {
      rows: droppedIds.size ? rows.filter((r) => !droppedIds.has(r.id)) : rows,
      depth, bytes, dropped,
      overBound: depth > bounds.maxMessages || bytes > bounds.maxBytes,
    }
  }

  /** How many of the oldest heartbeats free at least `excess` bytes (or all of them). */
  private heartbeatsToFree(excess: number): number {
    let n = 0
    let freed = 0
    for (let page = 512; ; page *= 2) {
      const hb = this.oldestHeartbeats.all(page)
      for (let i = n; i < hb.length; i++) {
        freed += hb[i]!.bytes
        n++
        if (freed >= excess) return n
      }
      if (hb.length < page) return n
    }
  }
}
