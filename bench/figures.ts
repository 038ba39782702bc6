// Figures the benchmarks read out of what they measured: percentiles, Prometheus samples, the time
// in an alarm id. Pure.

export function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b)
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? 0
  return { p50: at(0.5), p99: at(0.99), max: s.at(-1) ?? 0 }
}

export const pick = (xs: number[]) => { const { p50, p99 } = percentiles(xs); return { p50, p99 } }

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
/** ms of a ULID-shaped alarm id (detectors/runtime/lifecycle.ts alarmIds: the broker's clock at detection) */
export function ulidTime(id: string | undefined): number | null {
  if (!id || id.length < 10) return null
  let t = 0
  for (const ch of id.slice(0, 10)) {
    const v = CROCKFORD.indexOf(ch)
    if (v < 0) return null
    t = t * 32 + v
  }
  return t
}

/** Sum of the samples of a Prometheus family with these labels (names may have capitals). */
export function metric(text: string | undefined, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of (text ?? '').split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4])
  }
  return sum
}
