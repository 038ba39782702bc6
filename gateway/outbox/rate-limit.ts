// At most one log line per interval for conditions that can repeat every turn for days.
export class RateLimit {
  private readonly intervalMs: number
  private readonly now: () => number
  private last = Number.NEGATIVE_INFINITY
  private suppressed = 0

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.intervalMs = intervalMs
    this.now = now
  }

  /** true when a line may be logged now; otherwise counts one suppressed line. */
  allow(): boolean {
    const t = this.now()
    if (t - this.last >= this.intervalMs) {
      this.last = t
      return true
    }
    this.suppressed++
    return false
  }

  /** Lines suppressed since the last one logged (and resets the count). */
  take(): number {
    const n = this.suppressed
    this.suppressed = 0
    return n
  }
}
