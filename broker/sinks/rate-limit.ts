// At most one log line per interval for conditions that can repeat every turn during an outage.
export class RateLimit {
  private readonly intervalMs: number
  private last = Number.NEGATIVE_INFINITY
  private suppressed = 0

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs
  }

  /** true when a line may be logged now; otherwise counts one suppressed line. */
  allow(): boolean {
    const t = performance.now()
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
