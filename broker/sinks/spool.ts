// The InfluxDB sink's spill spool: line-protocol lines the server could not take yet, oldest first,
// in SQLite (WAL, synchronous FULL) under the spill directory. Lines added within one short window
// share one transaction, in chunks of at most CHUNK_LINES. A chunk leaves the spool only through
// remove(), which the sink calls after the server acknowledged it, or through the byte bound.
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { SinkError, SinkErrorCode } from './errors.ts'
import { LogThrottle } from '../../core/rate-limit.ts'
import { openSqlite } from '../../core/sqlite.ts'

export interface SpoolConfig { dir: string; maxBytes: number }
export interface SpoolBatch { uptoId: number; lines: string[] }

export const SPOOL_FILE = 'influx-spool.db'
export const CHUNK_LINES = 1000
const COMMIT_WINDOW_MS = 20
const RETRY_MS = 1000
// While the disk refuses writes, lines wait in memory; past this many the oldest are dropped.
const MAX_PENDING_LINES = 200_000

interface Chunk { id: number; lines: number; bytes: number; body: string }
interface Totals { lines: number; bytes: number }

export class Spool {
  private readonly cfg: SpoolConfig
  private readonly log: Logger
  private db: Database.Database | undefined
  private sql: ReturnType<typeof prepare> | undefined
  private pending: string[] = []
  private timer: NodeJS.Timeout | undefined
  private depth = { lines: 0, bytes: 0 }
  // chunks with id ≤ this are being re-sent: the byte bound must not drop them under the sender
  private inFlightUpTo = 0
  readonly counters = { commits: 0, writeErrors: 0, dropped: 0 }
  private readonly errorLog = new LogThrottle(10_000)
  private readonly boundLog = new LogThrottle(60_000)

  constructor(cfg: SpoolConfig, log: Logger) {
    this.cfg = cfg
    this.log = log
  }

  get isOpen(): boolean { return this.db !== undefined }
  /** lines on disk plus lines waiting for the next commit */
  get lines(): number { return this.depth.lines + this.pending.length }
  get bytes(): number { return this.depth.bytes }
  get pendingLines(): number { return this.pending.length }

  get path(): string { return join(this.cfg.dir, SPOOL_FILE) }

  open(): void {
    if (this.db) return
    let db: Database.Database | undefined
    try {
      // one sink owns a spool: a second process would re-send it twice
      db = openSqlite(this.path, { migrations: MIGRATIONS, exclusive: true, synchronous: 'full' })
      this.sql = prepare(db)
      const t = this.sql.totals.get()!
      this.depth = { lines: t.lines, bytes: t.bytes }
    } catch (err) {
      db?.close()
      throw new SinkError(SinkErrorCode.Spool, `cannot open spool ${this.path}: ${(err as Error).message}`, { path: this.path }, err)
    }
    this.db = db
  }

  /** Commits what is pending and closes the file. Idempotent. */
  close(): void {
    if (!this.db) return
    clearTimeout(this.timer)
    this.timer = undefined
    this.commit()
    if (this.pending.length > 0) {
      this.counters.dropped += this.pending.length
      this.log.error({ err: new SinkError(SinkErrorCode.Lost, 'spool closed with uncommitted lines', { lines: this.pending.length, path: this.path }) }, 'spool lines lost')
      this.pending = []
    }
    this.db.close()
    this.db = undefined
    this.sql = undefined
  }

