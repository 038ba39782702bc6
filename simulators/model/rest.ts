// The car between trips: answer calls at the landing, run the door, re-level, drift or move in
// inspection, and start the next trip when the door is closed.
import { pickTarget, serveLanding } from './calls.ts'
import { INSPECTION_SPEED } from './constants.ts'
import { doorOf, doorStep, type DoorCommand, type DoorPart } from './door.ts'
import { drifting, restBlocked } from './faults.ts'
import { home, policy, type ModePolicy } from './modes.ts'
import { driftStep, relevelStep, sinkStep } from './motion.ts'
import { inDoorZone, landingHeight, nearestLanding, topHeight } from './spec.ts'
import type { CarInputs, CarState } from './state.ts'

export function restTick(s: CarState, dt: number, inputs: CarInputs, flow: boolean): CarState {
  const { spec } = s
  const p = policy(s)
  const landing = nearestLanding(spec, s.position)
  const atLanding = inDoorZone(spec, s.position)
  const blocked = restBlocked(s)
  const inspection = s.mode === 'inspection' && s.power !== 'battery'
  // a car held by a drive fault or drifting on a failed brake leaves its door as it is
  const doorFrozen = !!s.faults.stuck || drifting(s.faults)

  let calls: Pick<CarState, 'carCalls' | 'hallCalls' | 'serviceDir'> = s
  let served = false
  if (atLanding && !doorFrozen && (p.carCalls || p.hallCalls)) {
    const r = serveLanding(s, s.serviceDir, landing)
    calls = { carCalls: r.carCalls, hallCalls: r.hallCalls, serviceDir: r.dir }
    served = r.served
  }

  const goal = home(s, p)
  const awayFromHome = goal !== null && (!atLanding || landing !== goal)
  // the firefighter's car waits open until a car call is given
  const parkOpen = p.parkOpen && atLanding && !awayFromHome && !(p.carCalls && calls.carCalls.length > 0)
  const cmd: DoorCommand = {
    canOpen: atLanding && !inspection,
    open: served || parkOpen,
    hold: !!inputs.holdDoor || flow,
    mayClose: !parkOpen,
    mustClose: inspection || (!blocked && ((!atLanding && p.recover) || awayFromHome)),
  }
  const door: DoorPart = doorFrozen ? doorOf(s) : doorStep(doorOf(s), cmd, dt, spec, s.faults)

  const moved = restMotion(s, dt, inputs, { atLanding, landing, blocked, inspection, doorClosed: door.door === 'closed' })
  const next: CarState = { ...s, ...calls, ...door, ...moved }
  if (blocked || inspection || next.door !== 'closed') return next
  const target = nextTarget(next, p, atLanding, landing)
  if (target === null) return next
  return { ...next, trip: true, target, tripTime: 0, relevelling: false, sink: 0, doorOpenFailed: false }
}

interface Where {
  readonly atLanding: boolean
  readonly landing: number
  readonly blocked: boolean
  readonly inspection: boolean
  readonly doorClosed: boolean
}

type Moved = Pick<CarState, 'position' | 'velocity' | 'sink' | 'relevelling' | 'driftFrom'>

function restMotion(s: CarState, dt: number, inputs: CarInputs, w: Where): Moved {
  const still = { position: s.position, velocity: 0, sink: s.sink, relevelling: false, driftFrom: s.driftFrom }
  if (w.inspection) {
    const move = inputs.inspectionMove
    if (!move || !w.doorClosed || w.blocked) return still
    // normal terminal switches keep an inspection run between the terminal landings
    const position = Math.min(topHeight(s.spec), Math.max(0, s.position + (move === 'up' ? 1 : -1) * INSPECTION_SPEED * dt))
    return { ...still, position, velocity: (position - s.position) / dt }
  }
  const speed = s.faults.unintendedMovement ?? 0
  if (speed !== 0) {
    const from = s.driftFrom ?? s.position
    const position = driftStep(s.position, from, speed, 0, topHeight(s.spec), dt)
    return { ...still, position, velocity: (position - s.position) / dt, driftFrom: from }
  }
  const stretch = sinkStep(s.sink, dt)
  // rope creep acts on the brake-held car, not during a re-level, when the drive holds it
  const drop = stretch.drop + (s.relevelling ? 0 : (s.faults.levelCreep ?? 0) * dt)
  const sink = stretch.sink
  let position = s.position - drop
  let relevelling = false
  if (w.atLanding && !w.blocked) {
    const error = Math.abs(landingHeight(s.spec, w.landing) - position)
    if (s.relevelling ? error > 0.0005 : error > s.spec.relevelThreshold) {
      // re-levelling runs with the door open, slowly, inside the door zone
      const r = relevelStep(position, landingHeight(s.spec, w.landing), dt)
      position = r.position
      relevelling = !r.done
    }
  }
  // rope stretch moves the car but not the sheave: the controller's speed reading ignores it
  return { ...still, position, sink, relevelling, velocity: (position - (s.position - drop)) / dt }
}

/** Where to go next from rest, or null to stay. */
function nextTarget(s: CarState, p: ModePolicy, atLanding: boolean, landing: number): number | null {
  const goal = home(s, p)
  if (!atLanding) return p.recover ? (goal ?? nearestLanding(s.spec, s.position)) : null
  if (goal !== null) return landing !== goal ? goal : null
  if (s.serviceDir === 'none' || !(p.carCalls || p.hallCalls)) return null
  return pickTarget(s.spec, s, s.serviceDir, s.position, s.position)
}
