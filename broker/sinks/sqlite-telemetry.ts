// The embedded telemetry sink, used when no InfluxDB is configured: a SQLite file (WAL) with one
// insert transaction per event-loop turn (or per short window), and retention that deletes rows
// older than N days in small transactions so ingest never waits long on the file.
import { Type, type Static } from '@sinclair/typebox'
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import { parseSection } from './config.ts'
import { SinkError, SinkErrorCode } from './errors.ts'
import { LogThrottle } from '../../core/rate-limit.ts'
import { openSqlite } from '../../core/sqlite.ts'
import { PENDING_ENTRIES, TELEMETRY_MIGRATIONS, openTelemetryStore, type PendingSamples, type TelemetryStore } from './sqlite-telemetry-store.ts'
import type { StoredTelemetry, TelemetrySink } from './types.ts'

const Int = (def: number, description: string, minimum = 0) => Type.Integer({ minimum, default: def, description })

export const SqliteTelemetrySinkConfigSchema = Type.Object({
  path: Type.String({ minLength: 1, default: './data/telemetry.db', description: 'SQLite file' }),
  retentionDays: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'rows whose ts is older are deleted' }),
  pruneIntervalMs: Int(60_000, 'how often rows past retention are looked for', 10),
  pruneBatchRows: Int(2000, 'rows deleted per transaction; other work runs between transactions', 1),
  batchWindowMs: Int(0, '0: one insert transaction per event-loop turn; more: one per window of this many ms'),
  sync: Type.Union([Type.Literal('normal'), Type.Literal('full')], { default: 'normal', description: 'SQLite synchronous: full also survives power loss' }),
}, { additionalProperties: false, default: {} })
export type SqliteTelemetrySinkConfig = Static<typeof SqliteTelemetrySinkConfigSchema>

export function parseSqliteTelemetrySinkConfig(data: unknown, path = 'telemetry.sqlite'): Readonly<SqliteTelemetrySinkConfig> {
  return parseSection(SqliteTelemetrySinkConfigSchema, data, path)
}

const DAY_MS = 86_400_000
const RETRY_MS = 1000
const MAX_PENDING = 100_000 // rows held in memory while the file refuses writes; then the oldest go
const DEFAULT_LIMIT = 10_000

export class SqliteTelemetrySink implements TelemetrySink {
  readonly kind = 'sqlite'
  private readonly cfg: Readonly<SqliteTelemetrySinkConfig>
  private readonly now: () => number
  private readonly log: Logger
  private db: Database.Database | undefined
  private store: TelemetryStore | undefined
  /** pending samples, flat (sqlite-telemetry-store.ts PendingSamples): no object per sample is made for them */
  private telemetry: PendingSamples = []
  private alarmEvents: AlarmEvent[] = []
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined
  private retry: NodeJS.Timeout | undefined
  private pruneTimer: NodeJS.Timeout | undefined
  private pruning: Promise<number> | undefined
  private stopping: Promise<void> | undefined
  private readonly counters = { accepted: 0, written: 0, commits: 0, writeErrors: 0, dropped: 0, pruned: 0, pruneErrors: 0 }
  private readonly errorLog = new LogThrottle(10_000)

  constructor(cfg: Readonly<SqliteTelemetrySinkConfig>, log: Logger, opts: { now?: () => number } = {}) {
    this.cfg = cfg
    this.log = log
    this.now = opts.now ?? Date.now
  }

  async start(): Promise<void> {
    if (this.db) return
    const { path, sync } = this.cfg
    let db: Database.Database | undefined
    try {
      db = openSqlite(path, { migrations: TELEMETRY_MIGRATIONS, synchronous: sync })
      this.store = openTelemetryStore(db)
    } catch (err) {
      db?.close()
      throw new SinkError(SinkErrorCode.Store, `cannot open telemetry store ${path}: ${(err as Error).message}`, { path }, err)
    }
    this.db = db
    this.log.info({ path, retentionDays: this.cfg.retentionDays, ...this.store.rows() }, 'sqlite telemetry sink started')
    // a broker that was down for weeks should not wait a whole interval to catch up on retention
    this.schedulePrune(0)
  }

