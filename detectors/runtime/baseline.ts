// Bounded robust statistics for the anomaly detector's learned baselines. Per metric, two rings
// in one Uint16Array: the last `recentSize` observations, and behind them the last
// `baselineSize` observations the caller chose to learn. Memory is fixed at construction
// (≤ 4 KB of state per elevator for the whole catalogue), and medians are computed only when an
// observation arrives, which is rare next to telemetry.

/** MAD × 1.4826 estimates the standard deviation of normally distributed data (Rousseeuw & Croux 1993). */
export const MAD_SCALE = 1.4826
/** Values are stored as unsigned 16-bit integers: callers scale to an integer unit (ms, per mille). */
export const MAX_STORED = 0xffff

/** Median of the first `n` entries of `buf`, which it sorts in place. NaN when n = 0. */
export function medianInPlace(buf: Float64Array, n: number): number {
  if (n === 0) return NaN
  const part = buf.subarray(0, n).sort()
  const mid = n >> 1
  return n % 2 === 1 ? part[mid]! : (part[mid - 1]! + part[mid]!) / 2
}

export const median = (xs: ArrayLike<number>): number => medianInPlace(Float64Array.from(xs), xs.length)

/** Median absolute deviation from `centre` (raw, not scaled by MAD_SCALE). */
export function mad(xs: ArrayLike<number>, centre: number): number {
  const dev = new Float64Array(xs.length)
  for (let i = 0; i < xs.length; i++) dev[i] = Math.abs(xs[i]! - centre)
  return medianInPlace(dev, dev.length)
}

/**
 * How far the recent median lies from the baseline median, in scaled MADs. `minMad` floors the
 * MAD so a perfectly steady metric (MAD 0) does not turn measurement noise into a drift; with
 * no floor any change from a constant is infinitely far.
 */
export function driftScore(recentMedian: number, baselineMedian: number, rawMad: number, minMad: number): number {
  const d = recentMedian - baselineMedian
  return d === 0 ? 0 : d / (MAD_SCALE * Math.max(rawMad, minMad))
}

export interface DriftStats {
  readonly baselineMedian: number
  /** the MAD used: the baseline's, floored at minMad */
  readonly mad: number
  readonly recentMedian: number
  readonly score: number
  readonly baselineCount: number
}

// per-metric counters after the two rings
const B_COUNT = 0
const B_HEAD = 1
const R_COUNT = 2
const R_HEAD = 3
const COUNTERS = 4

export class BaselineWindows {
  /** all metrics' rings and counters: the whole state, fixed size */
  readonly data: Uint16Array
  private readonly stride: number

  constructor(readonly metrics: number, readonly baselineSize: number, readonly recentSize: number) {
    if (baselineSize < 1 || recentSize < 1 || baselineSize > MAX_STORED || recentSize > MAX_STORED) {
      throw new RangeError('window sizes must be 1…65535')
    }
    this.stride = baselineSize + recentSize + COUNTERS
    this.data = new Uint16Array(metrics * this.stride)
  }

  baselineCount(metric: number): number {
    return this.data[this.at(metric) + this.baselineSize + this.recentSize + B_COUNT]!
  }

  recentCount(metric: number): number {
    return this.data[this.at(metric) + this.baselineSize + this.recentSize + R_COUNT]!
  }

