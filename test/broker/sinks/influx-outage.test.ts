// The long one: VictoriaMetrics is stopped for 15 s while telemetry keeps coming, 100 points/s
// during the outage. The client's in-memory retries give up within a second, the rest goes to the
// spool on disk, whose re-sends back off to their 2 s ceiling, and once the same server is back
// every point sent is stored, once. With these short retry timings a longer outage would only
// repeat the same stages.
import { afterAll, describe, expect, it } from 'vitest'
import { InfluxSink } from '../../../broker/sinks/influx.ts'
import { samples, startVm, type Vm } from './victoria-metrics.ts'
import { delay, influxConfig, silent, stored, tempDir, until } from './fixtures.ts'

const OUTAGE_MS = 15_000
const TICK_MS = 100
const SPACING_MS = 10 // timestamps of successive points: distinct at up to 100 points/s

describe('InfluxSink over a 15 s outage', () => {
  let vm: Vm | undefined
  let sink: InfluxSink | undefined
  let writer: NodeJS.Timeout | undefined
  afterAll(async () => {
    clearInterval(writer)
    await sink?.stop()
    await vm?.close()
  })

  it('stores every point sent at 100 points/s while the server was down, none twice unless a request was retried', { timeout: 120_000 }, async () => {
    const server = vm = await startVm()
    const s = sink = new InfluxSink(influxConfig(server.url, tempDir(), {
      batchSize: 500, flushIntervalMs: 200, maxRetries: 2, minRetryDelayMs: 250, maxRetryDelayMs: 2000,
      retryJitterMs: 100, timeoutMs: 2000, maxRetryTimeMs: 5000,
    }), silent)
    await s.start()
    const t0 = Date.now() - 3_600_000
    let sent = 0
    // 10 points/s until the outage (so the points written before it stay few), 100/s from then on
    let perTick = 1
    writer = setInterval(() => {
      for (let i = 0; i < perTick; i++) {
        s.writeTelemetry(stored({ elevatorId: 'OUT-1', ts: t0 + sent * SPACING_MS, seq: sent }))
        sent++
      }
    }, TICK_MS)

    await until(() => s.stats().counters.written >= 20, 'first points written')
    await server.stop()
    perTick = 10
    const down = performance.now()
    await until(() => s.stats().gauges.spooling === 1, 'client gave up in memory and spilled', 30_000)
    const spillAfterMs = performance.now() - down
    await delay(OUTAGE_MS - (performance.now() - down))
    const during = s.stats()
    expect(during.counters.written).toBeLessThan(40) // nothing reached a stopped server
    expect(during.gauges.spoolLines).toBeGreaterThan(1000)
    expect(during.gauges.clientLines).toBe(0) // memory holds nothing: it is all on disk

    await server.restart()
    const up = performance.now()
    await until(() => s.stats().gauges.spooling === 0, 'spool drained after the restart', 30_000)
    const drainMs = performance.now() - up
    // a little more direct traffic after the drain: 100 more points written, none of them spooled
    const spilled = s.stats().counters.spilled
    const writtenAtDrain = s.stats().counters.written
    await until(() => s.stats().counters.written >= writtenAtDrain + 100, 'direct writes after the drain')
    expect(s.stats().counters.spilled).toBe(spilled)
    clearInterval(writer)
    await until(() => s.stats().counters.written === sent, 'all sent points written')

    const stats = s.stats()
    expect(stats.counters).toMatchObject({ accepted: sent, written: sent, failed: 0, dropped: 0, lost: 0 })
    expect(stats.gauges.spoolLines).toBe(0)
    const series = await server.waitForExport('lift_telemetry_seq{elevator="OUT-1"}', (x) => samples(x) >= sent, 'all points in VM', 30_000)
    expect(series).toHaveLength(1)
    const { timestamps, values } = series[0]!
    const distinct = new Set(timestamps)
    expect(distinct.size).toBe(sent)
    expect([...new Set(values)].sort((a, b) => a - b)).toEqual(Array.from({ length: sent }, (_, i) => i))
    // VM keeps every sample it is given (no -dedup.minScrapeInterval), so a point sent twice shows
    // twice; that needs a request that failed after the server stored it, i.e. a retried one
    const duplicates = timestamps.length - distinct.size
    expect(duplicates).toBeLessThanOrEqual(stats.counters.retries * 500)
    console.log('outage:', JSON.stringify({ sent, raw: timestamps.length, duplicates, spillAfterMs: Math.round(spillAfterMs), drainMs: Math.round(drainMs), during: during.counters, after: stats.counters }))
  })
})
