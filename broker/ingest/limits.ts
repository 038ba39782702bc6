// Bounds for what misbehaving clients can repeat every message: log lines per key per interval,
// and the number of distinct keys a counter table may hold.

/** The key to count under: itself while the table has room, else `(other)`. */
export function capKey(table: ReadonlyMap<string, unknown>, key: string, maxKeys: number): string {
  return table.has(key) || table.size < maxKeys ? key : '(other)'
}

/**
 * At most one log line per key per interval; remembers how many it held back. Past maxKeys
 * distinct keys, new keys share one, so a client inventing keys cannot flood the log either.
 */
export class LogLimit {
  private readonly last = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 10_000,
  ) {}

  /** null: stay quiet; otherwise log now, and the number is how many lines were held back before it. */
  take(key: string): number | null {
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