  /** Commits what is pending and closes the file. Idempotent. */
  stop(): Promise<void> {
    if (!this.db) return Promise.resolve()
    this.stopping ??= this.shutdown().finally(() => { this.stopping = undefined })
    return this.stopping
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.pruneTimer)
    this.pruneTimer = undefined
    await Promise.allSettled([this.pruning])
    this.flush()
    this.cancelScheduled()
    const lost = this.pendingRows()
    if (lost > 0) {
      this.counters.dropped += lost
      this.log.error({ err: new SinkError(SinkErrorCode.Lost, 'telemetry store closed with uncommitted rows', { rows: lost, path: this.cfg.path }) }, 'telemetry rows lost')
      this.telemetry = []
      this.alarmEvents = []
    }
    this.db!.close()
    this.db = undefined
    this.store = undefined
    this.log.info({ ...this.counters }, 'sqlite telemetry sink stopped')
  }

  writeTelemetry(t: StoredTelemetry): void {
    this.writeSample(t, t.elevatorId, t.region)
  }

  writeSample(msg: Telemetry, elevatorId: string, region: string, ts: number = msg.ts): void {
    this.accept()
    this.telemetry.push(msg, elevatorId, region, ts)
    this.schedule()
  }

  writeAlarm(a: AlarmEvent): void {
    this.accept()
    this.alarmEvents.push(a)
    this.schedule()
  }

  /** The newest stored point of this elevator (what is pending is committed first). */
  latest(elevatorId: string): StoredTelemetry | undefined {
    return this.read().latest(elevatorId)
  }

  /** Points with from ≤ ts < to, oldest first, at most `limit`. */
  range(elevatorId: string, from: number, to: number, limit = DEFAULT_LIMIT): StoredTelemetry[] {
    return this.read().range(elevatorId, from, to, limit)
  }

  /** Alarm events with from ≤ event time < to, oldest first. */
  alarms(elevatorId: string, from: number, to: number, limit = DEFAULT_LIMIT): AlarmEvent[] {
    return this.read().alarms(elevatorId, from, to, limit)
  }

  /** Deletes every row older than the retention, a batch per transaction. Returns rows deleted. */
  async prune(): Promise<number> {
    // one pass at a time; a pass that failed was reported to its own caller
    while (this.pruning) await Promise.allSettled([this.pruning])
    const run = this.prunePass()
    this.pruning = run
    try {
      return await run
    } finally {
      this.pruning = undefined
    }
  }

  private async prunePass(): Promise<number> {
    const cutoff = this.now() - this.cfg.retentionDays * DAY_MS
    const batch = this.cfg.pruneBatchRows
    let total = 0
    for (const table of ['telemetry', 'alarms'] as const) {
      for (;;) {
        const store = this.store
        if (!store) return total
        const n = table === 'telemetry' ? store.deleteTelemetryBefore(cutoff, batch) : store.deleteAlarmsBefore(cutoff, batch)
        total += n
        this.counters.pruned += n
        if (n < batch) break
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    if (total > 0) this.log.debug({ deleted: total, cutoff }, 'telemetry past retention deleted')
    return total
  }

  /** Commits pending rows now, in one transaction. Never throws: a failed write is retried. */
  flush(): void {
    this.cancelScheduled()
    const store = this.store
    if (!store || (this.telemetry.length === 0 && this.alarmEvents.length === 0)) return
    const telemetry = this.telemetry
    const alarms = this.alarmEvents
    try {
      store.insert(telemetry, alarms)
    } catch (err) {
      this.writeFailed(err)
      return
    }
    this.telemetry = []
    this.alarmEvents = []
    this.counters.commits++
    this.counters.written += telemetry.length / PENDING_ENTRIES + alarms.length
  }

  stats() {
    return {
      counters: { ...this.counters },
      gauges: { running: this.db ? 1 : 0, pendingRows: this.pendingRows() },
    }
  }

  private pendingRows(): number {
    return this.telemetry.length / PENDING_ENTRIES + this.alarmEvents.length
  }

  private accept(): void {
    if (!this.db) throw new SinkError(SinkErrorCode.NotStarted, 'sqlite telemetry sink is not running', { path: this.cfg.path })
    this.counters.accepted++
  }

  private read(): TelemetryStore {
    if (!this.store) throw new SinkError(SinkErrorCode.NotStarted, 'sqlite telemetry sink is not running', { path: this.cfg.path })
    this.flush()
    return this.store
  }

  private schedule(): void {
    if (this.retry || this.scheduled) return
    // setImmediate runs after this turn's I/O callbacks: one transaction for all of them
    const run = () => { this.scheduled = undefined; this.flush() }
    this.scheduled = this.cfg.batchWindowMs > 0 ? setTimeout(run, this.cfg.batchWindowMs) : setImmediate(run)
  }

  private cancelScheduled(): void {
    if (this.scheduled !== undefined) {
      clearTimeout(this.scheduled as NodeJS.Timeout)
      clearImmediate(this.scheduled as NodeJS.Immediate)
    }
    clearTimeout(this.retry)
    this.scheduled = undefined
    this.retry = undefined
  }

  private writeFailed(err: unknown): void {
    this.counters.writeErrors++
    const excess = this.pendingRows() - MAX_PENDING
    if (excess > 0) {
      // alarm events are few and matter more: the oldest telemetry goes first
      const fromTelemetry = Math.min(excess, this.telemetry.length / PENDING_ENTRIES)
      this.telemetry.splice(0, fromTelemetry * PENDING_ENTRIES)
      this.alarmEvents.splice(0, excess - fromTelemetry)
      this.counters.dropped += excess
    }
    const suppressed = this.errorLog.take()
    if (suppressed !== null) {
      this.log.error({ err, path: this.cfg.path, pending: this.pendingRows(), suppressed }, 'telemetry write failed')
    }
    this.retry = setTimeout(() => { this.retry = undefined; this.flush() }, RETRY_MS)
  }

  private schedulePrune(delayMs: number): void {
    this.pruneTimer = setTimeout(() => {
      this.pruneTimer = undefined
      this.prune().catch((err: unknown) => {
        this.counters.pruneErrors++
        this.log.error({ err, path: this.cfg.path }, 'telemetry retention failed')
      }).finally(() => {
        if (this.db && !this.stopping) this.schedulePrune(this.cfg.pruneIntervalMs)
      })
    }, delayMs)
  }
}
