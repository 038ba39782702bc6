// A fixed, seeded load for the golden-output guard (golden-output.test.ts): the detectors
// benchmark's simulated cars (bench/detectors-load.ts) across a few hundred elevators, with
// outages in it — a gateway offline whose outbox replays the gap, a controller unreachable, a
// silent link — every short scenario of simulators/scenarios/ on an elevator of its own, and some
// elevators under low thresholds so that most alarm types are raised and cleared on plain traffic.
// Everything runs through the broker's DetectorRuntime on the bench's event clock, so the alarm
// events it publishes, and when, are a fingerprint of what the detectors decide.
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { DetectorInput, ElevatorFacts } from '../../../detectors/index.ts'
import { DetectorRuntime } from '../../../broker/detect/runtime.ts'
import type { DetectorsConfig } from '../../../broker/detect/config.ts'
import { EventClock } from '../../../bench/event-clock.ts'
import { Replay, simulateTraces } from '../../../bench/detectors-load.ts'
import { SCENARIO_DIR, loadScenario } from '../../../simulators/scenario.ts'
import { IDLE, T0, factsOf, scenarioInputs, tele } from '../../detectors/harness.ts'

const REGION = '330922'
const POLL_MS = 200
const MINUTE = 60_000

/** One input and when it reaches the runtime (replayed history arrives after its ts). */
interface Arrival { at: number; i: DetectorInput }

export interface GoldenLoad {
  readonly arrivals: readonly Arrival[]
  readonly facts: (elevatorId: string) => ElevatorFacts | null
  readonly config: DetectorsConfig
  readonly until: number
}

/** Thresholds low enough that plain traffic raises and clears them (per elevator, so rules differ by config). */
const LOW: Record<string, Record<string, unknown>> = {
  'long-idle': { maxIdleMs: 60_000 },
  'door-open-too-long': { holdMs: 6_000 },
  'stop-outside-door-zone': { holdMs: 1_000 },
  'repeated-door-reopen': { cycles: 2 },
  'runtime-limit': { minLimitMs: 4_000, maxTripMs: 4_000, travelFactor: 1 },
  'door-close-fault': { holdMs: 2_000, attempts: 2 },
  'door-open-fault': { holdMs: 2_000 },
  'overspeed': { warningFactor: 1, criticalFactor: 1.05, warningHoldMs: 200 },
  'anomaly': { minObservations: 3, baselineSize: 8, recentSize: 3, sustainedEvaluations: 1, sustainMs: 0, learnEveryMs: 0, threshold: 0.5, learnBelow: 100 },
  'entrapment': { insideDoorZoneMs: 2_000, outsideDoorZoneMs: 1_000, modes: ['normal', 'inspection'] },
  'alarm-button': { holdMs: 0 },
  'communication-lost': { heartbeatMs: 2_000, missedHeartbeats: 2 },
}

