// What the controller reports about the car, rounded to register resolution so a value read back
// over Modbus equals the value the simulator meant.
import type { ControllerState } from '../../protocol/schemas.ts'
import { downLimitActed, faultCode, safetyChainClosed, upLimitActed } from './faults.ts'
import { inDoorZone, nearestLanding, topHeight, type CarSpec } from './spec.ts'
import type { CarState } from './state.ts'

/** floorIndex a controller with a corrupted floor register reports: outside every building */
export const GARBAGE_FLOOR_INDEX = 99
export const GARBAGE_FLOOR_LABEL = '--'
/** metres a lost position jumps by: more than three storeys */
export const POSITION_JUMP = 10

const mm = (x: number): number => Math.round(x * 1000) / 1000 + 0
const tenth = (x: number): number => Math.round(x * 10) / 10 + 0

export function controllerState(s: CarState, spec: CarSpec = s.spec): ControllerState {
  const lost = s.faults.floorLost
  // the encoder count jumps towards the middle of the shaft, so the car still looks inside it
  const jump = s.position < topHeight(spec) / 2 ? POSITION_JUMP : -POSITION_JUMP
  const reported = lost === 'jump' ? s.position + jump : s.position
  const index = nearestLanding(spec, reported)
  const speed = mm(Math.abs(s.velocity))
  const garbage = lost === 'garbage'
  return {
    floor: garbage ? GARBAGE_FLOOR_LABEL : (spec.landings[index]?.label ?? GARBAGE_FLOOR_LABEL),
    floorIndex: garbage ? GARBAGE_FLOOR_INDEX : index,
    position: lost === 'unknown_position' ? null : mm(reported),
    speed,
    direction: speed === 0 ? 'none' : s.velocity > 0 ? 'up' : 'down',
    moving: speed > 0,
    door: s.door,
    doorZone: inDoorZone(spec, s.position),
    occupied: spec.hasOccupancySensor ? s.passengers > 0 : null,
    load: spec.hasLoadSensor ? tenth((s.passengers / spec.capacity) * 100) : null,
    alarmButton: s.alarmButton,
    safetyCircuit: safetyChainClosed(s),
    mode: s.mode,
    power: s.power,
    upLimit: upLimitActed(s),
    downLimit: downLimitActed(s),
    faultCode: faultCode(s),
  }
}
