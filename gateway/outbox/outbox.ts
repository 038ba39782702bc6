// The gateway's on-disk outbox: every message is committed here before it is published, and
// deleted only when the broker's PUBACK came back ("nothing acknowledged is ever lost").
// SQLite in WAL mode; messages added within one commit window (commitMs, or one event-loop turn)
// share one transaction, so staggered polls share one fsync.
import { EventEmitter } from 'node:events'
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import { OUTBOX_MIGRATIONS, OutboxStore, type BoundDrop } from './store.ts'
import { LogThrottle } from '../../core/rate-limit.ts'
import { openSqlite } from '../../core/sqlite.ts'

/** 'change' and 'availability' are state changes: never dropped to make room. */
export type MessageKind = 'change' | 'heartbeat' | 'availability'
export interface OutboxMessage { topic: string; payload: string; retain: boolean; kind: MessageKind }
export interface OutboxRow extends OutboxMessage { id: number; ts: number }

export type DropReason = 'maxMessages' | 'maxBytes' | 'maxAge' | 'writeFailed'
export type OutboxConfig = Pick<GatewayConfig['outbox'], 'path' | 'maxMessages' | 'maxBytes' | 'maxAgeHours' | 'sync'>
  & Partial<Pick<GatewayConfig['outbox'], 'commitMs'>>

export interface OutboxStats {
  depth: number       // rows on disk
  bytes: number       // topic + payload bytes of those rows (not the file size)
  pending: number     // added, not yet committed
  lastId: number      // highest row id ever committed
  commits: number     // write transactions
  writeErrors: number // failed write transactions (retried)
  drops: Record<DropReason, number>
  overBound: number   // commits that left the outbox over a bound because only state changes remained
}

export interface OutboxEvents { committed: [rows: OutboxRow[]] }

// While the disk refuses writes, messages wait in memory; past this many, heartbeats go first.
const MAX_PENDING = 100_000
const RETRY_MS = 1000
const AGE_CHECK_MS = 60_000
// Deletes ride along with the next insert transaction, or go within this long: a delete lost to
// a crash only means a duplicate, so it need not cost an fsync of its own.
const ACK_DELAY_MS = 100

export class Outbox extends EventEmitter<OutboxEvents> {
  private readonly cfg: OutboxConfig
  private readonly log: Logger
  private readonly now: () => number
  private db: Database.Database | undefined
  private store: OutboxStore | undefined
  private pending: OutboxMessage[] = []
  private acks: number[] = []
  private scheduled: NodeJS.Immediate | undefined
  private window: NodeJS.Timeout | undefined
  private retry: NodeJS.Timeout | undefined
  private ackTimer: NodeJS.Timeout | undefined
  private depth = 0
  private bytes = 0
  private lastAgeCheck = 0
  private readonly counters = { commits: 0, writeErrors: 0, overBound: 0 }
  private readonly drops: Record<DropReason, number> = { maxMessages: 0, maxBytes: 0, maxAge: 0, writeFailed: 0 }
  private readonly overBoundWarn = new LogThrottle(60_000)
  private readonly writeErrorLog = new LogThrottle(10_000)

  constructor(cfg: OutboxConfig, log: Logger, opts: { now?: () => number } = {}) {
    super()
    this.cfg = cfg
    this.log = log
    this.now = opts.now ?? Date.now
  }

  get path(): string { return this.cfg.path }
  get isOpen(): boolean { return this.db !== undefined }
  /** Highest committed row id; ids only grow (AUTOINCREMENT), so they are the insertion order. */
  get lastId(): number { return this.store?.lastId() ?? 0 }

  /** Opens (creates) the file. Throws LW_ERR_OUTBOX naming the file when it cannot. */
  open(): void {
    if (this.db) return
    const { path, sync } = this.cfg
    let db: Database.Database | undefined
    try {
      // One process owns the outbox: a second gateway on the same file would replay it twice.
      db = openSqlite(path, { migrations: OUTBOX_MIGRATIONS, exclusive: true, synchronous: sync })
      this.store = new OutboxStore(db)
    } catch (err) {
      db?.close()
      throw new GatewayError(GatewayErrorCode.Outbox, `cannot open outbox ${path}: ${(err as Error).message}`, { path }, err)
    }
    this.db = db
    const { depth, bytes } = this.store.totals()
    this.depth = depth
    this.bytes = bytes
    this.log.info({ path, depth, bytes, sync }, 'outbox opened')
  }

  /** Commits what is pending and closes the file. Idempotent. */
  close(): void {
    if (!this.db) return
    this.cancelScheduled()
    this.flush()
    if (this.pending.length > 0) this.log.error({ path: this.cfg.path, lost: this.pending.length }, 'outbox closed with uncommitted messages')
    this.db.close()
    this.db = undefined
    this.store = undefined
  }