  add(lines: readonly string[]): void {
    if (!this.db) throw new SinkError(SinkErrorCode.Spool, 'spool is not open', { path: this.path })
    for (const l of lines) this.pending.push(l)
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      this.commit()
    }, COMMIT_WINDOW_MS)
  }

  /** Writes pending lines in one transaction. false when the disk refused (retried in RETRY_MS). */
  commit(): boolean {
    const sql = this.sql
    if (!sql || this.pending.length === 0) return true
    const batch = this.pending
    let added = { lines: 0, bytes: 0 }
    try {
      added = sql.insertAll(batch)
    } catch (err) {
      this.commitFailed(err)
      return false
    }
    this.pending = []
    this.counters.commits++
    this.depth.lines += added.lines
    this.depth.bytes += added.bytes
    if (this.depth.bytes > this.cfg.maxBytes) this.enforceBound()
    return true
  }

  /** The oldest lines, at most maxLines and maxBytes (but always a whole first chunk). Commits pending first. */
  peek(maxLines: number, maxBytes: number): SpoolBatch | undefined {
    if (!this.commit()) throw new SinkError(SinkErrorCode.Spool, 'spool commit failed', { path: this.path })
    const rows = this.sql!.oldest.all(Math.max(1, Math.ceil(maxLines / CHUNK_LINES)))
    if (rows.length === 0) return undefined
    const lines: string[] = []
    let uptoId = 0
    let bytes = 0
    for (const r of rows) {
      if (lines.length > 0 && (lines.length + r.lines > maxLines || bytes + r.bytes > maxBytes)) break
      bytes += r.bytes + 1
      for (const l of r.body.split('\n')) lines.push(l)
      uptoId = r.id
    }
    this.inFlightUpTo = uptoId
    return { uptoId, lines }
  }

  /** The server took every line up to this chunk: delete them. Returns the lines deleted. */
  remove(uptoId: number): number {
    const gone = this.sql!.removeUpTo(uptoId)
    this.depth.lines -= gone.lines
    this.depth.bytes -= gone.bytes
    this.inFlightUpTo = 0
    return gone.lines
  }

  /** The re-send of the peeked chunks failed: they may be dropped by the bound again. */
  release(): void {
    this.inFlightUpTo = 0
  }

  private enforceBound(): void {
    const dropped = this.sql!.dropOldest(this.inFlightUpTo, this.depth.bytes - this.cfg.maxBytes)
    if (dropped.lines === 0) return
    this.depth.lines -= dropped.lines
    this.depth.bytes -= dropped.bytes
    this.counters.dropped += dropped.lines
    const suppressed = this.boundLog.take()
    if (suppressed !== null) {
      this.log.error({ dropped: dropped.lines, maxBytes: this.cfg.maxBytes, suppressed }, 'spool full: oldest lines dropped')
    }
  }

  private commitFailed(err: unknown): void {
    this.counters.writeErrors++
    if (this.pending.length > MAX_PENDING_LINES) {
      const excess = this.pending.length - MAX_PENDING_LINES
      this.pending.splice(0, excess)
      this.counters.dropped += excess
    }
    const suppressed = this.errorLog.take()
    if (suppressed !== null) {
      this.log.error({ err, path: this.path, pending: this.pending.length, suppressed }, 'spool write failed')
    }
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.commit()
    }, RETRY_MS)
  }
}

// AUTOINCREMENT: ids never come back after a delete, so id order is spill order across restarts
const MIGRATIONS = [`
  CREATE TABLE IF NOT EXISTS spool (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    lines INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    body  TEXT    NOT NULL
  );
`]

function prepare(db: Database.Database) {
  const insert = db.prepare<[number, number, string]>('INSERT INTO spool (lines, bytes, body) VALUES (?, ?, ?)')
  const sumUpTo = db.prepare<[number], Totals>('SELECT coalesce(sum(lines), 0) AS lines, coalesce(sum(bytes), 0) AS bytes FROM spool WHERE id <= ?')
  const deleteUpTo = db.prepare<[number]>('DELETE FROM spool WHERE id <= ?')
  const page = db.prepare<[number], { id: number; lines: number; bytes: number }>('SELECT id, lines, bytes FROM spool WHERE id > ? ORDER BY id LIMIT 256')
  const deleteId = db.prepare<[number]>('DELETE FROM spool WHERE id = ?')
  return {
    totals: db.prepare<[], Totals>('SELECT coalesce(sum(lines), 0) AS lines, coalesce(sum(bytes), 0) AS bytes FROM spool'),
    oldest: db.prepare<[number], Chunk>('SELECT id, lines, bytes, body FROM spool ORDER BY id LIMIT ?'),
    insertAll: db.transaction((batch: string[]): Totals => {
      let bytes = 0
      for (let i = 0; i < batch.length; i += CHUNK_LINES) {
        const body = batch.slice(i, i + CHUNK_LINES).join('\n')
        const size = Buffer.byteLength(body)
        insert.run(Math.min(CHUNK_LINES, batch.length - i), size, body)
        bytes += size
      }
      return { lines: batch.length, bytes }
    }),
    removeUpTo: db.transaction((uptoId: number): Totals => {
      const gone = sumUpTo.get(uptoId)!
      deleteUpTo.run(uptoId)
      return gone
    }),
    /** drops the oldest chunks after `afterId` until `excess` bytes are freed */
    dropOldest: db.transaction((afterId: number, excess: number): Totals => {
      const freed = { lines: 0, bytes: 0 }
      let last = afterId
      for (;;) {
        const rows = page.all(last)
        for (const c of rows) {
          if (freed.bytes >= excess) return freed
          deleteId.run(c.id)
          freed.lines += c.lines
          freed.bytes += c.bytes
          last = c.id
        }
        if (rows.length === 0) return freed
      }
    }),
  }
}
