// The broker host under gateway load: how many telemetry messages a second it accepts, what that
// costs it in CPU and memory, how that compares with bare aedes on the same machine, and how late
// entrapment alarms reach a subscriber meanwhile.
//   1. bare aedes (own process, no hooks) forwarding the publishers' QoS 1 messages to one QoS 1
//      subscriber (own process);
//   2. `liftwatch broker` (own process; SQLite telemetry sink, then the InfluxDB sink writing into
//      VictoriaMetrics) under the same publishers: 50 gateway connections, each authenticated as
//      its gateway, publishing valid v1 telemetry for its 20 registry elevators with QoS 1, at
//      most 100 unacknowledged per connection. Every 500 ms one elevator becomes an entrapment; a
//      monitor subscribed to the alarm topics measures arrival − (first trapped ts + threshold);
//   3. when the pipeline misses its targets, a shorter run under `node --cpu-prof`, summarised.
// Publishers and subscriber are a lean raw-MQTT client (bench/mqtt-wire.ts) in a forked child.
//   node bin/run-ts.js bench/broker.ts [seconds] [--profile-out DIR]   → JSON on stdout
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { Aedes } from 'aedes'
import { hashPassword } from '../broker/mqtt/passwords.ts'
import { startVm } from '../test/broker/sinks/victoria-metrics.ts'
import { cpuSeconds, machineJiffies, peakRssBytes, pidListeningWith, rssBytes, stopProcess } from './proc.ts'
import { adminCookie, startBroker, type BrokerProcess } from './broker-process.ts'
import { summarizeProfile, type ProfileSummary } from './cpu-profile.ts'
import { samplePayloadBytes, type GatewaySpec, type InjectSpec, type LoadFinal, type LoadRequest, type LoadSample } from './broker-load.ts'
import { metric, percentiles, pick, ulidTime } from './figures.ts'

