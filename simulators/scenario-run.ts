// Runs a scenario in virtual time and checks its expectations. Pure apart from the generator's
// own progress: same scenario, same frames.
import type { ControllerState } from '../protocol/index.ts'
import {
  controllerState, createCar, normaliseFaults, step, type CarFaults, type CarInputs, type CarState,
} from './model/index.ts'
import type { WireBehaviour } from './modbus/device.ts'
import type { Expectation, Range, Scenario, ScenarioSet } from './scenario.ts'
import { createRng, traffic } from './traffic.ts'

export interface ScenarioFrame {
  /** seconds of virtual time since the start */
  readonly t: number
  readonly state: ControllerState
  readonly wire: WireBehaviour
  readonly car: CarState
}

export interface RunOptions {
  /** model step, seconds (default 0.1) */
  readonly dt?: number
  /** while the car is at rest and nothing is scheduled, emit a frame this often (default 10 s) */
  readonly idleStep?: number
}

/** Where a scenario stands: the next step to play and the settings in force. */
export interface ScenarioCursor {
  /** index of the next step in `scenario.steps` */
  readonly next: number
  readonly faults: CarFaults
  readonly alarmButton: boolean
  readonly holdDoor: boolean
  readonly inspectionMove: 'up' | 'down' | null
  /** passenger traffic intensity in force, 0 = none */
  readonly traffic: number
  readonly wire: WireBehaviour
}

export const startScenario = (): ScenarioCursor =>
  ({ next: 0, faults: {}, alarmButton: false, holdDoor: false, inspectionMove: null, traffic: 0, wire: { mode: 'ok' } })

export interface ScenarioTick {
  readonly cursor: ScenarioCursor
  /** the car's inputs for this tick: persistent settings plus this tick's one-shot events */
  readonly inputs: CarInputs
  /** a one-shot event or latching change acts on this tick */
  readonly events: boolean
}

/**
 * Plays every step due by time `t` (seconds) and returns the inputs for the tick starting at
 * `t`. Real-time players call it with wall-clock seconds, the runner with virtual ones.
 */
export function scenarioTick(sc: Scenario, cursor: ScenarioCursor, t: number): ScenarioTick {
  let c = cursor
  let once: CarInputs = {}
  while (c.next < sc.steps.length && (sc.steps[c.next]?.at ?? Infinity) <= t + 1e-9) {
    const s = sc.steps[c.next]!
    c = { ...c, next: c.next + 1, ...(s.wire ? { wire: s.wire } : {}) }
    if (s.set) {
      const applied = apply(c, s.set)
      c = applied.cursor
      once = merge(once, applied.once)
    }
  }
  const inputs: CarInputs = {
    ...once,
    faults: c.faults,
    alarmButton: c.alarmButton,
    holdDoor: c.holdDoor || once.holdDoor,
    inspectionMove: c.inspectionMove,
  }
  return { cursor: c, inputs, events: Object.keys(once).length > 0 }
}

const seconds = (tick: number, dt: number): number => Math.round(tick * dt * 1e6) / 1e6

/**
 * Frames from t = 0 to the end, one per dt; idle stretches (the car at rest, no traffic, nothing
 * scheduled) are skipped in `idleStep` jumps so a simulated fortnight runs in well under a second.
 */
export function* runScenario(sc: Scenario, opts: RunOptions = {}): Generator<ScenarioFrame> {
  const dt = opts.dt ?? 0.1
  const idleTicks = Math.max(1, Math.round((opts.idleStep ?? 10) / dt))
  const end = Math.round(sc.duration / dt)
  // a step at `at` acts on the first tick that starts at or after it
  const tickOf = (at: number) => Math.ceil(at / dt - 1e-9)
  let car = createCar(sc.car)
  let rng = createRng(sc.seed)
  let cursor = startScenario()
  // the car known to stay as it is under the settings in force (nothing played since)
  let resting: CarState | null = null
  let view = { car, state: controllerState(car) }
  const frame = (tick: number): ScenarioFrame => {
    if (view.car !== car) view = { car, state: controllerState(car) }
    return { t: seconds(tick, dt), state: view.state, wire: cursor.wire, car }
  }
  yield frame(0)
  for (let tick = 0; tick < end;) {
    const played = scenarioTick(sc, cursor, seconds(tick, dt))
    if (played.cursor !== cursor) resting = null
    cursor = played.cursor
    if (cursor.traffic > 0) {
      const r = traffic(car, car.spec, rng, dt, cursor.traffic)
      rng = r.rng
      car = step(car, dt, merge(played.inputs, r.inputs))
    } else {
      if (resting !== car) {
        const after = step(car, dt, played.inputs)
        if (played.events || !sameData(after, car)) car = after
        else resting = car
      }
      if (resting === car) {
        // nothing can change until the next step: jump ahead
        const due = sc.steps[cursor.next]
        tick = Math.min(end, due ? tickOf(due.at) : end, tick + idleTicks)
        yield frame(tick)
        continue
      }
    }
    tick++
    yield frame(tick)
  }
}

