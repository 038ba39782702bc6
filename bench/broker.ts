// The broker host under gateway load: how many telemetry messages a second it accepts, what that
// costs it in CPU and memory, how that compares with bare aedes on the same machine, and how late
// entrapment alarms reach a subscriber meanwhile. Phases, each its own processes:
//   ingest: bare aedes (own process, no hooks, no subscriber) taking the publishers' QoS 1
//     messages: the baseline of issue 14's pipeline target (acked msg/s and broker CPU per message);
//   forward: the same with one QoS 1 subscriber (own process) receiving everything: extra figures;
//   sqlite, influx: `liftwatch broker` (own process; SQLite telemetry sink, or the InfluxDB sink
//     writing into VictoriaMetrics) under the same publishers: 50 gateway connections, each
//     authenticated as its gateway, publishing valid v1 telemetry for its 20 registry elevators
//     with QoS 1, at most 100 unacknowledged per connection. Every 500 ms one elevator becomes an
//     entrapment; a monitor subscribed to the alarm topics measures arrival − (first trapped ts +
//     threshold). With `baseline` (another checkout), its broker runs right before this one's.
// `rounds` repeats every phase in turn; the figures are the median round's, the ratios the medians
// of the per-round ratios (each taken within minutes: this machine is shared). When the pipeline
// misses a target, a shorter run under `node --cpu-prof`, summarised (bench/cpu-profile.ts).
// Publishers and subscriber are a lean raw-MQTT client (bench/mqtt-wire.ts) in a forked child.
//   node bin/run-ts.js bench/broker.ts [seconds] [--rounds N] [--phases ingest,sqlite,…]
//     [--baseline DIR] [--profile-out DIR]   → JSON on stdout
import { fork } from 'node:child_process'
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
import { brokerBase, makeFleet } from './fleet-config.ts'
import { startVm } from '../test/broker/sinks/victoria-metrics.ts'
import { pidListeningWith, stopProcess } from './proc.ts'
import { adminCookie, startBroker, type BrokerProcess } from './broker-process.ts'
import { summarizeProfile, type ProfileSummary } from './cpu-profile.ts'
import { samplePayloadBytes, type InjectSpec } from './broker-load.ts'
import { WARMUP_MS, common, drive, perSecond, share, type Load, type Window } from './broker-drive.ts'
import { metric, percentiles, pick, ulidTime } from './figures.ts'

export type Phase = 'ingest' | 'forward' | 'sqlite' | 'influx'
export const PHASES: readonly Phase[] = ['ingest', 'forward', 'sqlite', 'influx']

