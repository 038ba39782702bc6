// The InfluxDB sink against a real VictoriaMetrics (Debian package), written to through the real
// @influxdata/influxdb-client and read back through VM's export API.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { InfluxSink } from '../../../broker/sinks/influx.ts'
import { SPOOL_FILE } from '../../../broker/sinks/spool.ts'
import { TELEMETRY_FIELDS } from '../../../broker/sinks/fields.ts'
import { samples, startVm, type ExportedSeries, type Vm } from './victoria-metrics.ts'
import { alarmEvent, captureLog, influxConfig, REGION, silent, stored, tempDir, until } from './fixtures.ts'

/** name → timestamp → value, for one elevator's series */
function byName(series: ExportedSeries[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>()
  for (const s of series) {
    const key = s.metric.state ? `${s.metric.__name__}{${s.metric.state}}` : s.metric.__name__!
    const m = out.get(key) ?? new Map<number, number>()
    s.timestamps.forEach((t, i) => m.set(t, s.values[i]!))
    out.set(key, m)
  }
  return out
}

/** lines in the spool file, in spool order */
function spoolLines(dir: string): string[] {
  const db = new Database(join(dir, SPOOL_FILE), { readonly: true })
  try {
    return db.prepare<[], { body: string }>('SELECT body FROM spool ORDER BY id').all().flatMap((r) => r.body.split('\n'))
  } finally {
    db.close()
  }
}

describe('InfluxSink → VictoriaMetrics', () => {
  let vm: Vm
  const sinks: InfluxSink[] = []
  const sink = (s: InfluxSink) => { sinks.push(s); return s }
  beforeAll(async () => { vm = await startVm() })
  afterEach(async () => { for (const s of sinks.splice(0)) await s.stop() })
  afterAll(async () => { await vm?.close() })

  it('writes telemetry and alarm points that read back with their names, tags and values', async () => {
    const s = sink(new InfluxSink(influxConfig(vm.url, tempDir()), silent))
    await s.start()
    const ts = Date.now() - 60_000
    s.writeTelemetry(stored({ elevatorId: 'RT-1', ts, seq: 7, floorIndex: 3, position: 9.25, speed: 1.5, moving: true, door: 'open', occupied: true, load: 42.5, faultCode: 17 }))
    s.writeTelemetry(stored({ elevatorId: 'RT-1', ts: ts + 100, seq: 8, position: null, speed: null, load: null, occupied: null }))
    s.writeAlarm(alarmEvent({ elevatorId: 'RT-1', raisedAt: ts }))
    s.writeAlarm(alarmEvent({ elevatorId: 'RT-1', raisedAt: ts, clearedAt: ts + 5000, state: 'cleared', drill: true }))
    await until(() => s.stats().counters.written === 4, 'server acknowledged 4 points')
    // 20 fields + 16 (4 null) for telemetry, 5 + 6 for the alarm events
    const series = await vm.waitForExport('{elevator="RT-1"}', (x) => samples(x) === 47, 'all samples of RT-1')

    // VM names a field {measurement}_{field}; tags become labels
    const telemetry = series.filter((x) => x.metric.__name__!.startsWith('lift_telemetry_'))
    expect(new Set(telemetry.map((x) => x.metric.__name__))).toEqual(new Set(TELEMETRY_FIELDS.filter((f) => !f.optional).map((f) => `lift_telemetry_${f.name}`)))
    for (const x of telemetry) expect(x.metric).toEqual({ __name__: x.metric.__name__, elevator: 'RT-1', region: REGION, gateway: 'gw-01' })
    const alarms = series.filter((x) => x.metric.__name__!.startsWith('lift_alarm_'))
    for (const x of alarms) expect(Object.keys(x.metric).sort()).toEqual(['__name__', 'elevator', 'region', 'severity', 'state', 'type'])

    const v = byName(series)
    const at = (name: string, t: number) => v.get(name)?.get(t)
    expect([at('lift_telemetry_seq', ts), at('lift_telemetry_seq', ts + 100)]).toEqual([7, 8])
    expect(at('lift_telemetry_floorIndex', ts)).toBe(3)
    expect(at('lift_telemetry_position', ts)).toBe(9.25)
    expect(at('lift_telemetry_speed', ts)).toBe(1.5)
    expect(at('lift_telemetry_load', ts)).toBe(42.5)
    expect(at('lift_telemetry_faultCode', ts)).toBe(17)
    // booleans are 1/0
    expect([at('lift_telemetry_moving', ts), at('lift_telemetry_moving', ts + 100)]).toEqual([1, 0])
    expect([at('lift_telemetry_occupied', ts), at('lift_telemetry_safetyCircuit', ts), at('lift_telemetry_upLimit', ts)]).toEqual([1, 1, 0])
    // null is an absent field, not a zero
    for (const f of ['position', 'speed', 'load', 'occupied']) expect(v.get(`lift_telemetry_${f}`)?.has(ts + 100), f).toBe(false)
    // VM stores numbers only: a string field becomes its numeric parse, or 0 (InfluxDB keeps the text)
    expect(at('lift_telemetry_door', ts)).toBe(0)
    expect(at('lift_alarm_code{raised}', ts)).toBe(11)
    // a raised event at raisedAt, a cleared one at clearedAt
    expect(at('lift_alarm_raisedAt{raised}', ts)).toBe(ts)
    expect(at('lift_alarm_clearedAt{cleared}', ts + 5000)).toBe(ts + 5000)
    expect(v.get('lift_alarm_clearedAt{raised}')).toBeUndefined()
    expect([at('lift_alarm_drill{raised}', ts), at('lift_alarm_drill{cleared}', ts + 5000)]).toEqual([0, 1])
    expect(s.stats().counters).toMatchObject({ accepted: 4, written: 4, spilled: 0, failed: 0, lost: 0 })
  })

  it('takes a large burst in gzipped batches, every point arriving (and measures points/s)', async () => {
    const n = 50_000
    // a generous timeout: a request that times out after VM stored it is sent again (at least once)
    const s = sink(new InfluxSink(influxConfig(vm.url, tempDir(), { batchSize: 5000, maxBufferLines: 50_000, flushIntervalMs: 1000, gzipThreshold: 1000, timeoutMs: 30_000 }), silent))
    await s.start()
    const t0 = Date.now() - 3_600_000
    const started = performance.now()
    for (let i = 0; i < n; i++) s.writeTelemetry(stored({ elevatorId: `BULK-${i % 100}`, ts: t0 + i, seq: i }))
    await until(() => s.stats().counters.written === n, 'burst acknowledged', 60_000)
    const seconds = (performance.now() - started) / 1000
    const { retries } = s.stats().counters
    console.log(`influx sink → VictoriaMetrics: ${n} points (18 fields each) in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} points/s (${retries} retried requests)`)
    const distinct = (x: ExportedSeries[]) => x.reduce((sum, one) => sum + new Set(one.timestamps).size, 0)
    const series = await vm.waitForExport('lift_telemetry_seq{elevator=~"BULK-.*"}', (x) => distinct(x) === n, 'burst in VM', 30_000)
    expect(series).toHaveLength(100)
    // a duplicate needs a retried request (VM keeps both samples, InfluxDB would overwrite)
    expect(samples(series) - n).toBeLessThanOrEqual(retries * 5000)
    expect(s.stats().counters).toMatchObject({ written: n, spilled: 0, lost: 0 })
  })

  it('spools during an outage, keeps the spool over stop(), and the next start re-sends it in order', async () => {
    const dir = tempDir()
    const cfg = influxConfig(vm.url, dir)
    const point = (seq: number) => stored({ elevatorId: 'SP-1', ts: 1_790_000_000_000 + seq * 1000, seq })
    await vm.stop()

    // (a) stopped right after the writes: the client's buffer is tried once more, then spilled
    const first = sink(new InfluxSink(cfg, silent))
    await first.start()
    for (let seq = 0; seq < 50; seq++) first.writeTelemetry(point(seq))
    await first.stop()
    await first.stop() // idempotent
    expect(first.stats().counters).toMatchObject({ accepted: 50, written: 0, spilled: 50, lost: 0 })
    expect(first.stats().gauges.spoolLines).toBe(50)
    expect(() => first.writeTelemetry(point(99))).toThrow(expect.objectContaining({ code: 'LW_ERR_SINK_NOT_STARTED' }))

    // (b) a start with a non-empty spool while the server is still down: new lines queue behind it
    const second = sink(new InfluxSink(cfg, silent))
    await second.start()
    expect(second.stats().gauges.spooling).toBe(1)
    for (let seq = 50; seq < 150; seq++) second.writeTelemetry(point(seq))
    await until(() => second.stats().counters.retries > 0, 'a re-send attempt failed')
    await second.stop()
    expect(second.stats().gauges.spoolLines).toBe(150)
    const seqs = spoolLines(dir).map((l) => Number(/[ ,]seq=(\d+)i/.exec(l)![1]))
    expect(seqs).toEqual(Array.from({ length: 150 }, (_, i) => i))

    // (c) the server is back: a new sink re-sends the whole spool and empties it
    await vm.restart()
    const third = sink(new InfluxSink(cfg, silent))
    await third.start()
    await until(() => third.stats().gauges.spooling === 0, 'spool drained')
    expect(third.stats().counters).toMatchObject({ resent: 150, written: 150, failed: 0, dropped: 0 })
    expect(third.stats().gauges.spoolLines).toBe(0)
    const series = await vm.waitForExport('lift_telemetry_seq{elevator="SP-1"}', (x) => samples(x) >= 150, 'spooled points in VM')
    expect(series[0]!.values).toEqual(Array.from({ length: 150 }, (_, i) => i))
    // and new lines go straight to the server again
    third.writeTelemetry(point(150))
    await until(() => third.stats().counters.written === 151, 'direct write after the drain')
    expect(third.stats().counters.spilled).toBe(0)
    await third.stop()
    expect(spoolLines(dir)).toEqual([])
  })

  it('counts and logs lines the server refuses for good, and does not spool them', async () => {
    // VM answers 400 to a line longer than -influx.maxLineSize
    const strict = await startVm({ args: ['-influx.maxLineSize=2048'] })
    try {
      const { log, lines } = captureLog('info')
      const s = sink(new InfluxSink(influxConfig(strict.url, tempDir()), log))
      await s.start()
      s.writeAlarm(alarmEvent({ evidence: { note: 'x'.repeat(5000) } }))
      await until(() => s.stats().counters.failed === 1, 'refused line counted')
      s.writeTelemetry(stored({ ts: Date.now() }))
      await until(() => s.stats().counters.written === 1, 'next line written')
      expect(s.stats().counters).toMatchObject({ accepted: 2, written: 1, failed: 1, spilled: 0, retries: 0 })
      const refused = lines.find((l) => l.msg === 'influxdb refused lines') as { level: number; err: { code: string; data: { status: number } } } | undefined
      expect(refused?.level).toBe(50)
      expect(refused?.err).toMatchObject({ code: 'LW_ERR_SINK_REJECTED', data: { status: 400 } })
    } finally {
      await strict.close()
    }
  })
})
