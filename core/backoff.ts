// Exponential backoff with jitter, for everything that retries: Modbus links, offline units,
// the gateway's MQTT connection, the InfluxDB sink's spool. The jitter spreads a fleet that lost
// the same peer at the same moment, so it does not come back in one burst.
//
// The n-th delay (n = 0 first) has a ceiling of min(maxMs, minMs · factor^n); `jitter` is the share
// of it drawn at random: 1 is "full jitter", uniform in [0, ceiling]; 0.5 is uniform in
// [ceiling/2, ceiling]; 0 is no randomness. With `aboveMin` the random share applies only to the part
// above minMs, so no delay is shorter than minMs. `jitterMs` adds up to that many ms on top.

export interface BackoffPolicy {
  minMs: number
  maxMs: number
  /** growth per attempt (default 2) */
  factor?: number
  /** share of the ceiling drawn at random, 0…1 (default 1) */
  jitter?: number
  /** never below minMs: jitter only above it */
  aboveMin?: boolean
  /** a random extra of up to this many ms */
  jitterMs?: number
}

/** Delay before retry number `n` (0 = the first retry), in whole ms. `random` returns [0, 1). */
export function backoffDelay(n: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const { minMs, maxMs, factor = 2, jitter = 1, aboveMin = false, jitterMs = 0 } = policy
  const ceiling = Math.min(maxMs, minMs * factor ** Math.max(0, n))
  const span = aboveMin ? Math.max(0, ceiling - minMs) : ceiling
  const r = random()
  return Math.round(ceiling - span * jitter * (1 - r) + jitterMs * r)
}

/** A retry loop's state: each `next()` is the following delay; `reset()` after a success. */
export class Backoff {
  private n = 0

  constructor(private readonly policy: BackoffPolicy, private readonly random: () => number = Math.random) {}

  /** Retries so far since the last reset (the number the next delay is for). */
  get attempt(): number {
    return this.n
  }

  next(): number {
    return backoffDelay(this.n++, this.policy, this.random)
  }

  reset(): void {
    this.n = 0
  }
}
