// The gateway's on-disk outbox: every message is committed here before it is published, and
// deleted only when the broker's PUBACK came back ("nothing acknowledged is ever lost").
// SQLite in WAL mode; messages added within one commit window (commitMs, or one event-loop turn)
// share one transaction, so staggered polls share one fsync.
//
// When SQLite refuses writes (SQLITE_FULL: the disk, or the file at `maxFileBytes`; any other
// write error) the messages cannot wait for the disk: while connected they go out unstored
// through `bypass` (the publisher), counted; acks still delete rows, so the backlog's replay
// frees room; storing resumes once it has (`writeState`, the `state` event).
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
  & Partial<Pick<GatewayConfig['outbox'], 'commitMs' | 'maxFileBytes'>>
/** ok; full = SQLITE_FULL (disk or maxFileBytes); failing = another write error */
export type WriteState = 'ok' | 'full' | 'failing'

export interface OutboxStats {
  depth: number       // rows on disk
  bytes: number       // topic + payload bytes of those rows (not the file size)
  pending: number     // added, not yet committed
  lastId: number      // highest row id ever committed
  commits: number     // write transactions
  writeErrors: number // failed write transactions (retried)
  drops: Record<DropReason, number>
  overBound: number   // commits that left the outbox over a bound because only state changes remained
  writeState: WriteState
  bypassed: number    // published unstored while writes failed
}

export interface OutboxEvents { committed: [rows: OutboxRow[]]; state: [state: WriteState] }
/** Publishes messages the outbox cannot store; false when it cannot either (not connected): they wait in memory. */
export type Bypass = (messages: OutboxMessage[]) => boolean

// While the disk refuses writes, messages wait in memory; past this many, heartbeats go first.
const MAX_PENDING = 100_000
const RETRY_MS = 1000
const AGE_CHECK_MS = 60_000
// A full file is tried again once the replay has deleted this share of what it held when it filled.
const FULL_RETRY_SHARE = 0.1
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
  private readonly counters = { commits: 0, writeErrors: 0, overBound: 0, bypassed: 0 }
  private writeState: WriteState = 'ok'
  /** while full: the depth at which the file filled, and when to try storing again */
  private full = { depth: 0, retryAt: 0 }
  private bypass: Bypass | undefined
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
      if (this.cfg.maxFileBytes) db.pragma(`max_page_count = ${Math.floor(this.cfg.maxFileBytes / (db.pragma('page_size', { simple: true }) as number))}`)
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
    return { depth: this.depth, bytes: this.bytes, pending: this.pending.length, lastId: this.lastId, ...this.counters, drops: { ...this.drops }, writeState: this.writeState }
  }

  get state(): WriteState { return this.writeState }

  /** Where messages go while the outbox cannot store them (the publisher's live connection). */
  onBypass(bypass: Bypass | undefined): void {
    this.bypass = bypass
  }

  /** Commits pending messages and acks now, in one transaction. Never throws: a failed write is retried. */
  flush(): void {
    this.cancelScheduled()
    const store = this.store
    if (!store || (this.pending.length === 0 && this.acks.length === 0)) return
    if (this.writeState !== 'ok' && !this.mayRetry()) return this.unstored(store)
    const batch = this.pending
    const acks = this.acks
    const now = this.now()
    const ageCutoff = now - this.lastAgeCheck >= AGE_CHECK_MS ? now - this.cfg.maxAgeHours * 3_600_000 : undefined
    let result: ReturnType<OutboxStore['commit']>
    try {
      result = store.commit(batch, acks, now, { depth: this.depth, bytes: this.bytes }, { ...this.cfg, ageCutoff })
    } catch (err) {
      this.writeFailed(err)
      this.unstored(store)
      return
    }
    if (this.writeState !== 'ok') this.setState('ok', { depth: result.depth })
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
    // while the disk refuses writes and nobody takes them unstored, the retry timer flushes
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
    const state = (err as { code?: unknown }).code === 'SQLITE_FULL' ? 'full' : 'failing'
    this.full = { depth: this.depth, retryAt: this.now() + RETRY_MS }
    if (state !== this.writeState) this.setState(state, { err, depth: this.depth, maxFileBytes: this.cfg.maxFileBytes })
  }

  /** While writes fail: try storing again? A full file once the replay freed room, any other error each RETRY_MS. */
  private mayRetry(): boolean {
    if (this.now() < this.full.retryAt) return false
    return this.writeState !== 'full' || this.depth <= this.full.depth * (1 - FULL_RETRY_SHARE) || this.full.depth === 0
  }

  /** Writes fail: acks still delete (that needs no new page), and the messages go out unstored if they can. */
  private unstored(store: OutboxStore): void {
    const acks = this.acks
    if (acks.length > 0) {
      try {
        const r = store.commit([], acks, this.now(), { depth: this.depth, bytes: this.bytes }, { ...this.cfg })
        this.acks = []
        this.depth = r.depth
        this.bytes = r.bytes
      } catch (err) {
        this.counters.writeErrors++
        this.log.debug({ err }, 'outbox acks not written')
      }
    }
    const pending = this.pending
    if (pending.length > 0 && this.bypass?.(pending)) {
      this.counters.bypassed += pending.length
      this.pending = []
    }
    if (this.pending.length > MAX_PENDING) this.shedPending()
    if (this.pending.length > 0 || this.acks.length > 0) {
      this.retry ??= setTimeout(() => {
        this.retry = undefined
        this.flush()
      }, RETRY_MS)
    }
  }

  private setState(state: WriteState, fields: Record<string, unknown>): void {
    this.writeState = state
    const at = { path: this.cfg.path, ...fields }
    if (state === 'ok') this.log.info(at, 'outbox writable again')
    else if (state === 'full') this.log.warn(at, 'outbox full: publishing live messages without storing them')
    else this.log.warn(at, 'outbox writes failing: publishing live messages without storing them')
    this.emit('state', state)
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
