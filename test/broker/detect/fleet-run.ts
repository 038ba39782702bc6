// Many cars' scenarios run side by side in virtual time and reported as their gateways would:
// polled every 200 ms, a message on every change past the gateway's deadbands, a heartbeat after
// 10 s of quiet. Inputs come out in ts order, ready for one DetectorRuntime.
//
// runScenario steps a car with traffic every tick, which for 50 cars × 24 h is minutes of model
// time. A car at rest, door closed, with nothing scheduled, can only be changed by a hall call,
// and traffic() makes those at a constant rate: so the wait for the next call is drawn at once
// (exponential, i.e. geometric in ticks, as traffic()'s per-tick draws give) and the ticks in
// between are skipped. Everything else is the simulator's own: scenarioTick, traffic, step.
import type { DetectorInput } from '../../../detectors/runtime/types.ts'
import type { ControllerState, Telemetry } from '../../../protocol/index.ts'
import { changed } from '../../../gateway/telemetry.ts'
import { controllerState, createCar, step, type CarInputs, type CarState } from '../../../simulators/model/index.ts'
import { sameData, scenarioTick, startScenario, type ScenarioCursor } from '../../../simulators/scenario-run.ts'
import { createRng, nextRandom, traffic, type Rng } from '../../../simulators/traffic.ts'
import type { DayCar } from './fleet-day.ts'

// gateway/config.ts polling defaults
const DEADBAND = { position: 0.05, speed: 0.05, load: 2 }
const POLL_MS = 200
const HEARTBEAT_MS = 10_000
/** traffic.ts's hall-call rate at intensity 1, not exported there; simulated-day.test.ts checks they agree */
const HALL_CALLS_PER_S = 1 / 12
/** a tick so long that traffic()'s hall-call draw is certain: it then picks the drawn call's landing and direction */
const CERTAIN_S = 1e9

export interface CarTally {
  trips: number
  /** re-levelling runs (rope stretch as people step in and out) */
  relevels: number
  boarded: number
  /** closing doors sent back open: someone ran in, or held the door */
  reopens: number
  messages: number
  /** seconds the door stood open while someone held it */
  heldOpenS: number
  /** ts of the first and last message reporting inspection mode */
  inspection: { first: number; last: number; messages: number } | null
}

interface Running {
  readonly day: DayCar
  car: CarState
  rng: Rng
  cursor: ScenarioCursor
  /** the car stays as it is under the settings in force until tick `due` */
  resting: boolean
  /** tick of the next drawn hall call while resting (Infinity = none) */
  callTick: number
  due: number
  view: { car: CarState; state: ControllerState }
  sent: ControllerState | null
  sentAt: number
  seq: number
  readonly tally: CarTally
}

export interface FleetRunOptions {
  /** ts of the first frame, ms */
  readonly start: number
  /** model step, seconds (default 0.1) */
  readonly dt?: number
}

/** The fleet's telemetry in ts order; `tallies` fill in as it is consumed. */
export function fleetRun(cars: readonly DayCar[], opts: FleetRunOptions): { inputs: Generator<DetectorInput>; tallies: Map<string, CarTally> } {
  const tallies = new Map<string, CarTally>()
  const running = cars.map((day): Running => {
    const car = createCar(day.sc.car)
    const tally: CarTally = { trips: 0, relevels: 0, boarded: 0, reopens: 0, messages: 0, heldOpenS: 0, inspection: null }
    tallies.set(day.who.elevatorId, tally)
    return {
      day, car, rng: createRng(day.sc.seed), cursor: startScenario(), resting: false, callTick: Infinity, due: 0,
      view: { car, state: controllerState(car) }, sent: null, sentAt: -Infinity, seq: 0, tally,
    }
  })
  return { inputs: generate(running, opts), tallies }
}

function* generate(cars: Running[], opts: FleetRunOptions): Generator<DetectorInput> {
  const dt = opts.dt ?? 0.1
  const tickMs = Math.round(dt * 1000)
  if (POLL_MS % tickMs !== 0) throw new Error(`dt ${dt} s does not divide the ${POLL_MS} ms poll`)
  const perPoll = POLL_MS / tickMs
  const duration = Math.max(...cars.map((c) => c.day.sc.duration))
  const end = Math.round((duration * 1000) / tickMs)
  for (const c of cars) {
    const m = report(c, opts.start)
    if (m) yield m
  }
  for (let k = 0; k < end; k++) {
    const poll = (k + 1) % perPoll === 0
    const ts = opts.start + (k + 1) * tickMs
    for (const c of cars) {
      if (!c.resting || k >= c.due) advance(c, k, dt)
      if (!poll) continue
      const m = report(c, ts)
      if (m) yield m
    }
  }
}