/** Latches a step's persistent settings into the cursor; returns the inputs that act once. */
function apply(cursor: ScenarioCursor, set: ScenarioSet): { cursor: ScenarioCursor; once: CarInputs } {
  let faults = cursor.faults
  if (set.faults) {
    const merged = { ...cursor.faults, ...set.faults } as Record<string, unknown>
    if (merged.floorLost === 'none') delete merged.floorLost
    faults = normaliseFaults(merged as CarFaults)
  }
  const next: ScenarioCursor = {
    ...cursor,
    faults,
    alarmButton: set.alarmButton ?? cursor.alarmButton,
    holdDoor: set.holdDoor ?? cursor.holdDoor,
    inspectionMove: set.inspectionMove === undefined ? cursor.inspectionMove : set.inspectionMove === 'stop' ? null : set.inspectionMove,
    traffic: set.traffic ?? cursor.traffic,
  }
  const once: CarInputs = {
    ...(set.mode ? { mode: set.mode } : {}),
    ...(set.power ? { power: set.power } : {}),
    ...(set.spec ? { spec: set.spec } : {}),
    ...(set.carCalls ? { carCalls: set.carCalls } : {}),
    ...(set.hallCalls ? { hallCalls: set.hallCalls } : {}),
    ...(set.board ? { board: set.board } : {}),
    ...(set.alight ? { alight: set.alight } : {}),
  }
  return { cursor: next, once }
}

/** Two ticks' inputs as one: calls and passengers add up, later settings win. */
function merge(a: CarInputs, b: CarInputs): CarInputs {
  const out: CarInputs = { ...a, ...b }
  const calls = [...(a.carCalls ?? []), ...(b.carCalls ?? [])]
  const halls = [...(a.hallCalls ?? []), ...(b.hallCalls ?? [])]
  const board = (a.board ?? 0) + (b.board ?? 0)
  const alight = (a.alight ?? 0) + (b.alight ?? 0)
  return {
    ...out,
    ...(calls.length ? { carCalls: calls } : {}),
    ...(halls.length ? { hallCalls: halls } : {}),
    ...(board ? { board } : {}),
    ...(alight ? { alight } : {}),
    ...(a.holdDoor || b.holdDoor ? { holdDoor: true } : {}),
  }
}

/** Structural equality of plain JSON data. */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/**
 * Every expectation the frames break, as readable lines; [] when all hold. `at: T` is checked
 * on the first frame at or after T; `during: [a, b]` on every frame whose stretch of time
 * (since the frame before) overlaps the window, so idle jumps count, and needs at least one.
 */
export function checkExpectations(sc: Scenario, frames: Iterable<ScenarioFrame>): string[] {
  const failures = new Map<number, string>()
  const seen = new Set<number>()
  let previous = -Infinity
  for (const f of frames) {
    sc.expect.forEach((e, i) => {
      if (failures.has(i)) return
      if (e.at !== undefined) {
        if (seen.has(i) || f.t < e.at - 1e-9) return
      } else if (e.during) {
        // the frame's state has held since just after the previous frame
        if (f.t < e.during[0] - 1e-9 || previous >= e.during[1] - 1e-9) return
      }
      seen.add(i)
      const miss = mismatch(e, f)
      // an `at` frame may come after an idle jump; the state it shows held at `at` already
      if (miss) failures.set(i, `${label(e, i)}: ${e.at !== undefined ? '' : `at t=${f.t} s `}${miss}`)
    })
    previous = f.t
  }
  sc.expect.forEach((e, i) => {
    if (!seen.has(i) && !failures.has(i)) failures.set(i, `${label(e, i)}: no frame in that time`)
  })
  return [...failures.entries()].sort(([a], [b]) => a - b).map(([, m]) => m)
}

const label = (e: Expectation, i: number): string =>
  `expect.${i} (${e.at !== undefined ? `at ${e.at} s` : `during ${e.during?.[0]}–${e.during?.[1]} s`})`

function mismatch(e: Expectation, f: ScenarioFrame): string | null {
  for (const [key, want] of Object.entries(e.state ?? {})) {
    const got = (f.state as Record<string, unknown>)[key]
    const why = matches(got, want)
    if (why) return `${key} is ${JSON.stringify(got)}, expected ${why}`
  }
  for (const [key, want] of Object.entries(e.wire ?? {})) {
    const got = (f.wire as Record<string, unknown>)[key]
    if (got !== want) return `wire.${key} is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`
  }
  return null
}

/** null when `got` satisfies the matcher, else what was expected. */
function matches(got: unknown, want: unknown): string | null {
  if (want !== null && typeof want === 'object' && 'oneOf' in want) {
    const options = (want as { oneOf: unknown[] }).oneOf
    return options.some((o) => o === got) ? null : `one of ${JSON.stringify(options)}`
  }
  if (want !== null && typeof want === 'object') {
    const { min, max } = want as Range
    const ok = typeof got === 'number' && (min === undefined || got >= min) && (max === undefined || got <= max)
    return ok ? null : `a number${min !== undefined ? ` ≥ ${min}` : ''}${max !== undefined ? ` ≤ ${max}` : ''}`
  }
  return got === want ? null : JSON.stringify(want)
}
