// Sends the outbox (outbox.ts) through the channels: one timer at the next due row, per-endpoint
// send limits, retries with backoff until a give-up age, and a report of every attempt for the
// incident's timeline (docs/domain.md#notification-channels-outside-services).
//
// Rows of one lane (one endpoint; for SMS one endpoint and phone) go one at a time in created
// order: a later message never overtakes an earlier one, even while that one waits for a retry,
// so a robot that answered "too many" (WeCom errcode 45009) is not stormed by the rows behind it.
import type { SchedulerLike, Subscription } from 'rxjs'
import type { Logger } from 'pino'
import { backoffDelay } from '../../core/backoff.ts'
import { LogThrottle } from '../../core/rate-limit.ts'
import { CHANNEL_KINDS, type ChannelKind } from '../parties/schema.ts'
import type { Outbox } from './outbox.ts'
import type { AttemptReport, OutboxItem, OutboxState, ResolvedEndpoint, Send, SendResult } from './types.ts'

const MINUTE = 60_000

export interface ChannelLimit { readonly perMinute: number; readonly burst?: number }
export interface RetryPolicy { readonly minMs: number; readonly maxMs: number; readonly giveUpAfterMs: number }

export const DEFAULT_LIMITS: Readonly<Record<ChannelKind, ChannelLimit>> = {
  wecom: { perMinute: 20, burst: 20 },
  dingtalk: { perMinute: 20, burst: 20 },
  sms: { perMinute: 60 },
  webhook: { perMinute: 600 },
}
export const DEFAULT_RETRY: RetryPolicy = { minMs: 5_000, maxMs: 300_000, giveUpAfterMs: 24 * 60 * MINUTE }

export interface DispatcherOptions {
  readonly outbox: Outbox
  readonly send: Send
  readonly endpoint: (id: string) => ResolvedEndpoint | undefined
  readonly scheduler: SchedulerLike
  readonly log: Logger
  readonly limits?: Partial<Record<ChannelKind, ChannelLimit>>
  readonly retry?: Partial<RetryPolicy>
  readonly random?: () => number
  readonly concurrency?: number
  readonly onAttempt: (r: AttemptReport) => void
}

interface ChannelCounts { attempts: number; delivered: number; failed: number }

export interface DispatcherStats {
  readonly pending: number
  readonly delivered: number
  readonly failed: number
  /** sends made since start */
  readonly attempts: number
  readonly retried: number
  readonly gaveUp: number
  /** rows put back by a send limit (no attempt) */
  readonly deferred: number
  readonly inFlight: number
  readonly reportErrors: number
  readonly storeErrors: number
  readonly channels: Readonly<Record<ChannelKind, Readonly<ChannelCounts>>>
}

/**
 * At most `perMinute` sends in any 60 s, and at most `burst` in any (burst / perMinute) minute.
 * A sliding window, not a token bucket: a bucket of 20 refilling 20/min lets 39 through in one
 * minute, and WeCom and DingTalk robots refuse the 21st message of a minute.
 */
class SendWindow {
  private readonly sent: number[] = []

  constructor(private readonly perMinute: number, private readonly burst: number) {}

  /** ms until one more send keeps within the limits (0: now). */
  waitMs(now: number): number {
    while (this.sent.length > 0 && (this.sent[0] ?? 0) <= now - MINUTE) this.sent.shift()
    let until = 0
    const n = this.sent.length
    if (n >= this.perMinute) until = (this.sent[n - this.perMinute] ?? 0) + MINUTE
    if (this.burst < this.perMinute && n >= this.burst) {
      until = Math.max(until, (this.sent[n - this.burst] ?? 0) + Math.ceil((MINUTE * this.burst) / this.perMinute))
    }
    return Math.max(0, until - now)
  }

  take(now: number): void {
    this.sent.push(now)
  }
}

const laneOf = (item: OutboxItem): string => (item.to === undefined ? item.endpointId : `${item.endpointId}\u0000${item.to}`)
const errMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err))

