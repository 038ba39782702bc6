// Telemetry for the detector benchmark: a sample of simulated cars (the car model with seeded
// passenger traffic) polled as a gateway polls them, then replayed across many elevator ids.
//   simulateTraces: per sample car, one slot per poll — the state the gateway would send, and
//     why ('change' past the gateway's deadbands, 'heartbeat' after 10 s of quiet), or null.
//     The two busiest sample cars have an incident each: the alarm button held 5 s; a drive fault
//     that stops a trip between floors for 40 s, the alarm button pressed inside (the simulated traffic seldom
//     leaves a rider aboard a trip, so the press is the passenger evidence).
//   Replay: elevator e plays sample car e % cars from its own phase, at its own ms within each
//     poll, so inputs come out in ts order the way ingest hands them on.
import type { ControllerState } from '../protocol/index.ts'
import { registrationCode } from '../protocol/index.ts'
import type { DetectorInput, ElevatorFacts } from '../detectors/index.ts'
import { controllerState, createCar, defaultCarSpec, inDoorZone, step, topHeight, type CarFaults, type CarInputs } from '../simulators/model/index.ts'
import { createRng, traffic } from '../simulators/traffic.ts'
import { changed } from '../gateway/telemetry.ts'

export interface Slot { readonly state: ControllerState; readonly reason: 'change' | 'heartbeat' }
export interface Trace {
  /** the car as the registry would describe it */
  readonly facts: ElevatorFacts
  /** one entry per poll */
  readonly slots: readonly (Slot | null)[]
}

export interface TraceOptions { cars: number; minutes: number; pollMs: number; heartbeatMs: number; seed: number }

// the gateway's defaults (gateway/config.ts polling.deadband) and the simulator's model step
const DEADBAND = { position: 0.05, speed: 0.05, load: 2 }
const STEP_S = 0.1
const RATED_SPEEDS = [1.0, 1.5, 1.75, 2.5]

export function simulateTraces(o: TraceOptions): Trace[] {
  const polls = Math.round((o.minutes * 60_000) / o.pollMs)
  const steps = Math.max(1, Math.round(o.pollMs / 1000 / STEP_S))
  return Array.from({ length: o.cars }, (_, c) => {
    const spec = defaultCarSpec(`sample-${c}`, { ratedSpeed: RATED_SPEEDS[c % 4]!, hasOccupancySensor: c % 7 !== 3 })
    let car = createCar(spec)
    let rng = createRng((o.seed * 7919 + c) >>> 0)
    // quiet residential lifts to busy office lifts
    const intensity = 0.15 + (0.85 * c) / Math.max(1, o.cars - 1)
    const incident = incidentOf(o.cars - 1 - c, polls)
    const slots: (Slot | null)[] = []
    let sent: ControllerState | null = null
    let sentAt = -Infinity
    for (let p = 0; p < polls; p++) {
      for (let k = 0; k < steps; k++) {
        const tick = traffic(car, spec, rng, STEP_S, intensity)
        rng = tick.rng
        car = step(car, STEP_S, { ...tick.inputs, ...incident(p, car.velocity !== 0 && !inDoorZone(spec, car.position)) })
      }
      const state = controllerState(car)
      const ms = p * o.pollMs
      const news = sent === null || changed(sent, state, DEADBAND)
      if (news || ms - sentAt >= o.heartbeatMs) {
        slots.push({ state, reason: news ? 'change' : 'heartbeat' })
        sent = state
        sentAt = ms
      } else slots.push(null)
    }
    // a replay starts anywhere in the trace: its first message must be a change
    const first = slots[0]
    if (first) slots[0] = { ...first, reason: 'change' }
    return { facts: { landings: spec.landings.map((l) => l.label), ratedSpeed: spec.ratedSpeed, travel: topHeight(spec) }, slots }
  })
}

/** The inputs of a sample car's incident at poll p, if it has one. */
function incidentOf(car: number, polls: number): (p: number, betweenFloors: boolean) => CarInputs {
  if (car === 0) {
    const from = Math.floor(polls / 2)
    return (p) => (p >= from && p < from + 25 ? { alarmButton: true } : {})
  }
  if (car === 1) {
    // stopped between floors by a drive fault; someone inside presses the alarm button for 5 s
    let stuckAt: number | null = null
    const healthy: CarFaults = {}
    return (p, betweenFloors) => {
      if (stuckAt === null && p >= Math.floor(polls * 0.6) && betweenFloors) stuckAt = p
      if (stuckAt === null || p > stuckAt + 200) return {}
      if (p === stuckAt + 200) return { faults: healthy }
      return { faults: { stuck: true }, ...(p >= stuckAt + 10 && p < stuckAt + 35 ? { alarmButton: true } : {}) }
    }
  }
  return () => ({})
}

export interface ReplayOptions { elevators: number; region: string; perGateway: number; startTs: number; pollMs: number }

export interface ReplayStats { change: number; heartbeat: number }

export class Replay {
  readonly ids: string[]
  private readonly index: Map<string, number>
  private readonly gateways: string[]
  private readonly phase: Int32Array
  private readonly offsetMs: Int32Array
  private readonly seq: Float64Array
  private readonly boot: string
  private poll = 0
  private e = 0
  readonly stats: ReplayStats = { change: 0, heartbeat: 0 }

  constructor(private readonly traces: readonly Trace[], private readonly o: ReplayOptions) {
    const E = o.elevators
    const length = traces[0]!.slots.length
    this.ids = Array.from({ length: E }, (_, e) => registrationCode('3110', o.region, '202401', e + 1))
    this.index = new Map(this.ids.map((id, e) => [id, e]))
    this.gateways = Array.from({ length: E }, (_, e) => `gw-${String(Math.floor(e / o.perGateway) + 1).padStart(4, '0')}`)
    // elevators playing the same sample car are spread over its trace
    this.phase = Int32Array.from({ length: E }, (_, e) => (Math.floor(e / traces.length) * 613) % length)
    this.offsetMs = Int32Array.from({ length: E }, (_, e) => Math.floor((e * o.pollMs) / E))
    this.seq = new Float64Array(E)
    this.boot = `bench-${o.startTs.toString(36)}`
  }

  /** what the registry knows about an elevator of this replay */
  facts(elevatorId: string): ElevatorFacts | null {
    const e = this.index.get(elevatorId)
    return e === undefined ? null : this.traces[e % this.traces.length]!.facts
  }

  /** ts of the next poll round's first elevator */
  get nextTs(): number {
    return this.o.startTs + this.poll * this.o.pollMs
  }

  /** Fills `out` with fresh inputs, the next in ts order; returns how many. */
  fill(out: DetectorInput[], n: number): number {
    const E = this.o.elevators
    const S = this.traces.length
    let k = 0
    while (k < n) {
      const e = this.e
      const slots = this.traces[e % S]!.slots
      const slot = slots[(this.poll + this.phase[e]!) % slots.length]
      if (slot) {
        const ts = this.o.startTs + this.poll * this.o.pollMs + this.offsetMs[e]!
        const gateway = this.gateways[e]!
        const msg = { v: 1 as const, ts, seq: this.seq[e]!++, boot: this.boot, gateway, reason: slot.reason, ...slot.state }
        out[k++] = { kind: 'telemetry', elevatorId: this.ids[e]!, region: this.o.region, gatewayId: gateway, ts, msg }
        this.stats[slot.reason]++
      }
      if (++this.e === E) {
        this.e = 0
        this.poll++
      }
    }
    return k
  }
}
