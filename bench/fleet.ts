// A county of 20,000 elevators on one host (issue 14): a real `liftwatch broker` process (SQLite
// telemetry sink) with 20,000 registered elevators, each publishing 2 msg/s (a gateway's real
// rate) — 400 gateway connections × 50 elevators, 40,000 msg/s, QoS 1, paced evenly over the
// connections and over time (bench/broker-load.ts `pace`) — for `seconds` (default 600). Every
// `sampleEverySeconds` the broker's RSS and heapUsed (bench/process-probe.js, in the broker), its
// CPU (/proc) and the publishers' counters are sampled.
// Targets: broker RSS < 1 GiB, broker CPU < 1 core while accepting the offered rate, flat memory (the slope of a linear fit of RSS
// and of heapUsed over the second half < 1 MiB/min); and whether the publishers offered the rate.
//   node bin/run-ts.js bench/fleet.ts [seconds] [--per-elevator=MSG_PER_S] [--gateways=N] [--profile]   → JSON on stdout
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { summarizeProfile } from './cpu-profile.ts'
import { adminCookie, startBroker, type BrokerProcess } from './broker-process.ts'
import { LoadChild } from './load-child.ts'
import { makeFleet, writeFleetConfig } from './fleet-config.ts'
import { metric, slope } from './figures.ts'
import { readProbe } from './probe-file.ts'
import { cpuSeconds, machineJiffies, peakRssBytes, stopProcess } from './proc.ts'
import { forkBareAedes } from './bare-aedes.ts'
import type { LoadSample, PubackFigures } from './broker-load.ts'

export interface FleetBenchOptions {
  seconds?: number
  gateways?: number
  elevatorsPerGateway?: number
  /** msg/s per elevator */
  perElevatorPerSecond?: number
  sampleEverySeconds?: number
  warmupSeconds?: number
  /** first, the same paced load against bare aedes for this many seconds: can the publishers offer it at all (0: skip) */
  checkSeconds?: number
  /** unacknowledged publishes per connection beyond which a connection skips what falls due */
  maxInflight?: number
  /** run the broker under `node --cpu-prof` and summarise the measured window */
  profile?: boolean
}

const TARGETS = { rssMiB: 1024, brokerCores: 1, slopeMiBPerMinute: 1, offeredShare: 0.98 }
const MiB = 1048576
const loadNow = () => loadavg().map((x) => Number(x.toFixed(2)))
const r2 = (x: number) => Math.round(x * 100) / 100

interface Point { at: number; cpu: { broker: number; pub: number }; pub: LoadSample; accepted: number; machine: { busy: number; total: number } }