  /**
   * Adds an observation to the recent window. When that window is full, the observation it
   * pushes out goes to the baseline if `learn`, else is dropped: the recent window is a
   * quarantine, so what the baseline learns has already been judged. True when it learned one.
   */
  push(metric: number, value: number, learn: boolean): boolean {
    const base = this.at(metric)
    const c = base + this.baselineSize + this.recentSize
    const d = this.data
    const v = Math.min(MAX_STORED, Math.max(0, Math.round(value)))
    const rStart = base + this.baselineSize
    if (d[c + R_COUNT]! < this.recentSize) {
      d[rStart + ((d[c + R_HEAD]! + d[c + R_COUNT]!) % this.recentSize)] = v
      d[c + R_COUNT] = d[c + R_COUNT]! + 1
      return false
    }
    const oldest = d[rStart + d[c + R_HEAD]!]!
    d[rStart + d[c + R_HEAD]!] = v
    d[c + R_HEAD] = (d[c + R_HEAD]! + 1) % this.recentSize
    if (!learn) return false
    if (d[c + B_COUNT]! < this.baselineSize) {
      d[base + ((d[c + B_HEAD]! + d[c + B_COUNT]!) % this.baselineSize)] = oldest
      d[c + B_COUNT] = d[c + B_COUNT]! + 1
    } else {
      d[base + d[c + B_HEAD]!] = oldest
      d[c + B_HEAD] = (d[c + B_HEAD]! + 1) % this.baselineSize
    }
    return true
  }

  /**
   * Baseline median and MAD against the recent median; null until both windows hold data. The
   * MAD is floored at `minMad` and at `minMadFraction` of the baseline median: the spread of
   * times (polling, passengers, storey heights) grows with the times themselves.
   */
  stats(metric: number, minMad: number, minMadFraction = 0): DriftStats | null {
    const bn = this.baselineCount(metric)
    const rn = this.recentCount(metric)
    if (bn === 0 || rn === 0) return null
    const base = this.at(metric)
    const scratch = new Float64Array(Math.max(bn, rn))
    scratch.set(this.data.subarray(base, base + bn))
    const baselineMedian = medianInPlace(scratch, bn)
    for (let i = 0; i < bn; i++) scratch[i] = Math.abs(scratch[i]! - baselineMedian)
    const rawMad = medianInPlace(scratch, bn)
    scratch.set(this.data.subarray(base + this.baselineSize, base + this.baselineSize + rn))
    const recentMedian = medianInPlace(scratch, rn)
    const floor = Math.max(minMad, minMadFraction * Math.abs(baselineMedian))
    return {
      baselineMedian, recentMedian, baselineCount: bn,
      mad: Math.max(rawMad, floor),
      score: driftScore(recentMedian, baselineMedian, rawMad, floor),
    }
  }

  /** Nothing observed in any metric. */
  get empty(): boolean {
    for (let m = 0; m < this.metrics; m++) if (this.baselineCount(m) > 0 || this.recentCount(m) > 0) return false
    return true
  }

  /**
   * Replaces the whole state with `values` (a copy of `data` from windows of the same sizes);
   * false, changing nothing, when they cannot be such a copy.
   */
  load(values: unknown): boolean {
    if (!Array.isArray(values) || values.length !== this.data.length) return false
    if (!values.every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_STORED)) return false
    for (let m = 0; m < this.metrics; m++) {
      const c = m * this.stride + this.baselineSize + this.recentSize
      const [bn, bh, rn, rh] = [values[c + B_COUNT], values[c + B_HEAD], values[c + R_COUNT], values[c + R_HEAD]] as number[]
      if (bn! > this.baselineSize || bh! >= this.baselineSize || rn! > this.recentSize || rh! >= this.recentSize) return false
    }
    this.data.set(values as number[])
    return true
  }

  /** The stored values, oldest first (for tests and evidence). */
  baselineValues(metric: number): number[] {
    return this.ring(metric, 0, this.baselineSize, B_COUNT, B_HEAD)
  }

  recentValues(metric: number): number[] {
    return this.ring(metric, this.baselineSize, this.recentSize, R_COUNT, R_HEAD)
  }

  private ring(metric: number, offset: number, size: number, count: number, head: number): number[] {
    const base = this.at(metric)
    const c = base + this.baselineSize + this.recentSize
    const n = this.data[c + count]!
    const h = this.data[c + head]!
    return Array.from({ length: n }, (_, i) => this.data[base + offset + ((h + i) % size)]!)
  }

  private at(metric: number): number {
    if (!Number.isInteger(metric) || metric < 0 || metric >= this.metrics) throw new RangeError(`no metric ${metric}`)
    return metric * this.stride
  }
}
