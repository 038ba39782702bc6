// What each service mode (and battery rescue) asks of the controller.
import { nextStoppable } from './calls.ts'
import { INSPECTION_SPEED, RESCUE_SPEED } from './constants.ts'
import { nearestLanding } from './spec.ts'
import type { CarMode, CarState } from './state.ts'

export interface ModePolicy {
  readonly hallCalls: boolean
  readonly carCalls: boolean
  /** once open at a landing the door stays open (fireman: until the next car call) */
  readonly parkOpen: boolean
  /** a car stranded outside the door zone closes its door and returns to the nearest landing */
  readonly recover: boolean
  /** fire recall sends the car to the main landing */
  readonly homes: boolean
  /** where the door opens when a trip ends */
  readonly opens: 'always' | 'never' | 'home'
  /** speed limit in m/s; null = rated speed (times any overspeed fault) */
  readonly vmax: number | null
}

const p = (o: ModePolicy): ModePolicy => Object.freeze(o)
const BATTERY = p({ hallCalls: false, carCalls: false, parkOpen: true, recover: true, homes: false, opens: 'always', vmax: RESCUE_SPEED })
// the current trip ends normally; no new one starts (the fault code prevents restart)
const FAULTED = p({ hallCalls: false, carCalls: false, parkOpen: false, recover: false, homes: false, opens: 'always', vmax: null })
const BY_MODE: Record<CarMode, ModePolicy> = {
  // a car only travels for a call or a recovery run, so every trip ends with the door opening
  normal: p({ hallCalls: true, carCalls: true, parkOpen: false, recover: true, homes: false, opens: 'always', vmax: null }),
  // the firefighter drives the car with car calls; the door waits open for the next one
  fireman: p({ hallCalls: false, carCalls: true, parkOpen: true, recover: true, homes: false, opens: 'always', vmax: null }),
  fire: p({ hallCalls: false, carCalls: false, parkOpen: true, recover: true, homes: true, opens: 'home', vmax: null }),
  earthquake: p({ hallCalls: false, carCalls: false, parkOpen: true, recover: true, homes: false, opens: 'always', vmax: null }),
  emergency_power: p({ hallCalls: false, carCalls: false, parkOpen: true, recover: true, homes: false, opens: 'always', vmax: null }),
  maintenance: p({ hallCalls: false, carCalls: false, parkOpen: false, recover: false, homes: false, opens: 'always', vmax: null }),
  out_of_service: p({ hallCalls: false, carCalls: false, parkOpen: false, recover: false, homes: false, opens: 'always', vmax: null }),
  inspection: p({ hallCalls: false, carCalls: false, parkOpen: false, recover: false, homes: false, opens: 'never', vmax: INSPECTION_SPEED }),
}

/** Battery rescue and a controller fault override the mode the scenario set. */
export function policy(s: CarState): ModePolicy {
  if (s.power === 'battery') return BATTERY
  if ((s.faults.controllerFault ?? 0) > 0) return FAULTED
  return BY_MODE[s.mode]
}

export const tripSpeed = (s: CarState, pol: ModePolicy): number =>
  pol.vmax ?? s.spec.ratedSpeed * ((s.faults.overspeed ?? 0) > 0 ? (s.faults.overspeed as number) : 1)

export const home = (s: CarState, pol: ModePolicy): number | null => (pol.homes ? s.spec.mainLanding : null)

export const opensAt = (s: CarState, pol: ModePolicy, landing: number): boolean =>
  pol.opens === 'always' || (pol.opens === 'home' && landing === s.spec.mainLanding)

/** Mode or supply changed: drop calls the new mode ignores and redirect a running trip. */
export function enterMode(s: CarState, previous: { mode: CarMode; power: CarState['power'] }): CarState {
  if (s.mode === previous.mode && s.power === previous.power) return s
  if (s.mode === 'inspection' && s.power !== 'battery') {
    // the inspection switch cuts the normal run at once, wherever the car is
    return { ...s, trip: false, target: null, velocity: 0, tripTime: 0, relevelling: false, carCalls: [], hallCalls: [], serviceDir: 'none' }
  }
  const pol = policy(s)
  const carCalls = pol.carCalls ? s.carCalls : []
  const hallCalls = pol.hallCalls ? s.hallCalls : []
  const target = s.trip && s.target !== null ? redirect(s, pol) : s.target
  return { ...s, carCalls, hallCalls, target, serviceDir: carCalls.length + hallCalls.length > 0 ? s.serviceDir : 'none' }
}

/** Where a running trip goes after a mode change. */
function redirect(s: CarState, pol: ModePolicy): number | null {
  const dir = s.velocity > 0 ? 'up' : s.velocity < 0 ? 'down' : null
  const goal = home(s, pol)
  if (pol.carCalls || (!pol.recover && goal === null)) return s.target
  if (dir === null) return goal ?? nearestLanding(s.spec, s.position)
  const next = nextStoppable(s.spec, s.position, Math.abs(s.velocity), dir) ?? s.target
  if (goal === null || next === null) return next
  // fire recall: straight home if home lies ahead, else stop at the next landing and come back
  const homeAhead = dir === 'up' ? goal >= next : goal <= next
  return homeAhead ? goal : next
}
