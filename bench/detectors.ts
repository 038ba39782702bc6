// Detectors alone, no I/O: telemetry messages a second through the broker's DetectorRuntime with
// every registered detector for 10,000 elevators, on one core, and the heap each elevator's
// detector state takes. Targets: ≥ 200k msg/s; ≤ 4 KB per elevator.
//   full       DetectorRuntime over DETECTORS (detectors/index.ts), as the broker runs it
//   framework  DetectorRuntime over one detector that ignores its inputs: grouping, containment,
//              signal checks — the runtime's own cost
//   direct     every registered detector per elevator on its own Subject, no runtime: the
//              detectors' cost (their operators and state machines) without the grouping
// Each variant runs in a child process of its own (node --expose-gc, for the heap figures), so
// one's JIT and heap do not colour another's. Inputs: bench/detectors-load.ts; time: the
// messages' ts through bench/event-clock.ts, so no wake-up fires on the wall clock. Per variant:
//   1. JIT warm-up on a throwaway set of 500 elevators;
//   2. heap after a full GC, the 10,000 elevators fed 20 simulated seconds (each has reported by
//      then: heartbeats every 10 s), heap again;
//   3. timed: batches of fresh inputs, each built before its clock starts, until `seconds` of
//      feeding is measured.
// When a target is missed (or on request) the full variant runs again under --cpu-prof, and the
// profile's samples inside the timed batches are summarised.
//   node bin/run-ts.js bench/detectors.ts [seconds] [--profile-out DIR]   → JSON on stdout
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Subject, ignoreElements } from 'rxjs'
import { Type } from '@sinclair/typebox'
import { DETECTORS, type Detector, type DetectorInput, type ElevatorFacts } from '../detectors/index.ts'
import { DetectorRuntime } from '../broker/detect/runtime.ts'
import { resolveDetectorsConfig } from '../broker/detect/config.ts'
import { EventClock } from './event-clock.ts'
import { Replay, simulateTraces, type Trace } from './detectors-load.ts'
import { summarizeProfile, type ProfileWindow } from './cpu-profile.ts'

export interface DetectorsBenchOptions {
  /** seconds of timed feeding per variant */
  seconds?: number
  elevators?: number
  /** profile the full variant: always, never, or when a target is missed (default) */
  profile?: 'auto' | 'always' | 'never'
  /** keep the raw .cpuprofile (for DevTools) in this directory */
  profileOut?: string
}

type Variant = 'full' | 'framework' | 'direct'

interface Measured {
  variant: Variant
  detectors: string[]
  msgPerSec: number
  /** messages per CPU second of this process (GC threads included): steadier on a busy machine */
  msgPerCpuSecond: number
  timed: { messages: number; seconds: number; cpuSeconds: number }
  warm: { messages: number; msgPerSec: number; simulatedSeconds: number }
  stateBytesPerElevator: number
  heapUsedMiB: { before: number; after: number }
  elevatorsHeld: number | null
  alarmsRaised: number
  pendingWakeUps: number
  load: { changeShare: number; msgPerElevatorPerSecond: number }
  windows: ProfileWindow[]
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
// the targets: per CPU-second (steady on a shared machine), and per elevator of heap
const TARGETS = { msgPerCpuSecond: 200_000, stateBytesPerElevator: 4096 }
const REGION = '330922'
const T0 = 1_700_000_000_000
const POLL_MS = 200
const TRACE = { cars: 48, minutes: 8, pollMs: POLL_MS, heartbeatMs: 10_000, seed: 7 }
const WARM_SECONDS = 20
const BATCH = 4096

export async function benchDetectors(opts: DetectorsBenchOptions = {}): Promise<object> {
  const seconds = opts.seconds ?? 3
  const elevators = opts.elevators ?? 10_000
  const loadBefore = loadavg().map((x) => Number(x.toFixed(2)))
  const full = await measureIn('full', seconds, elevators)
  const framework = await measureIn('framework', seconds, elevators)
  const direct = await measureIn('direct', seconds, elevators)
  const met = {
    msgPerCpuSecond: full.msgPerCpuSecond >= TARGETS.msgPerCpuSecond,
    stateBytesPerElevator: full.stateBytesPerElevator <= TARGETS.stateBytesPerElevator,
  }
  const yes = (ok: boolean) => (ok ? 'met' : 'not met')
  // one line per target, as a reader wants them: the figure, the target, met or not
  const verdict = [
    `≥ ${TARGETS.msgPerCpuSecond} msg per CPU-second, all ${full.detectors.length} detectors: ${full.msgPerCpuSecond} — ${yes(met.msgPerCpuSecond)}`,
    `≤ ${TARGETS.stateBytesPerElevator} bytes of state per elevator: ${full.stateBytesPerElevator} — ${yes(met.stateBytesPerElevator)}`,
  ]
  const mode = opts.profile ?? 'auto'
  let profile: object | undefined
  if (mode === 'always' || (mode === 'auto' && !(met.msgPerCpuSecond && met.stateBytesPerElevator))) {
    profile = await profiled(seconds, elevators, opts.profileOut)
  }
  const brief = ({ variant: _v, detectors: _d, load: _l, windows: _w, ...rest }: Measured) => rest
  return {
    name: 'detectors',
    elevators,
    detectors: full.detectors.length,
    detectorIds: full.detectors,
    msgPerSec: full.msgPerSec,
    msgPerCpuSecond: full.msgPerCpuSecond,
    frameworkOnlyMsgPerSec: framework.msgPerSec,
    detectorsWithoutRuntimeMsgPerSec: direct.msgPerSec,
    stateBytesPerElevator: full.stateBytesPerElevator,
    frameworkOnlyStateBytesPerElevator: framework.stateBytesPerElevator,
    detectorsWithoutRuntimeStateBytesPerElevator: direct.stateBytesPerElevator,
    targets: TARGETS,
    met,
    verdict,
    load: {
      sampleCars: TRACE.cars, simulatedMinutes: TRACE.minutes, pollMs: POLL_MS, heartbeatMs: TRACE.heartbeatMs,
      messagesPerElevatorPerSecond: full.load.msgPerElevatorPerSecond, changeShare: full.load.changeShare,
    },
    variants: { full: brief(full), framework: brief(framework), direct: brief(direct) },
    machine: { cores: cpus().length, loadavgBefore: loadBefore, loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))) },
    ...(profile ? { profile } : {}),
  }
}

