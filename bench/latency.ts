// Alarm latency, paced (issue 14): a real `liftwatch broker` process (SQLite telemetry sink) under
// publishers paced at half the pipeline's maximum rate, how late entrapment alarms reach a monitor
// subscriber beyond their threshold, one at a time and 100 at the same instant.
//   1. the maximum: the publishers as fast as PUBACKs come back (at most `inflight` unacknowledged
//      per connection) for `saturateSeconds`; acked msg/s;
//   2. paced at `paceFraction` of it (bench/broker-load.ts `pace`: a fixed msg/s spread evenly over
//      the connections and over time); then `rounds` times:
//      (a) steady: `steadyCount` entrapments, one every `steadyEveryMs`;
//      (b) burst: `burst` elevators trapped at the same instant;
//      each: alarm latency = arrival at the monitor − (first trapped sample's ts + threshold), its
//      parts (bench/figures.ts alarmLatency), PUBACK p50/p99 over the window, the broker's event
//      loop (bench/process-probe.js).
// Targets: alarm p99 < 50 ms and PUBACK p99 < 20 ms in steady; burst p99 ≤ 2 × steady p99.
//   node bin/run-ts.js bench/latency.ts [rounds] [--profile] [--rate=MSG_PER_S] [--sink-batch-ms=MS] [--data-dir=DIR]   → JSON on stdout
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import mqtt from 'mqtt'
import { adminCookie, startBroker, type BrokerProcess } from './broker-process.ts'
import { LoadChild } from './load-child.ts'
import { MONITOR, makeFleet, writeFleetConfig } from './fleet-config.ts'
import { alarmLatency, median, metric, type AlarmSeen } from './figures.ts'
import { loopFigures, readProbe } from './probe-file.ts'
import { cpuSeconds } from './proc.ts'
import { summarizeProfile, type ProfileWindow } from './cpu-profile.ts'
import type { Injected, LoadSample, PubackFigures } from './broker-load.ts'

export interface LatencyBenchOptions {
  gateways?: number
  elevatorsPerGateway?: number
  inflight?: number
  thresholdMs?: number
  saturateSeconds?: number
  paceFraction?: number
  /** pace at this msg/s instead of `paceFraction` of the maximum (to compare settings at one rate) */
  rate?: number
  rounds?: number
  steadyCount?: number
  steadyEveryMs?: number
  burst?: number
  /** run the broker under `node --cpu-prof` and summarise the saturated and the steady paced windows */
  profile?: boolean
  /** the SQLite sink's batchWindowMs (unset: the broker's default) */
  sinkBatchWindowMs?: number
  /** the broker's files in this directory (e.g. /dev/shm: no fsync reaches a disk) instead of the OS temp dir */
  dataDir?: string
}

const TARGETS = { alarmP99Ms: 50, pubackP99Ms: 20, burstOverSteadyP99: 2 }
const ROOT = fileURLToPath(new URL('..', import.meta.url))
/** CLOCK_MONOTONIC, µs: the clock of V8's CPU profiles */
const monoUs = () => Number(process.hrtime.bigint() / 1000n)
const loadNow = () => loadavg().map((x) => Number(x.toFixed(2)))