export interface BrokerBenchOptions {
  seconds?: number
  gateways?: number
  elevatorsPerGateway?: number
  /** unacknowledged QoS 1 publishes per connection */
  inflight?: number
  /** entrapment threshold outside the door zone, ms (config key outsideDoorZoneMs) */
  thresholdMs?: number
  injectEveryMs?: number
  /** profile the broker: always, never, or when the pipeline misses a target (default) */
  profile?: 'auto' | 'always' | 'never'
  /** keep the raw .cpuprofile (for DevTools) in this directory */
  profileOut?: string
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))
const LOAD = fileURLToPath(new URL('./broker-load.ts', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
const REGION = '330922'
const WARMUP_MS = 2000
const TARGETS = { pipelineMsgPerSecond: 30_000, ratioToBare: 0.5, alarmP99Ms: 100 }
// connects only: the cheapest scrypt parameters the broker accepts (checkParams), not what is measured
const BENCH_SCRYPT = { N: 1024, r: 8, p: 1 }

export async function benchBroker(opts: BrokerBenchOptions = {}): Promise<object> {
  const seconds = opts.seconds ?? 20
  const G = opts.gateways ?? 50
  const E = opts.elevatorsPerGateway ?? 20
  const inflight = opts.inflight ?? 100
  const thresholdMs = opts.thresholdMs ?? 2000
  const everyMs = opts.injectEveryMs ?? 500
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-broker-'))
  const loadBefore = loadavg().map((x) => Number(x.toFixed(2)))
  try {
    const fleet = makeFleet(G, E)
    const users: Record<string, { role: string; hash: string }> = {}
    for (const g of fleet) users[g.username] = { role: 'gateway', hash: await hashPassword(g.password, BENCH_SCRYPT) }
    users.monitor = { role: 'monitor', hash: await hashPassword('monitor-pw', BENCH_SCRYPT) }
    const base = {
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users },
      http: { host: '127.0.0.1', port: 0 },
      registry: {
        elevators: fleet.flatMap((g, gi) => g.elevators.map((id, ei) => ({
          id, registrationCode: id, rescueCode: String(10_000 + gi * E + ei), region: REGION, address: `嵊泗县菜园镇测试路 ${gi + 1} 号`,
          building: `${ei + 1}号梯`, landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId: g.username,
        }))),
      },
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: thresholdMs } } },
    }
    const writeConfig = (name: string, telemetry: object) => {
      const file = join(dir, `${name}.yaml`)
      // own accounts per run: each first start prints the admin password that reads /metrics
      writeFileSync(file, stringify({ ...base, alarms: { path: join(dir, `${name}-alarms.db`) }, accounts: { path: join(dir, `${name}-accounts.db`) }, telemetry }))
      return file
    }
    const load = { fleet, inflight, seconds }
    const inject: InjectSpec = { everyMs, startAfterMs: WARMUP_MS, stopAfterMs: WARMUP_MS + seconds * 1000 - thresholdMs - 500 }

    const bare = await runBare(load)
    const sqlite = await runPipeline(load, writeConfig('sqlite', { sqlite: { path: join(dir, 'telemetry.db') } }), { inject, thresholdMs })
    const vm = await startVm()
    let influx
    try {
      const vmPid = pidListeningWith(`-httpListenAddr=127.0.0.1:${vm.port}`)
      influx = await runPipeline(load, writeConfig('influx', {
        influx: { url: vm.url, org: 'county', bucket: 'liftwatch', spillDir: join(dir, 'spill') },
      }), { inject, thresholdMs, peers: vmPid ? { victoriaMetrics: vmPid } : {} })
    } finally {
      await vm.close()
    }

    const ratio = (x: number) => Number((x / Math.max(1, bare.deliveredPerSecond)).toFixed(2))
    // the same ratio from CPU per message: what the broker would do with the same CPU as aedes had
    const cpuRatio = (r: PipelineResult) => Number((bare.brokerCpuUsPerMessage / Math.max(1, r.brokerCpuUsPerMessage)).toFixed(2))
    const verdict = (r: PipelineResult) => ({
      msgPerSecond: r.ackedPerSecond >= TARGETS.pipelineMsgPerSecond,
      ratioToBare: ratio(r.ackedPerSecond) >= TARGETS.ratioToBare,
      ratioToBareByCpu: cpuRatio(r) >= TARGETS.ratioToBare,
      alarmP99: r.alarmLatencyMs.count > 0 && r.alarmLatencyMs.missed === 0 && r.alarmLatencyMs.p99 < TARGETS.alarmP99Ms,
    })
    const met = { pipelineSqlite: verdict(sqlite), pipelineInflux: verdict(influx) }
    const short = Object.values(met.pipelineSqlite).includes(false) || Object.values(met.pipelineInflux).includes(false)
    const profileMode = opts.profile ?? 'auto'
    let profile: object | undefined
    if (profileMode === 'always' || (profileMode === 'auto' && short)) {
      const profSeconds = Math.min(seconds, 8)
      profile = await runProfiled({ ...load, seconds: profSeconds }, writeConfig('profiled', { sqlite: { path: join(dir, 'telemetry-profiled.db') } }), dir, opts.profileOut)
    }
    return {
      seconds,
      machine: { cores: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))) },
      load: {
        gateways: G, elevatorsPerGateway: E, elevators: G * E, inflightPerConnection: inflight, qos: 1,
        payloadBytes: samplePayloadBytes(fleet[0]!.username), entrapmentThresholdMs: thresholdMs, injectEveryMs: everyMs,
      },
      bareAedes: bare,
      pipelineSqlite: { ...sqlite, ratioToBare: ratio(sqlite.ackedPerSecond), ratioToBareByCpu: cpuRatio(sqlite) },
      pipelineInflux: { ...influx, ratioToBare: ratio(influx.ackedPerSecond), ratioToBareByCpu: cpuRatio(influx) },
      targets: { ...TARGETS, met },
      ...(profile ? { profile } : {}),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function makeFleet(gateways: number, perGateway: number): GatewaySpec[] {
  return Array.from({ length: gateways }, (_, gi) => ({
    username: `gw-${String(gi + 1).padStart(3, '0')}`,
    password: `secret-${gi + 1}`,
    region: REGION,
    // 注册代码: category 3110 + region + 202401 + 4-digit sequence
    elevators: Array.from({ length: perGateway }, (_, ei) => `3110${REGION}202401${String(gi * perGateway + ei + 1).padStart(4, '0')}`),
  }))
}

interface Load { fleet: GatewaySpec[]; inflight: number; seconds: number }

// ---- the load children ----