/** One variant in a child process (node --expose-gc [nodeArgs]); its JSON line back. */
async function measureIn(variant: Variant, seconds: number, elevators: number, nodeArgs: string[] = []): Promise<Measured> {
  // room for a heavy variant's state: a heap near its limit would time the GC, not the detectors
  const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...nodeArgs, RUN_TS, SELF, '--measure', variant, String(seconds), String(elevators)],
    { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', resolve)
  })
  if (code !== 0) throw new Error(`detectors bench (${variant}) exited ${code}`)
  return JSON.parse(out) as Measured
}

async function profiled(seconds: number, elevators: number, keepIn?: string): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-detectors-'))
  try {
    const m = await measureIn('full', seconds, elevators, ['--cpu-prof', '--cpu-prof-dir', dir])
    // the main thread's profile is the largest (tsx's loader thread writes one too)
    const main = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))
      .sort((x, y) => statSync(y).size - statSync(x).size)[0]
    if (!main) return { error: `no .cpuprofile in ${dir}` }
    let kept: string | undefined
    if (keepIn) {
      mkdirSync(keepIn, { recursive: true })
      kept = join(keepIn, `detectors-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`)
      copyFileSync(main, kept)
    }
    return { ...(kept ? { file: kept } : {}), msgPerSecWhileProfiling: m.msgPerSec, ...summarizeProfile(main, ROOT, m.windows) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- the child: one variant ----

/** Ignores its inputs: what the runtime costs around a detector that does nothing. */
const idle: Detector = {
  id: 'idle',
  types: ['entrapment'],
  configSchema: Type.Object({}),
  create: () => (input$) => input$.pipe(ignoreElements()),
}

interface Rig {
  feed(batch: readonly DetectorInput[], n: number): void
  stop(): void
  readonly elevatorsHeld: () => number | null
  readonly alarmsRaised: () => number
  readonly clock: EventClock
}

function rig(variant: Variant, replay: Replay): Rig {
  const clock = new EventClock(T0)
  const facts = (id: string) => replay.facts(id)
  if (variant === 'direct') return directRig(clock, facts)
  const input$ = new Subject<DetectorInput>()
  const runtime = new DetectorRuntime({ input$, detectors: variant === 'full' ? DETECTORS : [idle], scheduler: clock, facts })
  let raised = 0
  runtime.alarms$.subscribe((e) => { if (e.state === 'raised') raised++ })
  runtime.start()
  return {
    clock,
    feed(batch, n) {
      for (let k = 0; k < n; k++) {
        const i = batch[k]!
        clock.advanceTo(i.ts)
        input$.next(i)
      }
    },
    stop: () => runtime.stop(),
    elevatorsHeld: () => runtime.stats().elevators,
    alarmsRaised: () => raised,
  }
}

function directRig(clock: EventClock, facts: (elevatorId: string) => ElevatorFacts | null): Rig {
  const config = resolveDetectorsConfig(DETECTORS)
  const groups = new Map<string, Subject<DetectorInput>>()
  let raised = 0
  const signal = (s: { state: string }) => { if (s.state === 'raised') raised++ }
  return {
    clock,
    feed(batch, n) {
      for (let k = 0; k < n; k++) {
        const i = batch[k]!
        clock.advanceTo(i.ts)
        let g = groups.get(i.elevatorId)
        if (!g) {
          g = new Subject<DetectorInput>()
          groups.set(i.elevatorId, g)
          const ctx = { scheduler: clock, elevator: facts(i.elevatorId), active: [] }
          for (const d of DETECTORS) d.create(config.configFor(d.id, i.elevatorId), ctx)(g).subscribe(signal)
        }
        g.next(i)
      }
    },
    stop: () => { for (const g of groups.values()) g.complete() },
    elevatorsHeld: () => groups.size,
    alarmsRaised: () => raised,
  }
}

const gc = (): void => {
  const f = (globalThis as { gc?: () => void }).gc
  if (!f) throw new Error('run under node --expose-gc')
  f()
  f()
}
const heapUsed = (): number => { gc(); return process.memoryUsage().heapUsed }
const monoUs = (): number => Number(process.hrtime.bigint() / 1000n)
const MiB = (b: number) => Math.round(b / 1048576)

/** Feeds the replay up to `untilTs`; returns the messages fed. */
function feedUntil(r: Rig, replay: Replay, untilTs: number, batch: DetectorInput[]): number {
  let total = 0
  while (replay.nextTs < untilTs) {
    const n = replay.fill(batch, BATCH)
    r.feed(batch, n)
    total += n
  }
  return total
}

function measure(variant: Variant, seconds: number, elevators: number): Measured {
  const traces: Trace[] = simulateTraces(TRACE)
  const batch: DetectorInput[] = new Array(BATCH)
  const replayOf = (n: number) => new Replay(traces, { elevators: n, region: REGION, perGateway: 20, startTs: T0, pollMs: POLL_MS })

  // 1. JIT warm-up, thrown away
  const jitReplay = replayOf(500)
  const jit = rig(variant, jitReplay)
  feedUntil(jit, jitReplay, T0 + 60_000, batch)
  jit.stop()

  // 2. the elevators' state: heap before and after WARM_SECONDS of all of them
  const replay = replayOf(elevators)
  const r = rig(variant, replay)
  batch.fill(undefined as unknown as DetectorInput)
  const before = heapUsed()
  const w0 = performance.now()
  const warmMessages = feedUntil(r, replay, T0 + WARM_SECONDS * 1000, batch)
  const warmSeconds = (performance.now() - w0) / 1000
  batch.fill(undefined as unknown as DetectorInput)
  const after = heapUsed()

  // 3. timed batches, each built before its clock starts
  const windows: ProfileWindow[] = []
  let messages = 0
  let ms = 0
  let cpuUs = 0
  while (ms < seconds * 1000) {
    const n = replay.fill(batch, BATCH)
    const fromUs = monoUs()
    const cpu = process.cpuUsage()
    const t = performance.now()
    r.feed(batch, n)
    ms += performance.now() - t
    const used = process.cpuUsage(cpu)
    cpuUs += used.user + used.system
    windows.push({ fromUs, toUs: monoUs() })
    messages += n
  }
  const simulated = (replay.nextTs - T0) / 1000
  const result: Measured = {
    variant,
    detectors: variant === 'framework' ? [idle.id] : DETECTORS.map((d) => d.id),
    msgPerSec: Math.round(messages / (ms / 1000)),
    msgPerCpuSecond: Math.round(messages / (cpuUs / 1e6)),
    timed: { messages, seconds: Number((ms / 1000).toFixed(2)), cpuSeconds: Number((cpuUs / 1e6).toFixed(2)) },
    warm: { messages: warmMessages, msgPerSec: Math.round(warmMessages / warmSeconds), simulatedSeconds: WARM_SECONDS },
    stateBytesPerElevator: Math.round((after - before) / elevators),
    heapUsedMiB: { before: MiB(before), after: MiB(after) },
    elevatorsHeld: r.elevatorsHeld(),
    alarmsRaised: r.alarmsRaised(),
    pendingWakeUps: r.clock.pending,
    load: {
      changeShare: Number((replay.stats.change / (replay.stats.change + replay.stats.heartbeat)).toFixed(3)),
      msgPerElevatorPerSecond: Number(((warmMessages + messages) / elevators / simulated).toFixed(2)),
    },
    windows,
  }
  r.stop()
  return result
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry && process.argv[2] === '--measure') {
  const [variant, seconds, elevators] = process.argv.slice(3)
  console.log(JSON.stringify(measure(variant as Variant, Number(seconds), Number(elevators))))
} else if (isEntry) {
  // node bin/run-ts.js bench/detectors.ts [seconds] [--profile-out DIR]
  const args = process.argv.slice(2)
  const at = args.indexOf('--profile-out')
  const profileOut = at >= 0 ? args.splice(at, 2)[1] : undefined
  const seconds = args[0] === undefined ? undefined : Number(args[0])
  console.log(JSON.stringify(await benchDetectors({ seconds, ...(profileOut ? { profileOut, profile: 'always' as const } : {}) }), null, 2))
}