export async function benchLatency(opts: LatencyBenchOptions = {}): Promise<object> {
  const o = {
    gateways: 50, elevatorsPerGateway: 20, inflight: 100, thresholdMs: 2000, saturateSeconds: 8, paceFraction: 0.5,
    rounds: 3, steadyCount: 40, steadyEveryMs: 500, burst: 100, ...opts,
  }
  const dir = mkdtempSync(join(o.dataDir ?? tmpdir(), 'lw-bench-latency-'))
  const loadBefore = loadNow()
  const fleet = makeFleet(o.gateways, o.elevatorsPerGateway)
  if ((o.steadyCount + o.burst) * o.rounds > o.gateways * o.elevatorsPerGateway) throw new Error('more entrapments than elevators')
  const probeFile = join(dir, 'probe.jsonl')
  let broker: BrokerProcess | undefined
  let pub: LoadChild | undefined
  try {
    const profDir = join(dir, 'cpu-prof')
    const windows: Record<'saturated' | 'steady' | 'burst', ProfileWindow[]> = { saturated: [], steady: [], burst: [] }
    broker = await startBroker(await writeFleetConfig(dir, fleet, { thresholdMs: o.thresholdMs, sinkBatchWindowMs: o.sinkBatchWindowMs }), {
      probe: { file: probeFile, everyMs: 1000 }, ...(o.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : {}),
    })
    const monitor = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, { ...MONITOR, clientId: 'monitor:bench', reconnectPeriod: 0 })
    const alarms: AlarmSeen[] = []
    let waiter: { n: number; resolve: () => void } | null = null
    let entrapmentsRaised = 0
    monitor.on('message', (_topic, payload) => {
      const alarm = { arrival: Date.now(), json: JSON.parse(payload.toString()) as AlarmSeen['json'] }
      alarms.push(alarm)
      if (alarm.json.type === 'entrapment' && alarm.json.state === 'raised') entrapmentsRaised++
      if (waiter && entrapmentsRaised >= waiter.n) waiter.resolve()
    })
    await monitor.subscribeAsync('lift/v1/+/+/alarm', { qos: 1 })
    /** resolves when `n` entrapments in all have been raised, or after `ms` */
    const alarmsIn = (n: number, ms: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      waiter = { n, resolve: () => { clearTimeout(timer); waiter = null; resolve() } }
      if (entrapmentsRaised >= n) waiter.resolve()
    })

    const cookie = await adminCookie(broker)
    const metricsUrl = `http://127.0.0.1:${broker.httpPort}/metrics`
    const scrape = async () => (await fetch(metricsUrl, { headers: { cookie } })).text()
    const sink = async () => {
      // a kept-alive socket the server has just closed fails once: ask again
      const text = await scrape().catch(scrape)
      return { written: metric(text, 'liftwatch_broker_sink_counters_written'), commits: metric(text, 'liftwatch_broker_sink_counters_commits') }
    }
    const sinkFigures = (a: { written: number; commits: number }, b: { written: number; commits: number }, w: number) =>
      ({ commitsPerSecond: Math.round((b.commits - a.commits) / w), rowsPerCommit: Math.round(((b.written - a.written) / Math.max(1, b.commits - a.commits)) * 10) / 10 })
    pub = await LoadChild.fork()
    await pub.request({ cmd: 'publishers', port: broker.mqttPort, gateways: fleet, inflight: o.inflight })
    const cpu = () => (broker!.assertRunning(), { at: performance.now(), broker: cpuSeconds(broker!.pid), pub: cpuSeconds(pub!.pid) })

    // 1. the maximum rate
    await pub.request({ cmd: 'go' })
    await delay(2000)
    const s0 = await pub.request<LoadSample>({ cmd: 'sample' })
    const c0 = cpu()
    const k0 = await sink()
    const m0 = monoUs()
    await delay(o.saturateSeconds * 1000)
    windows.saturated.push({ fromUs: m0, toUs: monoUs() })
    const s1 = await pub.request<LoadSample>({ cmd: 'sample' })
    const c1 = cpu()
    const k1 = await sink()
    await pub.request({ cmd: 'pause' })
    const wall = (c1.at - c0.at) / 1000
    const maxRate = Math.round((s1.acked - s0.acked) / wall)
    const saturated = { ackedPerSecond: maxRate, brokerCores: share(c1.broker - c0.broker, wall), publisherCores: share(c1.pub - c0.pub, wall), sink: sinkFigures(k0, k1, wall) }
    await delay(2000) // the sink writes what it holds

    // 2. paced at a fraction of it
    const rate = o.rate ?? Math.round(maxRate * o.paceFraction)
    await pub.request({ cmd: 'pace', pace: { msgPerSecond: rate } })
    await delay(3000)
    let trappedSoFar = 0
    const phase = async (count: number, everyMs: number) => {
      const from = Date.now()
      const m = monoUs()
      const a = await pub!.request<LoadSample>({ cmd: 'sample', resetLatency: true })
      const ca = cpu()
      const ka = await sink()
      await pub!.request({ cmd: 'trap', count, everyMs })
      trappedSoFar += count
      const want = entrapmentsRaised + count
      await alarmsIn(want, count * everyMs + o.thresholdMs + 5000)
      await delay(500) // the PUBACKs of the window in
      const puback = await pub!.request<PubackFigures>({ cmd: 'latency' })
      const b = await pub!.request<LoadSample>({ cmd: 'sample' })
      const cb = cpu()
      const kb = await sink()
      windows[everyMs > 0 ? 'steady' : 'burst'].push({ fromUs: m, toUs: monoUs() })
      const { entrapments } = await pub!.request<{ entrapments: Injected[] }>({ cmd: 'entrapments' })
      const w = (cb.at - ca.at) / 1000
      return {
        seconds: Math.round(w * 10) / 10,
        sentPerSecond: Math.round((b.sent - a.sent) / w), ackedPerSecond: Math.round((b.acked - a.acked) / w), skipped: b.skipped - a.skipped,
        brokerCores: share(cb.broker - ca.broker, w), sink: sinkFigures(ka, kb, w),
        alarmLatencyMs: alarmLatency(entrapments.slice(trappedSoFar - count, trappedSoFar), alarms, o.thresholdMs),
        pubackMs: puback,
        brokerEventLoop: loopFigures(readProbe(probeFile), from, Date.now()),
      }
    }
    type Phase = Awaited<ReturnType<typeof phase>>
    const rounds: Array<{ steady: Phase; burst: Phase; burstOverSteady: { alarmP99: number; pubackP99: number } }> = []
    for (let r = 0; r < o.rounds; r++) {
      const steady = await phase(o.steadyCount, o.steadyEveryMs)
      const burst = await phase(o.burst, 0)
      rounds.push({
        steady, burst,
        burstOverSteady: { alarmP99: ratio(burst.alarmLatencyMs.p99, steady.alarmLatencyMs.p99), pubackP99: ratio(burst.pubackMs.p99, steady.pubackMs.p99) },
      })
    }
    await pub.request({ cmd: 'stop' })
    await monitor.endAsync(true)
    let profile: object | undefined
    if (o.profile) {
      await broker.stop() // SIGTERM → exit: the profile is written
      // the main thread's profile is the largest (tsx's loader thread writes one too)
      const main = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f)).sort((x, y) => statSync(y).size - statSync(x).size)[0]
      if (main) profile = { saturated: summarizeProfile(main, ROOT, windows.saturated, 40), steadyPaced: summarizeProfile(main, ROOT, windows.steady, 40), burstPaced: summarizeProfile(main, ROOT, windows.burst, 40) }
    }

    const med = (f: (r: (typeof rounds)[number]) => number) => Math.round(median(rounds.map(f)) * 100) / 100
    const medians = {
      steady: { alarmP50: med((r) => r.steady.alarmLatencyMs.p50), alarmP99: med((r) => r.steady.alarmLatencyMs.p99), pubackP50: med((r) => r.steady.pubackMs.p50), pubackP99: med((r) => r.steady.pubackMs.p99) },
      burst: { alarmP50: med((r) => r.burst.alarmLatencyMs.p50), alarmP99: med((r) => r.burst.alarmLatencyMs.p99), pubackP50: med((r) => r.burst.pubackMs.p50), pubackP99: med((r) => r.burst.pubackMs.p99) },
      burstOverSteady: { alarmP99: med((r) => r.burstOverSteady.alarmP99), pubackP99: med((r) => r.burstOverSteady.pubackP99) },
    }
    const missed = rounds.reduce((n, r) => n + r.steady.alarmLatencyMs.missed + r.burst.alarmLatencyMs.missed, 0)
    const met = {
      alarmP99: missed === 0 && medians.steady.alarmP99 < TARGETS.alarmP99Ms,
      pubackP99: medians.steady.pubackP99 < TARGETS.pubackP99Ms,
      burstOverSteadyP99: missed === 0 && medians.burstOverSteady.alarmP99 <= TARGETS.burstOverSteadyP99,
    }
    return {
      machine: { cores: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadNow() },
      load: {
        gateways: o.gateways, elevatorsPerGateway: o.elevatorsPerGateway, elevators: o.gateways * o.elevatorsPerGateway, qos: 1,
        entrapmentThresholdMs: o.thresholdMs, steady: { count: o.steadyCount, everyMs: o.steadyEveryMs }, burst: o.burst,
      },
      saturated,
      paced: { msgPerSecond: rate, fractionOfMax: o.paceFraction, perElevatorPerSecond: Math.round((rate / fleet.length) * 10) / 10 },
      rounds,
      medians,
      targets: { ...TARGETS, met, missedAlarms: missed },
      brokerWarnings: broker.problems,
      ...(profile ? { profile } : {}),
    }
  } finally {
    await pub?.kill()
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

const share = (cpu: number, wall: number) => Number((cpu / wall).toFixed(2))
const ratio = (a: number, b: number) => Number((a / Math.max(b, 1)).toFixed(2))

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry) {
  // node bin/run-ts.js bench/latency.ts [rounds] [--profile]
  const args = process.argv.slice(2)
  const profile = args.includes('--profile')
  const option = (name: string) => { const a = args.find((x) => x.startsWith(`--${name}=`)); return a === undefined ? undefined : Number(a.split('=')[1]) }
  const batch = option('sink-batch-ms')
  const rate = option('rate')
  const dataDir = args.find((x) => x.startsWith('--data-dir='))?.split('=')[1]
  const rounds = args.find((a) => /^\d+$/.test(a))
  console.log(JSON.stringify(await benchLatency({ rounds: rounds === undefined ? undefined : Number(rounds), profile,
    ...(batch === undefined ? {} : { sinkBatchWindowMs: batch }), ...(rate === undefined ? {} : { rate }), ...(dataDir ? { dataDir } : {}) }), null, 2))
}