export class Dispatcher {
  private readonly limits: Record<ChannelKind, ChannelLimit>
  private readonly retry: RetryPolicy
  private readonly concurrency: number
  private readonly random: () => number
  private readonly log: Logger
  private readonly windows = new Map<string, SendWindow>()
  private readonly inFlight = new Map<string, Promise<void>>()
  // never aborted here: channels time out on their own, and stop() waits for them
  private readonly abort = new AbortController()
  private readonly retryLog: LogThrottle
  private running = false
  private rows: Record<OutboxState, number> = { pending: 0, delivered: 0, failed: 0 }
  private kickSub: Subscription | undefined
  private timer: { sub: Subscription; at: number } | undefined
  private readonly counts = { attempts: 0, retried: 0, gaveUp: 0, deferred: 0, reportErrors: 0, storeErrors: 0 }
  private readonly channels = Object.fromEntries(CHANNEL_KINDS.map((k) => [k, { attempts: 0, delivered: 0, failed: 0 }])) as Record<ChannelKind, ChannelCounts>

  constructor(private readonly opts: DispatcherOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits }
    this.retry = { ...DEFAULT_RETRY, ...opts.retry }
    this.concurrency = opts.concurrency ?? 16
    this.random = opts.random ?? Math.random
    this.log = opts.log.child({ component: 'notify-dispatcher' })
    this.retryLog = new LogThrottle(MINUTE, () => opts.scheduler.now())
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.kick()
  }

  /** Something was inserted (or may be due): one pass soon; several kicks make one pass. */
  kick(): void {
    if (!this.running || this.kickSub) return
    this.kickSub = this.opts.scheduler.schedule(() => {
      this.kickSub = undefined
      this.pass()
    }, 0)
  }

  /** Stops the timers and waits for the sends under way (their results are written). */
  async stop(): Promise<void> {
    this.running = false
    this.kickSub?.unsubscribe()
    this.kickSub = undefined
    this.timer?.sub.unsubscribe()
    this.timer = undefined
    await this.idle()
  }

  /** Resolves when no send is under way. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values())
  }

  stats(): DispatcherStats {
    try {
      this.rows = this.opts.outbox.counts()
    } catch (err) {
      // a scrape after the store closed (shutdown) shows the last counts
      this.log.debug({ err }, 'outbox count failed')
    }
    const channels = Object.fromEntries(CHANNEL_KINDS.map((k) => [k, { ...this.channels[k] }])) as Record<ChannelKind, ChannelCounts>
    return { ...this.rows, ...this.counts, inFlight: this.inFlight.size, channels }
  }

  private pass(): void {
    if (!this.running) return
    const now = this.opts.scheduler.now()
    let heads: OutboxItem[]
    try {
      heads = this.opts.outbox.heads()
    } catch (err) {
      this.counts.storeErrors++
      this.log.error({ err }, 'outbox read failed')
      this.plan(now + this.retry.minMs)
      return
    }
    let next: number | null = null
    const later = (at: number) => { next = next === null ? at : Math.min(next, at) }
    for (const item of heads) {
      const lane = laneOf(item)
      if (this.inFlight.has(lane)) continue
      if (item.nextAt > now) { later(item.nextAt); continue }
      // a send finishing runs the next pass
      if (this.inFlight.size >= this.concurrency) continue
      const endpoint = this.opts.endpoint(item.endpointId)
      if (!endpoint) {
        const result: SendResult = { ok: false, retryable: false, detail: `endpoint ${item.endpointId} no longer in the parties directory` }
        this.finish(item, item.attempts + 1, result, now)
        continue
      }
      const window = this.window(item)
      const wait = window.waitMs(now)
      if (wait > 0) {
        if (!this.store(item, () => this.opts.outbox.defer(item.id, now + wait))) continue
        this.counts.deferred++
        later(now + wait)
        continue
      }
      window.take(now)
      const run = this.attempt(item, endpoint).finally(() => {
        this.inFlight.delete(lane)
        this.kick()
      })
      this.inFlight.set(lane, run)
    }
    this.plan(next)
  }

  /** One timer, at the earliest due head (not in flight). */
  private plan(at: number | null): void {
    if (!this.running) return
    if (this.timer && this.timer.at === at) return
    this.timer?.sub.unsubscribe()
    this.timer = undefined
    if (at === null) return
    const sub = this.opts.scheduler.schedule(() => {
      this.timer = undefined
      this.pass()
    }, Math.max(0, at - this.opts.scheduler.now()))
    this.timer = { sub, at }
  }

  private window(item: OutboxItem): SendWindow {
    let w = this.windows.get(item.endpointId)
    if (!w) {
      const limit = this.limits[item.channel]
      w = new SendWindow(limit.perMinute, limit.burst ?? limit.perMinute)
      this.windows.set(item.endpointId, w)
    }
    return w
  }

  private async attempt(item: OutboxItem, endpoint: ResolvedEndpoint): Promise<void> {
    const attempt = item.attempts + 1
    this.counts.attempts++
    this.channels[item.channel].attempts++
    let result: SendResult
    try {
      result = await this.opts.send(item, endpoint, this.abort.signal)
    } catch (err) {
      // Send never throws by contract; if it does, it is one failed attempt like any other
      result = { ok: false, retryable: true, detail: errMessage(err) }
      this.log.error({ endpointId: item.endpointId, itemId: item.id, detail: result.detail }, 'send threw')
    }
    this.finish(item, attempt, result, this.opts.scheduler.now())
  }

  private finish(item: OutboxItem, attempt: number, result: SendResult, at: number): void {
    const ctx = { endpointId: item.endpointId, itemId: item.id, channel: item.channel, attempt, detail: result.detail }
    let state: OutboxState
    let updated: OutboxItem
    if (result.ok) {
      state = 'delivered'
      updated = { ...item, state, attempts: attempt, deliveredAt: at, lastDetail: result.detail }
      if (!this.store(item, () => this.opts.outbox.delivered(item.id, { attempts: attempt, at, detail: result.detail }))) return
      this.channels[item.channel].delivered++
      this.log.debug(ctx, 'notification delivered')
    } else if (!result.retryable || at - item.createdAt >= this.retry.giveUpAfterMs) {
      state = 'failed'
      updated = { ...item, state, attempts: attempt, lastDetail: result.detail }
      if (!this.store(item, () => this.opts.outbox.failed(item.id, { attempts: attempt, detail: result.detail }))) return
      this.channels[item.channel].failed++
      if (result.retryable) this.counts.gaveUp++
      this.log.warn({ ...ctx, gaveUp: result.retryable }, 'notification failed')
    } else {
      state = 'pending'
      const delay = backoffDelay(attempt - 1, { minMs: this.retry.minMs, maxMs: this.retry.maxMs, jitter: 0.5, aboveMin: true }, this.random)
      const nextAt = at + Math.max(result.retryAfterMs ?? 0, delay)
      updated = { ...item, attempts: attempt, nextAt, lastDetail: result.detail }
      if (!this.store(item, () => this.opts.outbox.attempted(item.id, { attempts: attempt, nextAt, detail: result.detail }))) return
      this.counts.retried++
      const held = this.retryLog.take(item.endpointId)
      if (held !== null) this.log.warn({ ...ctx, nextAt, held }, 'notification will be retried')
    }
    try {
      this.opts.onAttempt({ item: updated, attempt, result, at, state })
    } catch (err) {
      this.counts.reportErrors++
      this.log.error({ err, endpointId: item.endpointId, itemId: item.id }, 'attempt report failed')
    }
  }

  /** A write the dispatcher cannot make (the store closed under it) leaves the row pending: it is sent again. */
  private store(item: OutboxItem, write: () => void): boolean {
    try {
      write()
      return true
    } catch (err) {
      this.counts.storeErrors++
      this.log.error({ err, endpointId: item.endpointId, itemId: item.id }, 'outbox write failed')
      return false
    }
  }
}