export interface BrokerBenchOptions {
  seconds?: number
  gateways?: number
  elevatorsPerGateway?: number
  /** unacknowledged QoS 1 publishes per connection */
  inflight?: number
  /** entrapment threshold outside the door zone, ms (config key outsideDoorZoneMs) */
  thresholdMs?: number
  injectEveryMs?: number
  /** which phases (default all); the targets need ingest and the pipelines */
  phases?: readonly Phase[]
  /** every phase this many times, in turn (default 1) */
  rounds?: number
  /** a checkout of another commit (its root): its broker runs each pipeline phase too, just before ours */
  baseline?: string
  /** node options for this tree's pipeline brokers (e.g. --max-semi-space-size=64); the baseline's run without */
  brokerNodeArgs?: string[]
  /** telemetry.sqlite settings for this tree's SQLite runs (e.g. { checkpointPages: 10000 }); the baseline's run with the defaults */
  sqlite?: Record<string, unknown>
  /** profile the broker: always, never, or when the pipeline misses a target (default) */
  profile?: 'auto' | 'always' | 'never'
  /** keep the raw .cpuprofile (for DevTools) in this directory */
  profileOut?: string
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
// issue 14: the pipeline at ≥ 0.5 × bare aedes ingest, by msg/s and by broker CPU per message
const TARGETS = { ratioToIngest: 0.5, ratioToIngestByCpu: 0.5, pipelineMsgPerSecond: 30_000, alarmP99Ms: 100 }

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const r2 = (x: number) => Number(x.toFixed(2))
/** The round with the median msg/s, with every round's msg/s and CPU per message beside it. */
function medianRound<T extends { ackedPerSecond: number; brokerCpuUsPerMessage: number }>(runs: readonly T[]): T & { perRound?: object } {
  const byRate = [...runs].sort((a, b) => a.ackedPerSecond - b.ackedPerSecond)
  const mid = byRate[Math.floor((byRate.length - 1) / 2)]!
  if (runs.length < 2) return mid
  return { ...mid, perRound: { ackedPerSecond: runs.map((r) => r.ackedPerSecond), brokerCpuUsPerMessage: runs.map((r) => r.brokerCpuUsPerMessage) } }
}

export async function benchBroker(opts: BrokerBenchOptions = {}): Promise<object> {
  const seconds = opts.seconds ?? 20
  const G = opts.gateways ?? 50
  const E = opts.elevatorsPerGateway ?? 20
  const inflight = opts.inflight ?? 100
  const thresholdMs = opts.thresholdMs ?? 2000
  const everyMs = opts.injectEveryMs ?? 500
  const phases = new Set(opts.phases ?? PHASES)
  const rounds = Math.max(1, opts.rounds ?? 1)
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-broker-'))
  const loadBefore = loadavg().map((x) => Number(x.toFixed(2)))
  try {
    const fleet = makeFleet(G, E)
    const base = {
      ...await brokerBase(fleet),
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: thresholdMs } } },
    }
    let configs = 0
    const writeConfig = (name: string, telemetry: (n: string) => object) => {
      const n = `${name}-${++configs}`
      const file = join(dir, `${n}.yaml`)
      // own accounts per run: each first start prints the admin password that reads /metrics
      writeFileSync(file, stringify({ ...base, alarms: { path: join(dir, `${n}-alarms.db`) }, accounts: { path: join(dir, `${n}-accounts.db`) }, telemetry: telemetry(n) }))
      return file
    }
    const sqliteConfig = (over: Record<string, unknown> = {}) => writeConfig('sqlite', (n) => ({ sqlite: { ...over, path: join(dir, `${n}-telemetry.db`) } }))
    const load = { fleet, inflight, seconds }
    const inject: InjectSpec = { everyMs, startAfterMs: WARMUP_MS, stopAfterMs: WARMUP_MS + seconds * 1000 - thresholdMs - 500 }
    const trees = { ...(opts.baseline ? { baseline: opts.baseline } : {}), current: ROOT }
    type Runs = { ingest: BareResult[]; forward: BareResult[]; sqlite: Record<string, PipelineResult[]>; influx: Record<string, PipelineResult[]> }
    const runs: Runs = { ingest: [], forward: [], sqlite: {}, influx: {} }
    const vm = phases.has('influx') ? await startVm() : undefined
    try {
      const vmPid = vm && pidListeningWith(`-httpListenAddr=127.0.0.1:${vm.port}`)
      for (let round = 0; round < rounds; round++) {
        if (phases.has('ingest')) runs.ingest.push(await runBare(load, false))
        if (phases.has('forward')) runs.forward.push(await runBare(load, true))
        for (const [tree, root] of Object.entries(trees)) {
          if (phases.has('sqlite')) (runs.sqlite[tree] ??= []).push(await runPipeline(load, sqliteConfig(tree === 'current' ? opts.sqlite : {}), { inject, thresholdMs, root, nodeArgs: tree === 'current' ? opts.brokerNodeArgs : undefined }))
        }
        for (const [tree, root] of Object.entries(trees)) {
          if (!vm) break
          const config = writeConfig('influx', (n) => ({ influx: { url: vm.url, org: 'county', bucket: 'liftwatch', spillDir: join(dir, `${n}-spill`) } }))
          ;(runs.influx[tree] ??= []).push(await runPipeline(load, config, { inject, thresholdMs, root, nodeArgs: tree === 'current' ? opts.brokerNodeArgs : undefined, peers: vmPid ? { victoriaMetrics: vmPid } : {} }))
        }
      }
    } finally {
      await vm?.close()
    }

    // ratios within each round, then their median
    const ratios = (pipe: readonly PipelineResult[]) => {
      const ingest = runs.ingest
      const forward = runs.forward
      return {
        ratioToIngest: r2(median(pipe.map((p, i) => p.ackedPerSecond / Math.max(1, ingest[i]?.ackedPerSecond ?? NaN)))),
        // what the broker would do with the CPU aedes alone spends: steadier than msg/s on a shared machine
        ratioToIngestByCpu: r2(median(pipe.map((p, i) => (ingest[i]?.brokerCpuUsPerMessage ?? NaN) / Math.max(1, p.brokerCpuUsPerMessage)))),
        ratioToForwarding: r2(median(pipe.map((p, i) => p.ackedPerSecond / Math.max(1, forward[i]?.deliveredPerSecond ?? NaN)))),
      }
    }
    const pipeline = (list: readonly PipelineResult[] | undefined) => list && { ...medianRound(list), ...ratios(list) }
    const afterVsBefore = (kind: 'sqlite' | 'influx') => {
      const before = runs[kind].baseline
      const after = runs[kind].current
      if (!before || !after) return undefined
      return {
        msgPerSecond: r2(median(after.map((a, i) => a.ackedPerSecond / Math.max(1, before[i]!.ackedPerSecond)))),
        cpuPerMessage: r2(median(after.map((a, i) => a.brokerCpuUsPerMessage / Math.max(1, before[i]!.brokerCpuUsPerMessage)))),
      }
    }
    const sqlite = pipeline(runs.sqlite.current)
    const influx = pipeline(runs.influx.current)
    const targets = judge({ pipelineSqlite: sqlite, pipelineInflux: influx })
    const short = targets.met.some((t) => !t.met)
    const profileMode = opts.profile ?? 'auto'
    let profile: object | undefined
    if (profileMode === 'always' || (profileMode === 'auto' && short)) {
      const profLoad = { ...load, seconds: Math.min(seconds, 8) }
      profile = {}
      for (const [tree, root] of Object.entries(trees)) {
        const p = await runProfiled(profLoad, sqliteConfig(), dir, root, opts.profileOut)
        profile = opts.baseline ? { ...profile, [tree]: p } : p
      }
    }
    return {
      seconds, rounds,
      machine: { cores: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))) },
      load: {
        gateways: G, elevatorsPerGateway: E, elevators: G * E, inflightPerConnection: inflight, qos: 1,
        payloadBytes: samplePayloadBytes(fleet[0]!.username), entrapmentThresholdMs: thresholdMs, injectEveryMs: everyMs,
      },
      ...(runs.ingest.length ? { bareAedesIngest: medianRound(runs.ingest) } : {}),
      ...(runs.forward.length ? { bareAedesForwarding: medianRound(runs.forward) } : {}),
      ...(sqlite ? { pipelineSqlite: sqlite } : {}),
      ...(influx ? { pipelineInflux: influx } : {}),
      ...(opts.baseline ? {
        baseline: { root: opts.baseline, pipelineSqlite: pipeline(runs.sqlite.baseline), pipelineInflux: pipeline(runs.influx.baseline) },
        afterVsBefore: { sqlite: afterVsBefore('sqlite'), influx: afterVsBefore('influx') },
      } : {}),
      targets: { ...TARGETS, met: targets.met },
      verdict: targets.verdict,
      ...(profile ? { profile } : {}),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

