// Polls one unit with its profile for the probe and the commissioning run: snapshots, link
// statistics and errors as data; the caller draws them. The installer's live probe, not the
// production loop (gateway/modbus/link-poller.ts).
import type { Profile } from '../../protocol/index.ts'
import type { ModbusLink } from '../modbus/link.ts'
import { readUnit } from '../modbus/reader.ts'
import { errorInfo, snapshotOf, type ErrorInfo, type Snapshot } from './snapshot.ts'

export interface PollStats {
  readonly polls: number
  /** every point read */
  readonly ok: number
  /** some points failed (e.g. exception 02 on one block) */
  readonly partial: number
  /** nothing read: timeout, link down, every block refused */
  readonly failed: number
  /** Modbus requests the last poll took */
  readonly requests: number
  readonly lastLatencyMs?: number
  readonly avgLatencyMs?: number
  readonly maxLatencyMs?: number
  readonly lastError?: ErrorInfo & { readonly at: number }
}

export interface Sample {
  readonly ts: number
  /** values were read in this poll (false: the snapshot is the last good one, or empty) */
  readonly fresh: boolean
  readonly snapshot: Snapshot | undefined
  /** why the poll read nothing */
  readonly error?: ErrorInfo
  readonly latencyMs: number
  readonly stats: PollStats
  readonly connected: boolean
}

export class UnitPoller {
  private snapshot: Snapshot | undefined
  private stats: PollStats = { polls: 0, ok: 0, partial: 0, failed: 0, requests: 0 }
  private latencySum = 0
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<unknown> | undefined
  private running = false

  constructor(
    private readonly link: ModbusLink,
    readonly unitId: number,
    readonly profile: Profile,
    private readonly now: () => number = Date.now,
  ) {}

  async poll(): Promise<Sample> {
    const started = this.now()
    let error: ErrorInfo | undefined
    let fresh = false
    let requests = 0
    try {
      const r = await readUnit(this.link, this.unitId, this.profile)
      requests = r.requests
      this.snapshot = snapshotOf(this.profile, r.image, r.pointErrors, this.now(), this.snapshot)
      fresh = Object.keys(this.snapshot.values).length > 0
      if (r.pointErrors.length > 0) error = errorInfo(r.pointErrors[0]!.err, this.profile.addressBase)
    } catch (err) {
      error = errorInfo(err as Error, this.profile.addressBase)
    }
    const ts = this.now()
    const latencyMs = ts - started
    const s = this.stats
    const outcome = !fresh ? 'failed' : error ? 'partial' : 'ok'
    if (fresh) this.latencySum += latencyMs
    const okPolls = s.ok + s.partial + (fresh ? 1 : 0)
    this.stats = {
      ...s,
      polls: s.polls + 1,
      [outcome]: s[outcome] + 1,
      requests,
      ...(fresh ? {
        lastLatencyMs: latencyMs,
        avgLatencyMs: Math.round(this.latencySum / okPolls),
        maxLatencyMs: Math.max(s.maxLatencyMs ?? 0, latencyMs),
      } : {}),
      ...(error ? { lastError: { ...error, at: ts } } : {}),
    }
    return {
      ts, fresh, snapshot: this.snapshot, latencyMs, stats: this.stats, connected: this.link.connected,
      ...(error && !fresh ? { error } : {}),
    }
  }

  /** Polls every `intervalMs` (measured start to start) until stop(); one poll at a time. */
  start(intervalMs: number, onSample: (s: Sample) => void): void {
    if (this.running) return
    this.running = true
    const loop = async () => {
      if (!this.running) return
      const t0 = this.now()
      const p = this.poll()
      this.inFlight = p
      const sample = await p
      this.inFlight = undefined
      if (!this.running) return
      onSample(sample)
      this.timer = setTimeout(() => void loop(), Math.max(0, intervalMs - (this.now() - t0)))
    }
    void loop()
  }

  async stop(): Promise<void> {
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.inFlight
  }
}
