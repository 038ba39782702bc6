// Detector tests in virtual time: inputs carry `ts` = T0 + their frame, a VirtualTimeScheduler
// plays them at that frame, and every signal is kept with the frame it came out at.
import { Subject, VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { Value } from '@sinclair/typebox/value'
import type { AlarmType, ControllerState, Telemetry } from '../../protocol/index.ts'
import type { AlarmEvent } from '../../protocol/index.ts'
import { AlarmLifecycle, alarmIds, type AlarmSignal, type Detector, type DetectorInput, type LifecycleConfig } from '../../detectors/index.ts'
import type { ElevatorFacts } from '../../detectors/runtime/types.ts'
import { topHeight } from '../../simulators/model/index.ts'
import { changed } from '../../gateway/telemetry.ts'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { SCENARIO_DIR, loadScenario, runScenario, type Scenario } from '../../simulators/scenario.ts'

export const T0 = 1_700_000_000_000
export const E1 = { elevatorId: '33092231102023080001', region: '330922', gatewayId: 'gw-1' }
export const E2 = { elevatorId: '33092231102023080002', region: '330922', gatewayId: 'gw-1' }
type Who = typeof E1

export const IDLE: ControllerState = {
  floor: '1', floorIndex: 0, position: 0, speed: 0, direction: 'none', moving: false, door: 'closed', doorZone: true,
  occupied: false, load: 0, alarmButton: false, safetyCircuit: true, mode: 'normal', power: 'mains', upLimit: false,
  downLimit: false, faultCode: 0,
}
/** stuck between floors: stopped, door closed, outside the door zone, a passenger inside */
export const STUCK: Partial<ControllerState> = { floor: '3', floorIndex: 2, position: 10.5, doorZone: false, occupied: true }

let seq = 0
export function tele(ms: number, state: Partial<ControllerState> = {}, who: Who = E1, reason: Telemetry['reason'] = 'change'): DetectorInput {
  const msg: Telemetry = { v: 1, ts: T0 + ms, seq: seq++, boot: 'b1', gateway: who.gatewayId, reason, ...IDLE, ...state }
  return { kind: 'telemetry', ...who, ts: T0 + ms, msg }
}
export const availability = (ms: number, state: 'online' | 'offline', who: Who = E1, reason?: string): DetectorInput =>
  ({ kind: 'availability', ...who, ts: T0 + ms, state, ...(reason ? { reason } : {}) })
export const gateway = (ms: number, state: 'online' | 'offline', who: Who = E1): DetectorInput =>
  ({ kind: 'gateway', ...who, ts: T0 + ms, state })

/** Heartbeats of one state every `every` ms over [from, to). */
export function beats(from: number, to: number, state: Partial<ControllerState> = {}, every = 10_000, who: Who = E1): DetectorInput[] {
  const out: DetectorInput[] = []
  for (let ms = from; ms < to; ms += every) out.push(tele(ms, state, who, ms === from ? 'change' : 'heartbeat'))
  return out
}

/**
 * A car hunting at a landing, as a gateway reports it: standing, then re-levelling for
 * `relevelMs` at the end of every `everyMs` over [from, to) (slow, inside the door zone).
 */
export function hunting(from: number, to: number, state: Partial<ControllerState> = {}, relevelMs = 1_200, everyMs = 5_000): DetectorInput[] {
  const out: DetectorInput[] = []
  const relevel = { ...state, moving: true, speed: 0.05, direction: 'up' as const }
  for (let ms = from; ms < to; ms += everyMs) out.push(tele(ms, state), tele(ms + everyMs - relevelMs, relevel))
  return out
}

export const vts = (until = Infinity) => new VirtualTimeScheduler(VirtualAction, until)

/**
 * Plays inputs into a subject on `scheduler` (not yet flushed), each at frame `ts - T0` or at the
 * frame `frameOf` gives (replayed history arrives long after its ts).
 */
export function play(scheduler: VirtualTimeScheduler, inputs: readonly DetectorInput[], frameOf?: (i: DetectorInput) => number): Subject<DetectorInput> {
  const input$ = new Subject<DetectorInput>()
  const frame = frameOf ?? ((i: DetectorInput) => i.ts - T0)
  const queue = inputs.map((i) => ({ i, at: frame(i) })).sort((a, b) => a.at - b.at).map((x) => x.i)
  // one pending action at a time: the scheduler re-sorts its queue on every schedule
  const next = (k: number): void => {
    const i = queue[k]
    if (!i) return
    scheduler.schedule(() => {
      input$.next(i)
      next(k + 1)
    }, frame(i) - scheduler.now())
  }
  next(0)
  return input$
}

export interface Emitted { frame: number; signal: AlarmSignal }

/** The simulator's default car as the registry would describe it: B1…12, 1.75 m/s, 37 m of travel. */
export const FACTS: ElevatorFacts = { landings: ['B1', ...Array.from({ length: 12 }, (_, i) => String(i + 1))], ratedSpeed: 1.75, travel: 37 }

/** A scenario's car as the registry would describe it. */
export const factsOf = (sc: Scenario): ElevatorFacts =>
  ({ landings: sc.car.landings.map((l) => l.label), ratedSpeed: sc.car.ratedSpeed, travel: topHeight(sc.car) })

export interface DriveOptions {
  config?: Record<string, unknown>
  /** virtual ms to run to (default 1 h) */
  until?: number
  active?: AlarmType[]
  /** default FACTS; null = an elevator the registry does not describe */
  facts?: ElevatorFacts | null
  /** the frame an input arrives at (default its ts − T0) */
  frameOf?: (i: DetectorInput) => number
  /** driveAlarms: the lifecycle's holds (default LIFECYCLE_DEFAULTS) */
  lifecycle?: LifecycleConfig
}

export function drive<D extends Detector>(d: D, inputs: readonly DetectorInput[], opts: DriveOptions = {}): Emitted[] {
  const out: Emitted[] = []
  run(d, inputs, opts, (scheduler, signal) => out.push({ frame: scheduler.now(), signal }))
  return out
}

export interface EmittedEvent { frame: number; event: AlarmEvent }

/**
 * The detector followed by the alarm lifecycle (hold, flapping, one alarm per key): the
 * AlarmEvents a subscriber would see, each with the frame it came out at.
 */
export function driveAlarms<D extends Detector>(d: D, inputs: readonly DetectorInput[], opts: DriveOptions = {}): EmittedEvent[] {
  const out: EmittedEvent[] = []
  let lifecycle: AlarmLifecycle | null = null
  run(d, inputs, opts, (scheduler, signal) => {
    lifecycle ??= new AlarmLifecycle({
      newId: alarmIds(() => scheduler.now()), scheduler, config: opts.lifecycle,
      emit: (event) => out.push({ frame: scheduler.now(), event }),
    })
    lifecycle.apply(signal)
  })
  return out
}

function run(d: Detector, inputs: readonly DetectorInput[], opts: DriveOptions, emit: (s: VirtualTimeScheduler, signal: AlarmSignal) => void): void {
  const scheduler = vts(opts.until ?? 3_600_000)
  const config = Value.Default(d.configSchema, structuredClone(opts.config ?? {}))
  if (!Value.Check(d.configSchema, config)) throw new Error(`bad test config for ${d.id}`)
  const input$ = play(scheduler, inputs, opts.frameOf)
  const ctx = { scheduler, active: opts.active ?? [], elevator: opts.facts === undefined ? FACTS : opts.facts }
  const sub = d.create(config, ctx)(input$).subscribe((signal) => emit(scheduler, signal))
  scheduler.flush()
  sub.unsubscribe()
}

/**
 * A scenario run as a gateway would report it: a message on every change (the gateway's own
 * deadbands), a heartbeat every 10 s, nothing while the controller's wire is not answering.
 */
export function scenarioInputs(sc: Scenario, who: Who = E1, heartbeatMs = 10_000): DetectorInput[] {
  const out: DetectorInput[] = []
  let lastState: ControllerState | null = null
  let lastMs = -Infinity
  for (const f of runScenario(sc)) {
    // a slow controller still answers (late); silent or excepting ones give the gateway nothing
    if (f.wire.mode === 'silent' || f.wire.mode === 'exception') continue
    const ms = Math.round(f.t * 1000)
    const news = lastState === null || changed(lastState, f.state, { position: 0.05, speed: 0.05, load: 2 })
    if (!news && ms - lastMs < heartbeatMs) continue
    // the first frame comes twice at t = 0; keep the later one
    if (lastMs === ms) out.pop()
    out.push(tele(ms, f.state, who, news ? 'change' : 'heartbeat'))
    lastState = f.state
    lastMs = ms
  }
  return out
}

export const raised = (out: Emitted[]) => out.filter((e) => e.signal.state === 'raised')
export const cleared = (out: Emitted[]) => out.filter((e) => e.signal.state === 'cleared')

/**
 * The scenario files to run a detector of `type` through on its own: every short one, and the
 * days-long ones that list `type` (the others run in test/broker/detect/scenarios.test.ts).
 */
export function scenariosFor(type: AlarmType): Scenario[] {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => loadScenario(join(SCENARIO_DIR, f)))
    .filter((sc) => sc.duration <= 4 * 3600 || sc.alarms.includes(type))
}

/** The raises of one detector alone over a scenario, reported as a gateway would, with the car's facts. */
export const raisesIn = (d: Detector, sc: Scenario): Emitted[] =>
  raised(drive(d, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) }))