type Judged = PipelineResult & { ratioToIngest: number; ratioToIngestByCpu: number }

/** Each target with its figure and met / not met; one line per target for a reader. */
function judge(pipes: Record<string, Judged | undefined>) {
  const met: { target: string; figure: number; goal: string; met: boolean }[] = []
  for (const [name, p] of Object.entries(pipes)) {
    if (!p) continue
    const a = p.alarmLatencyMs
    met.push(
      { target: `${name}: msg/s ÷ bare aedes ingest msg/s`, figure: p.ratioToIngest, goal: `≥ ${TARGETS.ratioToIngest}`, met: p.ratioToIngest >= TARGETS.ratioToIngest },
      { target: `${name}: bare aedes ingest CPU per msg ÷ broker CPU per msg`, figure: p.ratioToIngestByCpu, goal: `≥ ${TARGETS.ratioToIngestByCpu}`, met: p.ratioToIngestByCpu >= TARGETS.ratioToIngestByCpu },
      { target: `${name}: accepted msg/s`, figure: p.ackedPerSecond, goal: `≥ ${TARGETS.pipelineMsgPerSecond}`, met: p.ackedPerSecond >= TARGETS.pipelineMsgPerSecond },
      { target: `${name}: entrapment alarm p99 beyond its threshold, ms (at saturation, none missed)`, figure: a.p99, goal: `< ${TARGETS.alarmP99Ms}`, met: a.count > 0 && a.missed === 0 && a.p99 < TARGETS.alarmP99Ms },
    )
  }
  return { met, verdict: met.map((t) => `${t.target}: ${t.figure} (${t.goal}) — ${t.met ? 'met' : 'not met'}`) }
}