class LoadChild {
  private nextId = 0
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>()

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      if (m.id === undefined) return
      const w = this.waiting.get(m.id)
      this.waiting.delete(m.id)
      if (m.error) w?.reject(new Error(m.error))
      else w?.resolve(m.result)
    })
    proc.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load child exited ${code}`))
      this.waiting.clear()
    })
  }

  static async fork(): Promise<LoadChild> {
    const proc = fork(RUN_TS, [LOAD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve())
      proc.once('error', reject)
      proc.once('exit', (code) => reject(new Error(`load child exited ${code} before it was ready`)))
    })
    return new LoadChild(proc)
  }

  get pid(): number { return this.proc.pid! }

  request<T>(r: LoadRequest): Promise<T> {
    const id = ++this.nextId
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject })
      this.proc.send({ ...r, id })
    })
  }

  async kill(): Promise<void> { await stopProcess(this.proc) }
}

interface Sample {
  at: number
  /** CLOCK_MONOTONIC, µs: the clock of V8's CPU profiles */
  monoUs: number
  pub: LoadSample
  sub: LoadSample | undefined
  cpu: { server: number; pub: number; sub: number; peers: Record<string, number> }
  machine: { busy: number; total: number }
  metrics: string | undefined
}

interface Probe {
  serverPid: number
  pub: LoadChild
  sub?: LoadChild | undefined
  metricsUrl?: string | undefined
  /** a logged-in session's cookie: /metrics answers 401 without one */
  metricsCookie?: string | undefined
  /** other processes whose CPU share to report (VictoriaMetrics) */
  peers?: Record<string, number> | undefined
}

async function sample(p: Probe, resetLatency = false): Promise<Sample> {
  const [pub, sub, metrics] = await Promise.all([
    p.pub.request<LoadSample>({ cmd: 'sample', resetLatency }),
    p.sub?.request<LoadSample>({ cmd: 'sample' }),
    p.metricsUrl ? fetch(p.metricsUrl, { headers: { cookie: p.metricsCookie ?? '' } }).then(async (r) => {
      if (r.status !== 200) throw new Error(`${p.metricsUrl}: HTTP ${r.status}`)
      return await r.text()
    }) : undefined,
  ])
  return {
    at: performance.now(), monoUs: Number(process.hrtime.bigint() / 1000n), pub, sub, metrics, machine: machineJiffies(),
    cpu: {
      server: cpuSeconds(p.serverPid), pub: cpuSeconds(p.pub.pid), sub: p.sub ? cpuSeconds(p.sub.pid) : 0,
      peers: Object.fromEntries(Object.entries(p.peers ?? {}).map(([name, pid]) => [name, cpuSeconds(pid)])),
    },
  }
}

const share = (cpu: number, wall: number) => Number((cpu / wall).toFixed(2))
const perSecond = (n: number, wall: number) => Math.round(n / wall)

interface Window { a: Sample; b: Sample; wall: number; final: LoadFinal }

/** Connects the load, warms up, measures `seconds`, then `beforeStop` (load still running), stops. */
async function drive(port: number, p: Omit<Probe, 'pub' | 'sub'>, load: Load, o: { subscriber?: boolean; inject?: InjectSpec; beforeStop?: (injected: number) => Promise<void> }): Promise<Window> {
  const pub = await LoadChild.fork()
  const sub = o.subscriber ? await LoadChild.fork() : undefined
  try {
    await sub?.request({ cmd: 'subscriber', port, filter: 'lift/v1/#' })
    await pub.request({ cmd: 'publishers', port, gateways: load.fleet, inflight: load.inflight })
    const probe: Probe = { ...p, pub, sub }
    await pub.request(o.inject ? { cmd: 'go', inject: o.inject } : { cmd: 'go' })
    await delay(WARMUP_MS)
    const a = await sample(probe, true)
    await delay(load.seconds * 1000)
    const b = await sample(probe)
    await o.beforeStop?.(b.pub.injected)
    const final = await pub.request<LoadFinal>({ cmd: 'stop' })
    return { a, b, wall: (b.at - a.at) / 1000, final }
  } finally {
    await pub.kill()
    await sub?.kill()
  }
}

function common(w: Window, serverPid: number, perMessage: number) {
  const { a, b, wall } = w
  const peers = Object.keys(b.cpu.peers)
  return {
    ackedPerSecond: perSecond(b.pub.acked - a.pub.acked, wall),
    brokerCpuShare: share(b.cpu.server - a.cpu.server, wall),
    /** CPU the broker spent per message (per delivered for bare aedes, per accepted otherwise): steadier than msg/s on a shared machine */
    brokerCpuUsPerMessage: Math.round(((b.cpu.server - a.cpu.server) * 1e6) / Math.max(1, perMessage)),
    brokerRssMiB: Math.round(rssBytes(serverPid) / 1048576),
    brokerPeakRssMiB: Math.round(peakRssBytes(serverPid) / 1048576),
    publisherCpuShare: share(b.cpu.pub - a.cpu.pub, wall),
    ...(peers.length ? { peerCpuShare: Object.fromEntries(peers.map((k) => [k, share(b.cpu.peers[k]! - a.cpu.peers[k]!, wall)])) } : {}),
    machineBusyCores: Number((((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * cpus().length).toFixed(2)),
    pubackMs: w.final.pubackMs,
  }
}

// ---- 1. bare aedes ----

async function runBare(load: Load) {
  const child = fork(RUN_TS, [SELF, '--serve-aedes'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port))
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`aedes exited ${code} before listening`)))
    })
    const w = await drive(port, { serverPid: child.pid! }, load, { subscriber: true })
    const delivered = w.b.sub!.received - w.a.sub!.received
    return {
      deliveredPerSecond: perSecond(delivered, w.wall),
      ...common(w, child.pid!, delivered),
      subscriberCpuShare: share(w.b.cpu.sub - w.a.cpu.sub, w.wall),
    }
  } finally {
    await stopProcess(child)
  }
}

async function serveAedes(): Promise<number> {
  const broker = await Aedes.createBroker()
  const server = createServer((socket) => broker.handle(socket))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

// ---- 2. the broker host ----

interface Alarm { arrival: number; json: { id?: string; type?: string; state?: string; elevatorId?: string; raisedAt?: number; evidence?: { detectedAt?: number } } }

type PipelineResult = Awaited<ReturnType<typeof runPipeline>>

interface PipelineOptions { inject: InjectSpec; thresholdMs: number; peers?: Record<string, number> }

async function runPipeline(load: Load, configFile: string, o: PipelineOptions) {
  const broker = await startBroker(configFile)
  let result
  try {
    result = await measurePipeline(broker, load, o)
  } finally {
    await broker.stop()
  }
  if (broker.proc.exitCode !== 0) throw new Error(`broker exited ${broker.proc.exitCode ?? broker.proc.signalCode}`)
  return result
}

async function measurePipeline(broker: BrokerProcess, load: Load, o: PipelineOptions) {
  const metricsUrl = `http://127.0.0.1:${broker.httpPort}/metrics`
  const metricsCookie = await adminCookie(broker)
  const monitor = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.mqttPort}`, { username: 'monitor', password: 'monitor-pw', clientId: 'monitor:bench', reconnectPeriod: 0 })
  const alarms: Alarm[] = []
  monitor.on('message', (_topic, payload) => {
    const arrival = Date.now()
    alarms.push({ arrival, json: JSON.parse(payload.toString()) as Alarm['json'] })
  })
  await monitor.subscribeAsync('lift/v1/+/+/alarm', { qos: 1 })
  const w = await drive(broker.mqttPort, { serverPid: broker.pid, metricsUrl, metricsCookie, peers: o.peers }, load, {
    inject: o.inject,
    // the last entrapments come due after the window: wait for them with the load still on
    beforeStop: async (injected) => {
      const deadline = performance.now() + o.thresholdMs + 3000
      while (performance.now() < deadline && alarms.filter((a) => a.json.type === 'entrapment').length < injected) await delay(50)
    },
  })
  await monitor.endAsync(true)
  const { a, b, wall } = w
  const m = metric
  const delta = (name: string, labels: Record<string, string> = {}) => m(b.metrics, name, labels) - m(a.metrics, name, labels)

  // alarm latency: arrival − (the injected stop's first ts + threshold), in three parts: how far
  // the broker's event clock (the newest telemetry ts) trailed its wall clock at detection, how
  // late the detector fired on that event clock, and detection (the alarm id's ULID time, the
  // broker's wall clock) to arrival at the monitor
  const latencies: number[] = []
  const eventClockLag: number[] = []
  const firedLate: number[] = []
  const delivery: number[] = []
  let raisedAtMatches = 0
  for (const inj of w.final.entrapments) {
    const alarm = alarms.find((x) => x.json.elevatorId === inj.elevatorId && x.json.type === 'entrapment' && x.json.state === 'raised')
    if (!alarm || inj.firstTrappedTs === null) continue
    const due = inj.firstTrappedTs + o.thresholdMs
    latencies.push(alarm.arrival - due)
    if (alarm.json.raisedAt === inj.firstTrappedTs) raisedAtMatches++
    const detectedAt = alarm.json.evidence?.detectedAt
    const detectedWall = ulidTime(alarm.json.id)
    if (typeof detectedAt === 'number' && detectedWall !== null) {
      eventClockLag.push(detectedWall - detectedAt)
      firedLate.push(detectedAt - due)
      delivery.push(alarm.arrival - detectedWall)
    }
  }
  const injected = w.final.entrapments.length
  const accepted = delta('liftwatch_broker_ingest', { stat: 'accepted' })
  return {
    ...common(w, broker.pid, accepted),
    ingestAcceptedPerSecond: perSecond(accepted, wall),
    ingest: {
      late: delta('liftwatch_broker_ingest', { stat: 'late' }),
      invalid: delta('liftwatch_broker_ingest', { stat: 'invalid' }),
      duplicates: delta('liftwatch_broker_ingest', { stat: 'duplicates' }),
      gaps: delta('liftwatch_broker_ingest', { stat: 'gaps' }),
      droppedByHost: delta('liftwatch_broker_mqtt_dropped'),
    },
    detectorEventsPerSecond: perSecond(delta('liftwatch_broker_detectors_eventsIn'), wall),
    sink: {
      writtenPerSecond: perSecond(delta('liftwatch_broker_sink_counters_written'), wall),
      ...(b.metrics?.includes('liftwatch_broker_sink_counters_spilled') ? { spilled: delta('liftwatch_broker_sink_counters_spilled') } : {}),
    },
    alarmLatencyMs: {
      count: latencies.length, injected, missed: injected - latencies.length,
      ...percentiles(latencies),
      parts: {
        eventClockLag: pick(eventClockLag), firedLateOnEventClock: pick(firedLate), detectionToArrival: pick(delivery),
      },
      raisedAtMatchesInjection: raisedAtMatches,
      otherAlarms: alarms.filter((x) => x.json.type !== 'entrapment').length,
    },
    brokerWarnings: broker.problems,
  }
}

// ---- 3. where the broker's time goes ----

async function runProfiled(load: Load, configFile: string, dir: string, keepIn?: string): Promise<object> {
  const profDir = join(dir, 'cpu-prof')
  const broker = await startBroker(configFile, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] })
  let w: Window
  try {
    w = await drive(broker.mqttPort, { serverPid: broker.pid }, load, {})
  } finally {
    await broker.stop() // SIGTERM → process.exit(0): the profile is written on exit
  }
  // the main thread's profile is the largest (tsx's loader thread writes one too)
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, f))
  const main = files.sort((x, y) => statSync(y).size - statSync(x).size)[0]
  if (!main) return { error: `no .cpuprofile in ${profDir}` }
  const summary: ProfileSummary = summarizeProfile(main, ROOT, { fromUs: w.a.monoUs, toUs: w.b.monoUs })
  let kept: string | undefined
  if (keepIn) {
    mkdirSync(keepIn, { recursive: true })
    kept = join(keepIn, `broker-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`)
    copyFileSync(main, kept)
  }
  return { seconds: load.seconds, ...(kept ? { file: kept } : {}), ackedPerSecondWhileProfiling: perSecond(w.b.pub.acked - w.a.pub.acked, w.wall), ...summary }
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry && process.argv[2] === '--serve-aedes') {
  const port = await serveAedes()
  process.once('disconnect', () => process.exit(0))
  process.send?.({ port })
} else if (isEntry) {
  // node bin/run-ts.js bench/broker.ts [seconds] [--profile-out DIR]
  const args = process.argv.slice(2)
  const at = args.indexOf('--profile-out')
  const profileOut = at >= 0 ? args.splice(at, 2)[1] : undefined
  const seconds = args[0] === undefined ? undefined : Number(args[0])
  console.log(JSON.stringify(await benchBroker({ seconds, ...(profileOut ? { profileOut, profile: 'always' as const } : {}) }), null, 2))
}