export function goldenLoad(opts: { elevators?: number; minutes?: number } = {}): GoldenLoad {
  const elevators = opts.elevators ?? 300
  const minutes = opts.minutes ?? 4
  const traces = simulateTraces({ cars: 48, minutes: 8, pollMs: POLL_MS, heartbeatMs: 10_000, seed: 7 })
  const replay = new Replay(traces, { elevators, region: REGION, perGateway: 20, startTs: T0, pollMs: POLL_MS })
  const arrivals: Arrival[] = []
  const live: DetectorInput[] = []
  const batch: DetectorInput[] = new Array(4096)
  while (replay.nextTs < T0 + minutes * MINUTE) {
    const n = replay.fill(batch, batch.length)
    for (let k = 0; k < n; k++) live.push(batch[k]!)
  }
  const index = new Map(replay.ids.map((id, e) => [id, e]))
  const config: DetectorsConfig = { elevators: {} }
  for (let e = 0; e < elevators; e += 10) config.elevators![replay.ids[e]!] = LOW
  for (const i of live) {
    const e = index.get(i.elevatorId)!
    const ts = i.ts
    // a gateway offline for a minute: nothing live; its outbox replays the gap after it is back
    if ((e % 20 === 5 || e % 20 === 0) && ts >= T0 + MINUTE && ts < T0 + 2 * MINUTE) {
      if (i.kind === 'telemetry') arrivals.push({ at: T0 + 2 * MINUTE + 1_000 + (ts - T0 - MINUTE) / 100, i: { ...i, msg: { ...i.msg, reason: 'replay' } } })
      continue
    }
    // the controller unreachable for 20 s, then the gateway reports it back
    if (e % 20 === 9 && ts >= T0 + 150_000 && ts < T0 + 170_000) continue
    // a silent link, 45 s: communication_lost by silence
    if (e % 20 === 13 && ts >= T0 + 30_000 && ts < T0 + 75_000) continue
    arrivals.push({ at: ts, i })
  }
  for (let e = 0; e < elevators; e += 5) {
    if (e % 20 !== 0 && e % 20 !== 5) continue
    const who = { elevatorId: replay.ids[e]!, region: REGION, gatewayId: `gw-${String(Math.floor(e / 20) + 1).padStart(4, '0')}` }
    arrivals.push({ at: T0 + MINUTE + 500, i: { kind: 'gateway', ...who, ts: T0 + MINUTE + 500, state: 'offline' } })
    arrivals.push({ at: T0 + 2 * MINUTE, i: { kind: 'gateway', ...who, ts: T0 + 2 * MINUTE, state: 'online' } })
  }
  for (let e = 9; e < elevators; e += 20) {
    const who = { elevatorId: replay.ids[e]!, region: REGION, gatewayId: `gw-${String(Math.floor(e / 20) + 1).padStart(4, '0')}` }
    arrivals.push({ at: T0 + 150_100, i: { kind: 'availability', ...who, ts: T0 + 150_100, state: 'offline', reason: 'modbus timeout' } })
    arrivals.push({ at: T0 + 169_900, i: { kind: 'availability', ...who, ts: T0 + 169_900, state: 'online' } })
  }

  // every short scenario on an elevator of its own, from T0
  const scenarioFacts = new Map<string, ElevatorFacts>()
  const scenarios = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => loadScenario(join(SCENARIO_DIR, f)))
    .filter((sc) => sc.duration <= 2_000)
  scenarios.forEach((sc, k) => {
    const who = { elevatorId: `sc-${String(k).padStart(2, '0')}`, region: REGION, gatewayId: 'gw-scenarios' }
    scenarioFacts.set(who.elevatorId, factsOf(sc))
    for (const i of scenarioInputs(sc, who)) arrivals.push({ at: i.ts, i })
  })

  // two cars idle for 65 minutes under a 1 h maintenance period, one of them with a visit
  const overdue = { 'maintenance-overdue': { periodMs: 3_600_000, visitMs: 60_000 } }
  for (let k = 0; k < 2; k++) {
    const who = { elevatorId: `mo-${k}`, region: REGION, gatewayId: 'gw-overdue' }
    config.elevators![who.elevatorId] = overdue
    for (let ms = 0; ms < 65 * MINUTE; ms += 10_000) {
      const visiting = k === 1 && ms >= 50 * MINUTE && ms < 52 * MINUTE
      const i = tele(ms, visiting ? { ...IDLE, mode: 'maintenance' } : IDLE, who, 'heartbeat')
      arrivals.push({ at: i.ts, i })
    }
  }

  // stable: equal arrival times keep the order built above
  arrivals.sort((a, b) => a.at - b.at)
  const until = arrivals[arrivals.length - 1]!.at + 2 * MINUTE
  return {
    arrivals, config, until,
    facts: (id) => replay.facts(id) ?? scenarioFacts.get(id) ?? null,
  }
}

export interface GoldenRun {
  readonly events: number
  readonly types: string[]
  readonly sha256: string
  readonly inputs: number
  /** events from replayed history (late) */
  readonly late: number
}

/** JSON with object keys sorted, so a field's order in an object does not count. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`
  }
  return JSON.stringify(v)
}

/** The load through the real runtime; every published event with the clock's time, hashed. */
export function runGolden(load: GoldenLoad): GoldenRun {
  const clock = new EventClock(T0 - 1)
  const input$ = new Subject<DetectorInput>()
  let n = 0
  const runtime = new DetectorRuntime({ input$, scheduler: clock, facts: load.facts, config: load.config, newId: () => `id-${n++}` })
  const seen: { at: number; e: AlarmEvent }[] = []
  runtime.alarms$.subscribe((e) => seen.push({ at: clock.now(), e }))
  runtime.start()
  for (const a of load.arrivals) {
    clock.advanceTo(a.at)
    input$.next(a.i)
  }
  clock.advanceTo(load.until)
  runtime.stop()
  // ids are the order of raises, which says nothing: each becomes its key and its rank under that key
  const ids = new Map<string, string>()
  const perKey = new Map<string, number>()
  const lines = seen.map(({ at, e }) => {
    let id = ids.get(e.id)
    if (id === undefined) {
      const k = perKey.get(e.key) ?? 0
      perKey.set(e.key, k + 1)
      ids.set(e.id, (id = `${e.key}#${k}`))
    }
    return canonical({ publishedAt: at, ...e, id })
  }).sort()
  const sha256 = createHash('sha256').update(lines.join('\n')).digest('hex')
  return { events: seen.length, types: [...new Set(seen.map((s) => s.e.type))].sort(), sha256, inputs: load.arrivals.length, late: seen.filter((s) => s.e.late).length }
}