// ---- 1. bare aedes: ingest (no subscriber) and forwarding (one QoS 1 subscriber) ----

type BareResult = Awaited<ReturnType<typeof runBare>>

async function runBare(load: Load, subscriber: boolean) {
  const child = fork(RUN_TS, [SELF, '--serve-aedes'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m) => resolve((m as { port: number }).port))
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`aedes exited ${code} before listening`)))
    })
    const w = await drive(port, { serverPid: child.pid! }, load, { subscriber })
    if (!subscriber) return { deliveredPerSecond: undefined, ...common(w, child.pid!, w.b.pub.acked - w.a.pub.acked) }
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

interface PipelineOptions { inject: InjectSpec; thresholdMs: number; root: string; nodeArgs?: string[] | undefined; peers?: Record<string, number> }

const liftwatchIn = (root: string) => join(root, 'bin', 'liftwatch.js')

async function runPipeline(load: Load, configFile: string, o: PipelineOptions) {
  const broker = await startBroker(configFile, { liftwatch: liftwatchIn(o.root), nodeArgs: o.nodeArgs ?? [] })
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

async function runProfiled(load: Load, configFile: string, dir: string, root: string, keepIn?: string): Promise<object> {
  const profDir = mkdtempSync(join(dir, 'cpu-prof-'))
  const broker = await startBroker(configFile, { liftwatch: liftwatchIn(root), nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir] })
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
  const summary: ProfileSummary = summarizeProfile(main, root.endsWith('/') ? root : `${root}/`, { fromUs: w.a.monoUs, toUs: w.b.monoUs })
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
  // node bin/run-ts.js bench/broker.ts [seconds] [--rounds N] [--phases a,b] [--baseline DIR] [--broker-node-args '…'] [--sqlite JSON]
  //   [--profile-out DIR] [--profile always|never|auto]
  const args = process.argv.slice(2)
  const flag = (name: string) => {
    const at = args.indexOf(name)
    return at >= 0 ? args.splice(at, 2)[1] : undefined
  }
  const profileOut = flag('--profile-out')
  const profile = flag('--profile') as BrokerBenchOptions['profile']
  const rounds = flag('--rounds')
  const phases = flag('--phases')?.split(',') as Phase[] | undefined
  const baseline = flag('--baseline')
  const nodeArgs = flag('--broker-node-args')?.split(' ')
  const sqlite = flag('--sqlite')
  const seconds = args[0] === undefined ? undefined : Number(args[0])
  console.log(JSON.stringify(await benchBroker({
    seconds, ...(rounds ? { rounds: Number(rounds) } : {}), ...(phases ? { phases } : {}), ...(baseline ? { baseline } : {}), ...(nodeArgs ? { brokerNodeArgs: nodeArgs } : {}),
    ...(sqlite ? { sqlite: JSON.parse(sqlite) as Record<string, unknown> } : {}),
    ...(profileOut ? { profileOut, profile: profile ?? 'always' } : profile ? { profile } : {}),
  }), null, 2))
}
