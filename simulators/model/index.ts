// The pure elevator car model: spec in, state through `step`, controller view out.
export { defaultCarSpec, specProblems, nearestLanding, inDoorZone, landingHeight, topHeight } from './spec.ts'
export type { CarSpec, Landing, TunableSpec } from './spec.ts'
export { createCar, CarSpecError } from './state.ts'
export type {
  CarDoor, CarFaults, CarInputs, CarMode, CarState, FloorLostKind, HallCall, ServiceDirection, TravelDirection,
} from './state.ts'
export { step } from './step.ts'
export { controllerState, GARBAGE_FLOOR_INDEX, GARBAGE_FLOOR_LABEL, POSITION_JUMP } from './controller-state.ts'
export { FAULT_CODES, FINAL_LIMIT, GOVERNOR_TRIP, INSPECTION_SPEED, RELEVEL_SPEED, RUNTIME_LIMIT, UCM_DISTANCE } from './constants.ts'
export { normaliseFaults } from './faults.ts'
