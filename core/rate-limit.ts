// Bounds on what can repeat without end: a token bucket for paced sending, and a log throttle for
// conditions that recur every message or every turn for as long as an outage or a misbehaving
// client lasts (one line per key per interval, with the count of lines held back).

const monotonic = (): number => performance.now()

/** Tokens refill at `perSecond` up to `burst`; a stall does not build up more than a burst. */
export class TokenBucket {
  private tokens = 0
  private last = 0

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = monotonic,
  ) {}

  /** Starts (or restarts) with `tokens` in the bucket. */
  reset(tokens: number): void {
    this.tokens = Math.min(tokens, this.burst)
    this.last = this.now()
  }

  /** Whole tokens there now, after refilling for the time since the last call. */
  available(): number {
    const t = this.now()
    this.tokens = Math.min(this.tokens + (this.perSecond * (t - this.last)) / 1000, this.burst)
    this.last = t
    return Math.floor(this.tokens)
  }

  take(n: number): void {
    this.tokens -= n
  }
}

/** The key to count under: itself while the table has room, else `(other)`. */
export function capKey(table: ReadonlyMap<string, unknown>, key: string, maxKeys: number): string {
  return table.has(key) || table.size < maxKeys ? key : '(other)'
}

/**
 * At most one log line per key per interval; remembers how many it held back. Past maxKeys
 * distinct keys, new keys share one, so a client inventing keys cannot flood the log either.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = monotonic,
    private readonly maxKeys = 10_000,
  ) {}

  /** null: stay quiet; otherwise log now, and the number is how many lines were held back before it. */
  take(key = ''): number | null {
    const t = this.now()
    const k = capKey(this.last, key, this.maxKeys)
    const entry = this.last.get(k)
    if (entry && t - entry.at < this.intervalMs) {
      entry.suppressed++
      return null
    }
    this.last.set(k, { at: t, suppressed: 0 })
    return entry?.suppressed ?? 0
  }
}
