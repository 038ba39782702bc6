// Reading what bench/process-probe.js wrote: one JSON line per interval.
import { existsSync, readFileSync } from 'node:fs'

export interface ProbeLine {
  at: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
  elu: number
  loopDelayMs: { p50: number; p99: number; max: number }
}

export function readProbe(file: string): ProbeLine[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine)
}

/** The broker's event loop over the lines written in [from, to] (ms since epoch). */
export function loopFigures(lines: ProbeLine[], from: number, to: number) {
  const w = lines.filter((l) => l.at > from && l.at <= to)
  if (!w.length) return null
  return {
    seconds: w.length,
    utilisationMean: Math.round((w.reduce((s, l) => s + l.elu, 0) / w.length) * 100) / 100,
    delayP99MsWorst: Math.max(...w.map((l) => l.loopDelayMs.p99)),
    delayMaxMs: Math.max(...w.map((l) => l.loopDelayMs.max)),
  }
}
