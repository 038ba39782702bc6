// One tick of the car: latch inputs, register calls, move passengers, then either run the trip
// or act at rest. Pure: the argument is never mutated and nothing reads a clock.
import { pickTarget, registerCalls, serveLanding, stoppingDistance } from './calls.ts'
import { GOVERNOR_TRIP, HUNT_AMPLITUDE, LEVELLING_SPEED, PASSENGER_KG, ROPE_STRETCH } from './constants.ts'
import { doorOf, doorOpensWhileRunning, doorStep, type DoorPart } from './door.ts'
import { drifting, normaliseFaults, tripBlocked } from './faults.ts'
import { enterMode, opensAt, policy, tripSpeed } from './modes.ts'
import { huntStep, travelStep, type Kinematics } from './motion.ts'
import { restTick } from './rest.ts'
import { inDoorZone, landingHeight, topHeight, type TunableSpec } from './spec.ts'
import type { CarInputs, CarState } from './state.ts'

export function step(prev: CarState, dt: number, inputs: CarInputs = {}): CarState {
  if (!(dt > 0)) return prev
  const s = latch(prev, inputs)
  if (s.power === 'off') {
    // no supply: the brake drops where the car is, the door stays as it is, calls are lost
    return { ...s, velocity: 0, trip: false, target: null, tripTime: 0, relevelling: false, carCalls: [], hallCalls: [], serviceDir: 'none' }
  }
  const p = policy(s)
  const calls = registerCalls(s, {
    carCalls: p.carCalls ? inputs.carCalls : undefined,
    hallCalls: p.hallCalls ? inputs.hallCalls : undefined,
  }, s.spec.landings.length)
  const moved = passengers({ ...s, ...calls }, inputs)
  return moved.trip ? tripTick(moved, dt) : restTick(moved, dt, inputs, moved.passengers !== s.passengers)
}

function latch(prev: CarState, inputs: CarInputs): CarState {
  const faults = inputs.faults ? normaliseFaults(inputs.faults) : prev.faults
  const mode = inputs.mode ?? prev.mode
  const power = inputs.power ?? prev.power
  const alarmButton = inputs.alarmButton ?? false
  // latches reset together with the fault that set them
  const driftFrom = drifting(faults) ? prev.driftFrom : null
  const governorTripped = prev.governorTripped && (faults.overspeed ?? 0) > 0
  const doorOpenFailed = prev.doorOpenFailed && !!faults.doorWontOpen
  const sameFaults = faults === prev.faults || sameFlatData(faults, prev.faults)
  if (!inputs.spec && sameFaults && mode === prev.mode && power === prev.power && alarmButton === prev.alarmButton &&
    driftFrom === prev.driftFrom && governorTripped === prev.governorTripped && doorOpenFailed === prev.doorOpenFailed) {
    return prev
  }
  const spec = inputs.spec ? { ...prev.spec, ...defined(inputs.spec) } : prev.spec
  const s: CarState = {
    ...prev, spec, faults: sameFaults ? prev.faults : faults, mode, power, alarmButton, driftFrom, governorTripped, doorOpenFailed,
  }
  return enterMode(s, prev)
}

function sameFlatData(a: object, b: object): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  return ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
}

const defined = (t: TunableSpec): TunableSpec =>
  Object.fromEntries(Object.entries(t).filter(([, v]) => typeof v === 'number' && v > 0))

/** People step in and out only through a door that is not closed, never during a trip. */
function passengers(s: CarState, inputs: CarInputs): CarState {
  if (s.trip || s.door === 'closed') return s
  const out = Math.max(0, s.passengers - Math.max(0, inputs.alight ?? 0))
  const after = Math.min(s.spec.capacity, out + Math.max(0, inputs.board ?? 0))
  if (after === s.passengers) return s
  // the ropes stretch with the load: a stopped car sinks, and rises when people leave
  return { ...s, passengers: after, sink: s.sink + (after - s.passengers) * PASSENGER_KG * ROPE_STRETCH }
}

function tripTick(s: CarState, dt: number): CarState {
  const { spec } = s
  if (s.target === null) return { ...s, trip: false }
  if (tripBlocked(s)) return { ...s, velocity: 0, tripTime: 0 }
  const p = policy(s)
  // a moving car keeps its direction even past the landing (overtravel); from rest, head for it
  const up = s.velocity !== 0 ? s.velocity > 0 : landingHeight(spec, s.target) > s.position
  let target = s.target
  if ((p.carCalls || p.hallCalls) && s.serviceDir === (up ? 'up' : 'down')) {
    // a new call ahead that the car can still stop for is answered on the way
    const boundary = s.position + (up ? 1 : -1) * stoppingDistance(spec, Math.abs(s.velocity))
    const closer = pickTarget(spec, s, s.serviceDir, s.position, boundary)
    if (closer !== null && (up ? closer < target : closer > target)) target = closer
  }
  const height = travelHeight(s, target, up)
  let k: Kinematics
  let arrived = false
  const hunting = !!s.faults.runaway && Math.abs(height - s.position) <= HUNT_AMPLITUDE && Math.abs(s.velocity) <= LEVELLING_SPEED + 1e-9
  if (hunting) k = huntStep(s, height, dt)
  else {
    const { arrived: there, ...r } = travelStep(s, height, tripSpeed(s, p), spec.acceleration, dt)
    arrived = there && !s.faults.runaway
    k = there && s.faults.runaway ? huntStep(r, height, dt) : r
  }
  if (Math.abs(k.velocity) >= GOVERNOR_TRIP * spec.ratedSpeed - 1e-9) {
    // the governor trips the safety gear: the car is gripped on the rails at once
    return { ...s, target, position: k.position, velocity: 0, tripTime: 0, governorTripped: true }
  }
  let door: DoorPart = doorOf(s)
  if (s.faults.doorOpensWhileRunning && k.velocity !== 0 && !inDoorZone(spec, k.position)) door = doorOpensWhileRunning(door, dt, spec)
  const running: CarState = { ...s, ...door, ...k, target, tripTime: s.tripTime + dt }
  return arrived ? arrive(running, target, height) : running
}

/** Overtravel faults carry the car past a terminal landing before the buffer stops it. */
function travelHeight(s: CarState, target: number, up: boolean): number {
  const top = s.spec.landings.length - 1
  const overTop = s.faults.overtravelTop ?? 0
  const overBottom = s.faults.overtravelBottom ?? 0
  if (up && target === top && overTop > 0) return topHeight(s.spec) + overTop
  if (!up && target === 0 && overBottom > 0) return -overBottom
  return landingHeight(s.spec, target)
}

function arrive(s: CarState, landing: number, height: number): CarState {
  const stopped: CarState = { ...s, position: height, velocity: 0, trip: false, target: null, tripTime: 0 }
  if (Math.abs(height - landingHeight(s.spec, landing)) > 1e-9) return stopped
  const p = policy(s)
  let answered: CarState = stopped
  if (p.carCalls || p.hallCalls) {
    const r = serveLanding(stopped, stopped.serviceDir, landing)
    answered = { ...stopped, carCalls: r.carCalls, hallCalls: r.hallCalls, serviceDir: r.dir }
  }
  if (!opensAt(s, p, landing)) return answered
  const cmd = { canOpen: true, open: true, hold: false, mayClose: false, mustClose: false }
  return { ...answered, ...doorStep(doorOf(answered), cmd, 0, s.spec, s.faults) }
}

