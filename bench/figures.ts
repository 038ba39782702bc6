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

/** An alarm event as a monitor subscriber saw it: its arrival (ms since epoch) and its JSON. */
export interface AlarmSeen {
  arrival: number
  json: { id?: string; type?: string; state?: string; elevatorId?: string; raisedAt?: number; detectedAt?: number; evidence?: { detectedAt?: number } }
}

/** An entrapment the load injected: the ts of its first trapped sample (null: never sent). */
export interface Trapped { elevatorId: string; firstTrappedTs: number | null }

const round1 = (x: number) => Math.round(x * 10) / 10
const figures = (xs: number[]) => { const p = percentiles(xs); return { p50: round1(p.p50), p99: round1(p.p99), max: round1(p.max) } }

/**
 * Entrapment alarm latency beyond the threshold: arrival − (first trapped ts + threshold), with its
 * parts: the broker's clock correction of the sample's ts (raisedAt − first trapped ts), how late
 * the detector fired after its due time on its own clock (evidence.detectedAt − (raisedAt +
 * threshold)), the lifecycle's clock after that (detectedAt − evidence.detectedAt), and the way
 * from the lifecycle to the monitor: store, publish, forward (arrival − detectedAt).
 */
export function alarmLatency(trapped: Trapped[], alarms: AlarmSeen[], thresholdMs: number) {
  const raised = new Map<string, AlarmSeen>()
  for (const a of alarms) {
    if (a.json.type === 'entrapment' && a.json.state === 'raised' && a.json.elevatorId && !raised.has(a.json.elevatorId)) raised.set(a.json.elevatorId, a)
  }
  const total: number[] = []
  const clock: number[] = []
  const fired: number[] = []
  const lifecycle: number[] = []
  const delivery: number[] = []
  for (const t of trapped) {
    const a = raised.get(t.elevatorId)
    if (!a || t.firstTrappedTs === null) continue
    total.push(a.arrival - (t.firstTrappedTs + thresholdMs))
    const { raisedAt, detectedAt, evidence } = a.json
    if (typeof raisedAt !== 'number' || typeof detectedAt !== 'number' || typeof evidence?.detectedAt !== 'number') continue
    clock.push(raisedAt - t.firstTrappedTs)
    fired.push(evidence.detectedAt - (raisedAt + thresholdMs))
    lifecycle.push(detectedAt - evidence.detectedAt)
    delivery.push(a.arrival - detectedAt)
  }
  return {
    count: total.length, injected: trapped.length, missed: trapped.length - total.length, ...figures(total),
    parts: { clockCorrection: figures(clock), firedLate: figures(fired), lifecycleClock: figures(lifecycle), detectionToArrival: figures(delivery) },
  }
}

/** Least-squares slope of y over x. */
export function slope(points: Array<[x: number, y: number]>): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, [x]) => s + x, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) { num += (x - mx) * (y - my); den += (x - mx) ** 2 }
  return den === 0 ? 0 : num / den
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  if (!s.length) return 0
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