const tickOf = (at: number, dt: number) => Math.ceil(at / dt - 1e-9)
const seconds = (tick: number, dt: number): number => Math.round(tick * dt * 1e6) / 1e6

/** Tick k: the steps due, passengers, one model step (runScenario's tick, with the rest skip). */
function advance(c: Running, k: number, dt: number): void {
  const sc = c.day.sc
  const played = scenarioTick(sc, c.cursor, seconds(k, dt))
  const settingsChanged = played.cursor !== c.cursor
  c.cursor = played.cursor
  const intensity = c.cursor.traffic
  let inputs = played.inputs
  let quiet = !played.events
  if (intensity > 0) {
    // the call drawn for this tick, or traffic's own draw when the car is not at rest
    const drawn = c.resting && !settingsChanged && k === c.callTick
    const r = traffic(c.car, c.car.spec, c.rng, drawn ? CERTAIN_S : dt, intensity)
    c.rng = r.rng
    if (Object.keys(r.inputs).length > 0) {
      inputs = merge(inputs, r.inputs)
      quiet = false
    }
  }
  const before = c.car
  const after = step(before, dt, inputs)
  tallyStep(c, before, after, dt)
  c.car = after
  c.resting = quiet && atRest(after) && sameData(after, before)
  if (!c.resting) return
  const next = sc.steps[c.cursor.next]
  c.callTick = intensity > 0 ? k + 1 + geometric(c, HALL_CALLS_PER_S * intensity * dt) : Infinity
  c.due = Math.min(c.callTick, next ? tickOf(next.at, dt) : Infinity)
}

const atRest = (s: CarState): boolean =>
  s.door === 'closed' && !s.trip && s.velocity === 0 && s.sink === 0 && !s.relevelling && s.carCalls.length === 0 && s.hallCalls.length === 0

/** Ticks without a call before the first, each tick a call with probability 1 − e^(−rate). */
function geometric(c: Running, rate: number): number {
  const [u, rng] = nextRandom(c.rng)
  c.rng = rng
  return Math.floor(-Math.log(1 - u) / rate)
}

/** Two ticks' inputs as one: calls and passengers add up, later settings win, a hold holds. */
function merge(a: CarInputs, b: CarInputs): CarInputs {
  const out: { -readonly [K in keyof CarInputs]: CarInputs[K] } = { ...a, ...b }
  if (a.carCalls && b.carCalls) out.carCalls = [...a.carCalls, ...b.carCalls]
  if (a.hallCalls && b.hallCalls) out.hallCalls = [...a.hallCalls, ...b.hallCalls]
  if (a.board && b.board) out.board = a.board + b.board
  if (a.alight && b.alight) out.alight = a.alight + b.alight
  if (a.holdDoor || b.holdDoor) out.holdDoor = true
  return out
}

function tallyStep(c: Running, before: CarState, after: CarState, dt: number): void {
  const t = c.tally
  if (after.trip && !before.trip) t.trips++
  if (after.relevelling && !before.relevelling) t.relevels++
  if (after.passengers > before.passengers) t.boarded += after.passengers - before.passengers
  if (after.reopens > before.reopens) t.reopens++
  if (c.cursor.holdDoor && after.door === 'open') t.heldOpenS += dt
}

/** The gateway's poll: a message when the state changed past the deadbands, or is due a heartbeat. */
function report(c: Running, ts: number): DetectorInput | null {
  if (c.view.car !== c.car) c.view = { car: c.car, state: controllerState(c.car) }
  const state = c.view.state
  const news = c.sent === null || (state !== c.sent && changed(c.sent, state, DEADBAND))
  if (!news && ts - c.sentAt < HEARTBEAT_MS) return null
  c.sent = state
  c.sentAt = ts
  const t = c.tally
  t.messages++
  if (state.mode === 'inspection') {
    t.inspection ??= { first: ts, last: ts, messages: 0 }
    t.inspection.last = ts
    t.inspection.messages++
  }
  const { elevatorId, region, gatewayId } = c.day.who
  const msg: Telemetry = { v: 1, ts, seq: c.seq++, boot: `${gatewayId}-b1`, gateway: gatewayId, reason: news ? 'change' : 'heartbeat', ...state }
  return { kind: 'telemetry', elevatorId, region, gatewayId, ts, msg }
}
