// What the detectors have learned about each elevator (detectors/runtime/learned.ts), kept in a
// SQLite file of its own so a restart neither forgets an anomaly baseline nor counts a car's idle
// time or maintenance period from zero (docs/performance.md#learned-state-across-restarts). One row
// per elevator and detector; a row is written only when its snapshot changed, and one too large
// is not written at all.
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs'
import type { Logger } from 'pino'
import { openSqlite, type Db } from '../../core/sqlite.ts'
import type { LearnedDrop, LearnedRecord } from '../../detectors/runtime/learned.ts'
import type { LearnedRow } from './elevators.ts'
import { DetectErrorCode } from './errors.ts'

const MIGRATIONS = [
  `CREATE TABLE learned (
     elevator_id TEXT NOT NULL,
     detector TEXT NOT NULL,
     version INTEGER NOT NULL,
     fingerprint TEXT NOT NULL,
     data TEXT NOT NULL,
     saved_at INTEGER NOT NULL,
     PRIMARY KEY (elevator_id, detector)
   ) WITHOUT ROWID`,
  'CREATE INDEX learned_saved_at ON learned (saved_at)',
] as const

export interface LearnedStoreOptions {
  /** a snapshot whose JSON is longer than this is not kept (default 64 KiB; an anomaly baseline is about 2 KB) */
  readonly maxBytes?: number
}

export interface LearnedStoreCounts {
  /** rows written */
  saved: number
  /** snapshots equal to the row already stored: not written */
  unchanged: number
  /** snapshots over maxBytes: not written */
  oversize: number
  /** stored rows not readable as a snapshot */
  unreadable: number
}

const DEFAULT_MAX_BYTES = 64 * 1024

