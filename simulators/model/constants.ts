// Fixed figures of the simulated controller. Kept out of CarSpec because no scenario needs to
// vary them; a controller profile for the simulator maps FAULT_CODES to catalogue types.

/** m/s; re-levelling must stay at or below 0.3 m/s inside the door zone (docs/domain.md#fault-catalogue, code 05) */
export const RELEVEL_SPEED = 0.05
/** m/s; inspection travel is limited to 0.3 m/s, we run a little below it */
export const INSPECTION_SPEED = 0.25
/** m/s; battery rescue (automatic rescue device) creeps to the nearest landing */
export const RESCUE_SPEED = 0.25
/** m/s; slowest speed of the final approach, so levelling ends in finite time */
export const LEVELLING_SPEED = 0.05
/** m/s at which rope stretch lets a stopped car sink after a load change */
export const SINK_RATE = 0.02
/** metres of rope stretch per kg of load */
export const ROPE_STRETCH = 0.00003
export const PASSENGER_KG = 75
/** metres past a terminal landing where the final limit switch acts */
export const FINAL_LIMIT = 0.1
/** governor tripping speed as a factor of rated speed (governor trips at ≥ 115 %) */
export const GOVERNOR_TRIP = 1.15
/** the UCMP device arrests a drifting car within this distance, metres */
export const UCM_DISTANCE = 1.2
/** seconds of one trip after which the controller flags its runtime limiter */
export const RUNTIME_LIMIT = 45
/** door position where a door that will not close reverses */
export const DOOR_REVERSE_AT = 0.5
/** door position where a jammed opening door stops */
export const DOOR_JAM_AT = 0.3
/** reversals at one stop before the controller flags a door close fault */
export const DOOR_CLOSE_ATTEMPTS = 3
/** hunting amplitude around the target landing of a runaway trip, metres */
export const HUNT_AMPLITUDE = 0.03

/**
 * The simulator's own fault codes (not a vendor's). `controllerFault` injects any other code,
 * e.g. 81, which the simulator profile maps to restart_prevented.
 */
export const FAULT_CODES = {
  drive: 12,
  safetyCircuit: 21,
  runtimeLimiter: 30,
  powerLoss: 35,
  doorOpen: 41,
  doorClose: 42,
  governor: 51,
  upperFinalLimit: 61,
  lowerFinalLimit: 62,
  unintendedMovement: 65,
  positionLost: 71,
} as const
