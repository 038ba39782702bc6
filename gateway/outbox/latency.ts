// publish → PUBACK latency over the last samples, for stats(); a histogram lives with the caller.
const SAMPLES = 1024

export interface LatencySummary { last: number; p50: number; p99: number; max: number; samples: number }

export class Latency {
  private readonly ring = new Float64Array(SAMPLES)
  private count = 0
  private last = 0

  record(ms: number): void {
    this.ring[this.count % SAMPLES] = ms
    this.count++
    this.last = ms
  }

  summary(): LatencySummary | null {
    const n = Math.min(this.count, SAMPLES)
    if (n === 0) return null
    const sorted = this.ring.slice(0, n).sort()
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!
    return { last: this.last, p50: at(0.5), p99: at(0.99), max: sorted[n - 1]!, samples: this.count }
  }
}
