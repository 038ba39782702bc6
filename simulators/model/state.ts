// The car as plain, JSON-serialisable data, and what the outside world does to it each tick.
import type { Mode, PowerState } from '../../protocol/schemas.ts'
import { specProblems, type CarSpec, type TunableSpec } from './spec.ts'

export type CarMode = Exclude<Mode, 'unknown'>
export type TravelDirection = 'up' | 'down'
export type ServiceDirection = TravelDirection | 'none'
export type CarDoor = 'closed' | 'opening' | 'open' | 'closing'

export interface HallCall {
  readonly landing: number
  readonly direction: TravelDirection
}

/** How a controller with a lost floor position reports it. */
export type FloorLostKind = 'garbage' | 'unknown_position' | 'jump'

/**
 * Faults a scenario injects. Each stays in force while set; false, 0 or absent means healthy.
 */
export interface CarFaults {
  /** drive fault: emergency stop where the car is, no motion until cleared */
  readonly stuck?: boolean
  /** door reverses half-way every time it closes */
  readonly doorWontClose?: boolean
  /** door stays closed when commanded open */
  readonly doorWontOpen?: boolean
  /** door jams part-open while opening */
  readonly doorStuckOpening?: boolean
  /** factor on rated speed while travelling, e.g. 1.13 */
  readonly overspeed?: number
  /** metres past the top landing the car runs before the buffer stops it */
  readonly overtravelTop?: number
  /** metres past the lowest landing the car runs before the buffer stops it */
  readonly overtravelBottom?: number
  readonly safetyCircuitOpen?: boolean
  readonly floorLost?: FloorLostKind | false
  /** brake does not hold: drift speed in m/s, positive up, negative down */
  readonly unintendedMovement?: number
  /** door contacts bridged: the door opens during a trip */
  readonly doorOpensWhileRunning?: boolean
  /** controller reports this fault code and refuses to start a new trip */
  readonly controllerFault?: number
  /** the car hunts around the target landing and never finishes the trip */
  readonly runaway?: boolean
  /**
   * m/s the standing car sinks while the brake holds the sheave (ropes creeping on a worn sheave):
   * the drive's speed reading does not see it, the level error grows and the controller re-levels
   */
  readonly levelCreep?: number
}

/**
 * One tick's inputs. Latching fields (mode, power, faults, spec) keep their last value when
 * absent; all others are momentary and act only on this tick.
 */
export interface CarInputs {
  readonly carCalls?: readonly number[]
  readonly hallCalls?: readonly HallCall[]
  /** passengers entering / leaving this tick (only while the door is not closed) */
  readonly board?: number
  readonly alight?: number
  /** door-open button or an obstruction in the doorway */
  readonly holdDoor?: boolean
  readonly alarmButton?: boolean
  /** constant-pressure inspection buttons; acts only in inspection mode */
  readonly inspectionMove?: TravelDirection | null
  readonly mode?: CarMode
  readonly power?: PowerState
  /** replaces the whole fault set */
  readonly faults?: CarFaults
  /** merged into the car's spec (door wear, adjustment) */
  readonly spec?: TunableSpec
}

export interface CarState {
  readonly spec: CarSpec
  /** metres above the lowest landing */
  readonly position: number
  /** m/s, positive up */
  readonly velocity: number
  /** landing the car is committed to travel to */
  readonly target: number | null
  /** the drive is running (or held by a fault) to reach `target` */
  readonly trip: boolean
  /** seconds the current trip has been in motion */
  readonly tripTime: number
  readonly relevelling: boolean
  /** rope stretch still to take up after a load change, metres (positive = car sinks) */
  readonly sink: number
  readonly serviceDir: ServiceDirection
  readonly door: CarDoor
  /** 0 closed … 1 fully open */
  readonly doorPos: number
  /** seconds of dwell left before the door closes */
  readonly dwell: number
  /** reversals since the door was last fully closed */
  readonly reopens: number
  readonly passengers: number
  readonly carCalls: readonly number[]
  readonly hallCalls: readonly HallCall[]
  readonly mode: CarMode
  readonly power: PowerState
  readonly faults: CarFaults
  readonly alarmButton: boolean
  /** where an unintended drift started; null while the brake holds */
  readonly driftFrom: number | null
  /** overspeed governor has tripped and set the safety gear */
  readonly governorTripped: boolean
  /** door open fault seen at this stop (door would not open when commanded) */
  readonly doorOpenFailed: boolean
}

export class CarSpecError extends Error {
  readonly code = 'LW_ERR_CAR_SPEC'
  constructor(readonly carId: string, readonly problems: readonly string[]) {
    super(`car ${carId}: invalid spec: ${problems.join('; ')}`)
  }
}

/** A car parked level at its main landing, door closed, on mains, in normal service. */
export function createCar(spec: CarSpec): CarState {
  const problems = specProblems(spec)
  if (problems.length > 0) throw new CarSpecError(spec.id, problems)
  return {
    spec: { ...spec, landings: spec.landings.map((l) => ({ ...l })) },
    position: spec.landings[spec.mainLanding]?.height ?? 0,
    velocity: 0,
    target: null,
    trip: false,
    tripTime: 0,
    relevelling: false,
    sink: 0,
    serviceDir: 'none',
    door: 'closed',
    doorPos: 0,
    dwell: 0,
    reopens: 0,
    passengers: 0,
    carCalls: [],
    hallCalls: [],
    mode: 'normal',
    power: 'mains',
    faults: {},
    alarmButton: false,
    driftFrom: null,
    governorTripped: false,
    doorOpenFailed: false,
  }
}
