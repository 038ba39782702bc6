// Preloaded into a process under test (`node --import bench/process-probe.js …`): every
// LW_BENCH_PROBE_MS (default 1000) it appends one JSON line to LW_BENCH_PROBE_FILE with its memory
// (rss, heapUsed, heapTotal, external, arrayBuffers: bytes), its event loop utilisation since the
// last line and the event loop delay since the last line (ms: p50, p99, max, sampled every 5 ms).
// Plain JavaScript: it loads before the process registers its TypeScript loader.
import { appendFileSync } from 'node:fs'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'

const file = process.env.LW_BENCH_PROBE_FILE
if (file) {
  const everyMs = Number(process.env.LW_BENCH_PROBE_MS ?? 1000)
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  let elu = performance.eventLoopUtilization()
  const ms = (ns) => Math.round(ns / 1e4) / 100
  const timer = setInterval(() => {
    const m = process.memoryUsage()
    const now = performance.eventLoopUtilization()
    const line = {
      at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers,
      elu: Math.round(performance.eventLoopUtilization(now, elu).utilization * 1000) / 1000,
      loopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    }
    elu = now
    delay.reset()
    appendFileSync(file, JSON.stringify(line) + '\n')
  }, everyMs)
  timer.unref()
}