export async function benchFleet(opts: FleetBenchOptions = {}): Promise<object> {
  const o = { seconds: 600, gateways: 400, elevatorsPerGateway: 50, perElevatorPerSecond: 2, sampleEverySeconds: 10, warmupSeconds: 10, checkSeconds: 20, maxInflight: 100, ...opts }
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-fleet-'))
  const loadBefore = loadNow()
  const fleet = makeFleet(o.gateways, o.elevatorsPerGateway)
  const elevators = o.gateways * o.elevatorsPerGateway
  const offered = elevators * o.perElevatorPerSecond
  const probeFile = join(dir, 'probe.jsonl')
  let broker: BrokerProcess | undefined
  let pub: LoadChild | undefined
  try {
    const publisherCheck = o.checkSeconds > 0 ? await offerToBareAedes(fleet, offered, o.maxInflight, o.checkSeconds) : null
    const t0 = performance.now()
    const profDir = join(dir, 'cpu-prof')
    broker = await startBroker(await writeFleetConfig(dir, fleet), {
      probe: { file: probeFile, everyMs: o.sampleEverySeconds * 1000 }, ...(o.profile ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] } : {}),
    })
    const startSeconds = r2((performance.now() - t0) / 1000)
    const cookie = await adminCookie(broker)
    const scrape = async () => (await fetch(`http://127.0.0.1:${broker!.httpPort}/metrics`, { headers: { cookie } })).text()
    const accepted = async () => metric(await scrape().catch(scrape), 'liftwatch_broker_ingest', { stat: 'accepted' })

    pub = await LoadChild.fork()
    const t1 = performance.now()
    await pub.request({ cmd: 'publishers', port: broker.mqttPort, gateways: fleet, inflight: 100 })
    const connectSeconds = r2((performance.now() - t1) / 1000)
    await pub.request({ cmd: 'go', pace: { msgPerSecond: offered, tickMs: 10, maxInflight: o.maxInflight } })
    await delay(o.warmupSeconds * 1000)
    const point = async (): Promise<Point> => {
      broker!.assertRunning()
      const [s, acc] = await Promise.all([pub!.request<LoadSample>({ cmd: 'sample' }), accepted()])
      return { at: performance.now(), cpu: { broker: cpuSeconds(broker!.pid), pub: cpuSeconds(pub!.pid) }, pub: s, accepted: acc, machine: machineJiffies() }
    }
    await pub.request({ cmd: 'latency', reset: true })
    const from = Date.now()
    const fromUs = Number(process.hrtime.bigint() / 1000n)
    const points: Point[] = [await point()]
    const end = performance.now() + o.seconds * 1000
    while (performance.now() < end) {
      await delay(Math.min(o.sampleEverySeconds * 1000, end - performance.now()))
      points.push(await point())
    }
    const puback = await pub.request<PubackFigures>({ cmd: 'latency' })
    const to = Date.now()
    const toUs = Number(process.hrtime.bigint() / 1000n)
    const peakRss = peakRssBytes(broker.pid)
    await pub.request({ cmd: 'stop' })
    let profile: object | undefined
    if (o.profile) {
      await broker.stop() // SIGTERM → exit: the profile is written
      const main = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f)).sort((x, y) => statSync(y).size - statSync(x).size)[0]
      if (main) profile = summarizeProfile(main, fileURLToPath(new URL('..', import.meta.url)), { fromUs, toUs }, 30)
    }

    const a = points[0]!
    const b = points.at(-1)!
    const wall = (b.at - a.at) / 1000
    const rate = (f: (p: Point) => number) => Math.round((f(b) - f(a)) / wall)
    const cores = (x: Point, y: Point, f: (p: Point) => number) => r2((f(y) - f(x)) / ((y.at - x.at) / 1000))
    const intervals = points.slice(1).map((p, i) => cores(points[i]!, p, (q) => q.cpu.broker))
    const probe = readProbe(probeFile).filter((l) => l.at >= from && l.at <= to)
    const half = probe.filter((l) => l.at >= from + (to - from) / 2)
    const series = (f: (l: (typeof probe)[number]) => number) => {
      const ys = probe.map(f)
      return {
        minMiB: Math.round(Math.min(...ys) / MiB), maxMiB: Math.round(Math.max(...ys) / MiB),
        slopeSecondHalfMiBPerMinute: r2(slope(half.map((l) => [(l.at - from) / 60_000, f(l) / MiB]))),
      }
    }
    const rss = series((l) => l.rss)
    const heapUsed = series((l) => l.heapUsed)
    const external = series((l) => l.external)
    const brokerCores = cores(a, b, (p) => p.cpu.broker)
    const sentPerSecond = rate((p) => p.pub.sent)
    const acceptedPerSecond = rate((p) => p.accepted)
    const met = {
      rss: Math.max(rss.maxMiB, Math.round(peakRss / MiB)) < TARGETS.rssMiB,
      // under a core only counts while the broker accepts what is offered (a saturated broker starved of CPU uses less)
      brokerCpu: brokerCores < TARGETS.brokerCores && acceptedPerSecond >= TARGETS.offeredShare * offered,
      flatMemory: half.length >= 3 && Math.abs(rss.slopeSecondHalfMiBPerMinute) < TARGETS.slopeMiBPerMinute && Math.abs(heapUsed.slopeSecondHalfMiBPerMinute) < TARGETS.slopeMiBPerMinute,
      offeredRate: sentPerSecond >= TARGETS.offeredShare * offered,
    }
    return {
      seconds: r2(wall),
      machine: { cores: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadNow(), busyCores: r2(((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * cpus().length) },
      load: {
        gateways: o.gateways, elevatorsPerGateway: o.elevatorsPerGateway, elevators, perElevatorPerSecond: o.perElevatorPerSecond, qos: 1,
        offeredPerSecond: offered, maxInflightPerConnection: o.maxInflight, brokerStartSeconds: startSeconds, connectSeconds,
      },
      publisherCheckAgainstBareAedes: publisherCheck,
      publishers: {
        sentPerSecond, ackedPerSecond: rate((p) => p.pub.acked), skipped: b.pub.skipped - a.pub.skipped,
        achievedShareOfOffered: r2(sentPerSecond / offered), cores: cores(a, b, (p) => p.cpu.pub), pubackMs: puback,
      },
      broker: {
        acceptedPerSecond, cores: brokerCores, coresPerInterval: { min: Math.min(...intervals), max: Math.max(...intervals) },
        rss, heapUsed, external, peakRssMiB: Math.round(peakRss / MiB),
        eventLoop: { utilisationMean: r2(probe.reduce((s, l) => s + l.elu, 0) / Math.max(1, probe.length)), delayP99MsWorst: Math.max(0, ...probe.map((l) => l.loopDelayMs.p99)) },
        samples: probe.map((l) => ({ t: Math.round((l.at - from) / 1000), rssMiB: Math.round(l.rss / MiB), heapUsedMiB: Math.round(l.heapUsed / MiB), externalMiB: Math.round(l.external / MiB), elu: l.elu })),
        cpuPerInterval: intervals,
        warnings: broker.problems,
      },
      targets: { ...TARGETS, met },
      ...(profile ? { profile } : {}),
    }
  } finally {
    await pub?.kill()
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same publishers, paced the same, against bare aedes: what they can offer when nothing holds them back. */
async function offerToBareAedes(fleet: ReturnType<typeof makeFleet>, offered: number, maxInflight: number, seconds: number) {
  const aedes = await forkBareAedes()
  const pub = await LoadChild.fork()
  try {
    await pub.request({ cmd: 'publishers', port: aedes.port, gateways: fleet, inflight: 100 })
    await pub.request({ cmd: 'go', pace: { msgPerSecond: offered, tickMs: 10, maxInflight } })
    await delay(3000)
    const a = await pub.request<LoadSample>({ cmd: 'sample', resetLatency: true })
    const ca = { at: performance.now(), pub: cpuSeconds(pub.pid), aedes: cpuSeconds(aedes.proc.pid!) }
    await delay(seconds * 1000)
    const b = await pub.request<LoadSample>({ cmd: 'sample' })
    const cb = { at: performance.now(), pub: cpuSeconds(pub.pid), aedes: cpuSeconds(aedes.proc.pid!) }
    const puback = await pub.request<PubackFigures>({ cmd: 'latency' })
    const wall = (cb.at - ca.at) / 1000
    return {
      seconds, sentPerSecond: Math.round((b.sent - a.sent) / wall), ackedPerSecond: Math.round((b.acked - a.acked) / wall), skipped: b.skipped - a.skipped,
      publisherCores: r2((cb.pub - ca.pub) / wall), aedesCores: r2((cb.aedes - ca.aedes) / wall), pubackMs: puback,
    }
  } finally {
    await pub.kill()
    await stopProcess(aedes.proc)
  }
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry) {
  // node bin/run-ts.js bench/fleet.ts [seconds] [--per-elevator=MSG_PER_S] [--gateways=N]
  const args = process.argv.slice(2)
  const option = (name: string) => { const a = args.find((x) => x.startsWith(`--${name}=`)); return a === undefined ? undefined : Number(a.split('=')[1]) }
  const seconds = args.find((a) => /^\d+$/.test(a))
  const perElevatorPerSecond = option('per-elevator')
  const gateways = option('gateways')
  const profile = args.includes('--profile')
  console.log(JSON.stringify(await benchFleet({
    ...(seconds === undefined ? {} : { seconds: Number(seconds) }), profile, checkSeconds: profile ? 0 : 20,
    ...(perElevatorPerSecond === undefined ? {} : { perElevatorPerSecond }),
    // the same 20,000 elevators over fewer connections
    ...(gateways === undefined ? {} : { gateways, elevatorsPerGateway: Math.round(20_000 / gateways) }),
  }), null, 2))
}