/** 32-bit FNV-1a: a row's text is compared by this, so the store keeps no copy of it in memory. */
function hash(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

export class LearnedStore {
  readonly counts: LearnedStoreCounts = { saved: 0, unchanged: 0, oversize: 0, unreadable: 0 }
  private db: Db | null = null
  /** `${elevatorId} ${detector}` → hash of the row stored */
  private readonly stored = new Map<string, number>()
  private readonly maxBytes: number

  constructor(private readonly path: string, opts: LearnedStoreOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  }

  start(): void {
    // NORMAL: a power cut may lose the last few minutes of learning, never the file
    this.db ??= openSqlite(this.path, { migrations: MIGRATIONS, synchronous: 'normal' })
  }

  stop(): void {
    this.db?.close()
    this.db = null
  }

  /** One elevator's snapshots by detector id; empty when none (or stopped). */
  load(elevatorId: string): Map<string, LearnedRecord> {
    const out = new Map<string, LearnedRecord>()
    if (!this.db) return out
    const rows = this.db.prepare('SELECT detector, version, fingerprint, data FROM learned WHERE elevator_id = ?').all(elevatorId) as
      { detector: string; version: number; fingerprint: string; data: string }[]
    for (const r of rows) {
      try {
        out.set(r.detector, { version: r.version, fingerprint: r.fingerprint, data: JSON.parse(r.data) as unknown })
        this.stored.set(`${elevatorId} ${r.detector}`, hash(`${r.version} ${r.fingerprint} ${r.data}`))
      } catch {
        this.counts.unreadable++
      }
    }
    return out
  }

  /** Writes the rows that changed since stored, in one transaction; returns how many it wrote. */
  save(rows: readonly LearnedRow[], now: number): number {
    const db = this.db
    if (!db || rows.length === 0) return 0
    const upsert = db.prepare(`INSERT INTO learned (elevator_id, detector, version, fingerprint, data, saved_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (elevator_id, detector) DO UPDATE SET version = excluded.version, fingerprint = excluded.fingerprint, data = excluded.data, saved_at = excluded.saved_at`)
    let written = 0
    db.transaction(() => {
      for (const { elevatorId, detectorId, record } of rows) {
        const data = JSON.stringify(record.data)
        if (data.length > this.maxBytes) {
          this.counts.oversize++
          continue
        }
        const key = `${elevatorId} ${detectorId}`
        const h = hash(`${record.version} ${record.fingerprint} ${data}`)
        if (this.stored.get(key) === h) {
          this.counts.unchanged++
          continue
        }
        upsert.run(elevatorId, detectorId, record.version, record.fingerprint, data, now)
        this.stored.set(key, h)
        written++
      }
    })()
    this.counts.saved += written
    return written
  }

  /** Deletes one snapshot that no longer fits its detector, so it is not read again. */
  forget(elevatorId: string, detectorId: string): void {
    this.db?.prepare('DELETE FROM learned WHERE elevator_id = ? AND detector = ?').run(elevatorId, detectorId)
    this.stored.delete(`${elevatorId} ${detectorId}`)
  }

  /**
   * Deletes the rows not saved since `before` of elevators this process has not heard from (a row
   * it holds may just be unchanged); returns how many.
   */
  prune(before: number): number {
    const db = this.db
    if (!db) return 0
    const old = db.prepare('SELECT elevator_id AS e, detector AS d FROM learned WHERE saved_at < ?').all(before) as { e: string; d: string }[]
    const del = db.prepare('DELETE FROM learned WHERE elevator_id = ? AND detector = ?')
    let n = 0
    db.transaction(() => {
      for (const { e, d } of old) if (!this.stored.has(`${e} ${d}`)) n += del.run(e, d).changes
    })()
    return n
  }

  /** Rows stored now. */
  size(): number {
    return this.db ? (this.db.prepare('SELECT count(*) AS n FROM learned').get() as { n: number }).n : 0
  }
}

export interface LearnedKeeperCounts extends LearnedStoreCounts {
  /** stored snapshots that did not fit their detector (another format version, changed settings, unreadable) */
  dropped: number
  /** snapshot rounds that failed to write */
  errors: number
}

function roundWork(this: SchedulerAction<LearnedKeeper>, k?: LearnedKeeper): void {
  k!.round()
}

/**
 * Keeps the engine's learned state in a LearnedStore: loaded for each elevator at its first input,
 * written every `everyMs`, when an elevator is evicted for silence, and at stop.
 */
export class LearnedKeeper {
  private timer: Subscription | null = null
  private engine: { snapshots(): LearnedRow[] } | null = null
  private dropped = 0
  private errors = 0
  private readonly told = new Set<string>()

  constructor(
    private readonly store: LearnedStore,
    private readonly scheduler: SchedulerLike,
    private readonly opts: { readonly everyMs: number; readonly keepMs: number },
    private readonly log?: Logger,
  ) {}

  start(engine: { snapshots(): LearnedRow[] }): void {
    this.store.start()
    this.engine = engine
    this.timer ??= this.scheduler.schedule(roundWork, this.opts.everyMs, this)
  }

  /** Writes what the engine holds now and closes the store; the engine is stopped after. */
  stop(): void {
    this.timer?.unsubscribe()
    this.timer = null
    if (this.engine) this.save(this.engine.snapshots())
    this.engine = null
    this.store.stop()
  }

  load(elevatorId: string): ReadonlyMap<string, LearnedRecord> {
    try {
      return this.store.load(elevatorId)
    } catch (err) {
      this.errors++
      this.log?.error({ err, code: DetectErrorCode.Learned, elevatorId }, 'learned state not read; this elevator starts learning afresh')
      return new Map()
    }
  }

  /** A stored snapshot did not fit: counted, logged once per detector and reason, deleted. */
  drop(detectorId: string, elevatorId: string, why: LearnedDrop): void {
    this.dropped++
    const key = `${detectorId} ${why}`
    if (!this.told.has(key)) {
      this.told.add(key)
      this.log?.warn({ code: DetectErrorCode.Learned, detector: detectorId, elevatorId, why }, 'learned state dropped: it does not fit the detector now (logged once per detector and reason)')
    }
    try {
      this.store.forget(elevatorId, detectorId)
    } catch {
      // read again at the next start, and dropped again
    }
  }

  save(rows: readonly LearnedRow[]): void {
    try {
      this.store.save(rows, this.scheduler.now())
    } catch (err) {
      this.errors++
      this.log?.error({ err, code: DetectErrorCode.Learned, rows: rows.length }, 'learned state not written')
    }
  }

  counts(): LearnedKeeperCounts {
    return { ...this.store.counts, dropped: this.dropped, errors: this.errors }
  }

  /** @internal the periodic snapshot */
  round(): void {
    this.timer = null
    if (!this.engine) return
    this.save(this.engine.snapshots())
    try {
      this.store.prune(this.scheduler.now() - this.opts.keepMs)
    } catch (err) {
      this.errors++
      this.log?.error({ err, code: DetectErrorCode.Learned }, 'learned state not pruned')
    }
    this.timer = this.scheduler.schedule(roundWork, this.opts.everyMs, this)
  }
}
