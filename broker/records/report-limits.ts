// How many residents' reports the public page takes (broker/http/public-routes.ts): per client
// address a few a minute and more a day, per car some an hour. Sliding windows over the injected
// clock; the tables are capped, so a flood of invented addresses cannot grow them without end.
import { capKey } from '../../core/rate-limit.ts'

export interface ReportLimits {
  /** reports per client address and minute (default 5) */
  readonly perAddressMinute: number
  /** reports per client address and day (default 20) */
  readonly perAddressDay: number
  /** reports per car and hour (default 30) */
  readonly perCarHour: number
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = Object.freeze({ perAddressMinute: 5, perAddressDay: 20, perCarHour: 30 })

export type LimitReason = 'address' | 'car'
export type Admission = { readonly ok: true } | { readonly ok: false; readonly reason: LimitReason; readonly retryAfterS: number }

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const MAX_KEYS = 50_000

/** Times of the last `max` events per key within `windowMs`. */
class Window {
  private readonly times = new Map<string, number[]>()

  constructor(private readonly max: number, private readonly windowMs: number) {}

  /** ms until the key may have one more; 0 = now */
  waitFor(key: string, now: number): number {
    const t = this.prune(key, now)
    if (t.length < this.max) return 0
    return t[t.length - this.max]! + this.windowMs - now
  }

  add(key: string, now: number): void {
    const k = capKey(this.times, key, MAX_KEYS)
    const t = this.prune(key, now)
    t.push(now)
    if (t.length > this.max) t.splice(0, t.length - this.max)
    this.times.set(k, t)
  }

  private prune(key: string, now: number): number[] {
    const k = capKey(this.times, key, MAX_KEYS)
    const t = this.times.get(k) ?? []
    while (t.length && t[0]! <= now - this.windowMs) t.shift()
    if (!t.length) this.times.delete(k)
    return t
  }
}

export class ReportLimiter {
  private readonly minute: Window
  private readonly day: Window
  private readonly car: Window

  constructor(limits: ReportLimits, private readonly now: () => number) {
    this.minute = new Window(limits.perAddressMinute, MINUTE)
    this.day = new Window(limits.perAddressDay, DAY)
    this.car = new Window(limits.perCarHour, HOUR)
  }

  /** Whether one more report from `address` about `elevatorId` is taken now; taken ones are counted. */
  admit(address: string, elevatorId: string): Admission {
    const now = this.now()
    const byAddress = Math.max(this.minute.waitFor(address, now), this.day.waitFor(address, now))
    if (byAddress > 0) return { ok: false, reason: 'address', retryAfterS: Math.ceil(byAddress / 1000) }
    const byCar = this.car.waitFor(elevatorId, now)
    if (byCar > 0) return { ok: false, reason: 'car', retryAfterS: Math.ceil(byCar / 1000) }
    this.minute.add(address, now)
    this.day.add(address, now)
    this.car.add(elevatorId, now)
    return { ok: true }
  }
}