  /**
   * Queues a message; it is committed (and 'committed' emitted) when the commit window that the
   * first pending message opened closes: after commitMs, or at the end of this turn when commitMs
   * is 0 or absent (the gateway's config defaults it to 20 ms).
   */
  add(msg: OutboxMessage): void {
    if (!this.db) throw new GatewayError(GatewayErrorCode.Outbox, 'outbox is not open', { path: this.cfg.path })
    this.pending.push(msg)
    this.schedule()
  }

  /** The broker confirmed row `id` (PUBACK): it is deleted in the next commit. */
  ack(id: number): void {
    if (!this.db) return
    this.acks.push(id)
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined
      this.flush()
    }, ACK_DELAY_MS)
  }

  /** Rows with afterId < id ≤ uptoId in insertion order. */
  read(afterId: number, uptoId: number, limit: number): OutboxRow[] {
    return this.store?.read(afterId, uptoId, limit) ?? []
  }

  /** Is there a later retained row for this topic? Then row `id` is no longer the topic's state. */
  hasNewerRetained(topic: string, id: number): boolean {
    return this.store?.hasNewerRetained(topic, id) ?? false
  }

  stats(): OutboxStats {
    return { depth: this.depth, bytes: this.bytes, pending: this.pending.length, lastId: this.lastId, ...this.counters, drops: { ...this.drops } }
  }

  /** Commits pending messages and acks now, in one transaction. Never throws: a failed write is retried. */
  flush(): void {
    this.cancelScheduled()
    const store = this.store
    if (!store || (this.pending.length === 0 && this.acks.length === 0)) return
    const batch = this.pending
    const acks = this.acks
    const now = this.now()
    const ageCutoff = now - this.lastAgeCheck >= AGE_CHECK_MS ? now - this.cfg.maxAgeHours * 3_600_000 : undefined
    let result: ReturnType<OutboxStore['commit']>
    try {
      result = store.commit(batch, acks, now, { depth: this.depth, bytes: this.bytes }, { ...this.cfg, ageCutoff })
    } catch (err) {
      this.writeFailed(err)
      return
    }
    this.pending = []
    this.acks = []
    this.counters.commits++
    if (ageCutoff !== undefined) this.lastAgeCheck = now
    this.depth = result.depth
    this.bytes = result.bytes
    this.countDrops(result.dropped)
    if (result.overBound) this.overBound()
    const rows = result.rows
    if (rows.length > 0) this.emit('committed', rows)
  }

  private schedule(): void {
    // while the disk refuses writes, the retry timer flushes
    if (this.retry) return
    const windowMs = this.cfg.commitMs ?? 0
    // Polls are staggered, so messages rarely share a turn: a window of a few ms lets them share
    // the transaction (and the fsync under synchronous=FULL). Nothing is published before its commit.
    if (windowMs > 0) {
      this.window ??= setTimeout(() => {
        this.window = undefined
        this.flush()
      }, windowMs)
      return
    }
    // setImmediate runs after the I/O callbacks of this turn: one transaction for all of them
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined
      this.flush()
    })
  }

  private cancelScheduled(): void {
    clearImmediate(this.scheduled)
    clearTimeout(this.window)
    clearTimeout(this.retry)
    clearTimeout(this.ackTimer)
    this.scheduled = undefined
    this.window = undefined
    this.retry = undefined
    this.ackTimer = undefined
  }

  private writeFailed(err: unknown): void {
    this.counters.writeErrors++
    const suppressed = this.writeErrorLog.take()
    if (suppressed !== null) {
      this.log.error({ err, path: this.cfg.path, pending: this.pending.length, suppressed }, 'outbox write failed')
    }
    if (this.pending.length > MAX_PENDING) this.shedPending()
    this.retry = setTimeout(() => {
      this.retry = undefined
      this.flush()
    }, RETRY_MS)
  }

  /** The disk keeps refusing: drop the oldest pending heartbeats, keep every state change. */
  private shedPending(): void {
    let excess = this.pending.length - MAX_PENDING
    this.pending = this.pending.filter((m) => {
      if (excess > 0 && m.kind === 'heartbeat') { excess--; this.drops.writeFailed++; return false }
      return true
    })
  }

  private countDrops(dropped: BoundDrop[]): void {
    for (const d of dropped) this.drops[d.reason] += d.count
    if (dropped.length > 0) this.log.debug({ dropped }, 'outbox heartbeats dropped')
  }

  private overBound(): void {
    this.counters.overBound++
    const suppressed = this.overBoundWarn.take()
    if (suppressed !== null) {
      const { maxMessages, maxBytes } = this.cfg
      this.log.warn({ depth: this.depth, bytes: this.bytes, maxMessages, maxBytes, suppressed }, 'outbox over its bound with only state changes left: keeping them')
    }
  }
}
