// What injected faults do to the controller's view: safety chain, limit switches, fault code.
import { DOOR_CLOSE_ATTEMPTS, DOOR_JAM_AT, FAULT_CODES, FINAL_LIMIT, RUNTIME_LIMIT } from './constants.ts'
import { topHeight } from './spec.ts'
import type { CarFaults, CarState } from './state.ts'

export const upLimitActed = (s: CarState): boolean => s.position > topHeight(s.spec) + FINAL_LIMIT
export const downLimitActed = (s: CarState): boolean => s.position < -FINAL_LIMIT

/** A final limit holds the chain open until the overtravel fault is reset. */
function finalLimitHolding(s: CarState): boolean {
  return (upLimitActed(s) && (s.faults.overtravelTop ?? 0) > 0) || (downLimitActed(s) && (s.faults.overtravelBottom ?? 0) > 0)
}

export const safetyChainClosed = (s: CarState): boolean =>
  !s.faults.safetyCircuitOpen && !s.governorTripped && !finalLimitHolding(s)

export const drifting = (f: CarFaults): boolean => (f.unintendedMovement ?? 0) !== 0

/**
 * The drive may not run a trip. Final limits are left out: an overtravelling car runs on to
 * the buffer after the limit has opened the chain. A failed brake only shows once the car
 * rests on it, so it blocks the next trip, not this one.
 */
export const tripBlocked = (s: CarState): boolean =>
  s.power === 'off' || !!s.faults.stuck || !!s.faults.safetyCircuitOpen || s.governorTripped

export const restBlocked = (s: CarState): boolean => tripBlocked(s) || finalLimitHolding(s) || drifting(s.faults)

/** The code the controller shows, the most severe active fault first. */
export function faultCode(s: CarState): number {
  const f = s.faults
  const checks: [boolean, number][] = [
    [s.power !== 'mains', FAULT_CODES.powerLoss],
    [(f.controllerFault ?? 0) > 0, f.controllerFault ?? 0],
    [s.governorTripped, FAULT_CODES.governor],
    [upLimitActed(s), FAULT_CODES.upperFinalLimit],
    [downLimitActed(s), FAULT_CODES.lowerFinalLimit],
    [drifting(f) && s.driftFrom !== null, FAULT_CODES.unintendedMovement],
    [!!f.safetyCircuitOpen, FAULT_CODES.safetyCircuit],
    [!!f.stuck, FAULT_CODES.drive],
    [!!f.runaway && s.tripTime > RUNTIME_LIMIT, FAULT_CODES.runtimeLimiter],
    [!!f.floorLost, FAULT_CODES.positionLost],
    [s.doorOpenFailed || (!!f.doorStuckOpening && s.door === 'opening' && s.doorPos >= DOOR_JAM_AT - 1e-9), FAULT_CODES.doorOpen],
    [!!f.doorWontClose && s.reopens >= DOOR_CLOSE_ATTEMPTS, FAULT_CODES.doorClose],
  ]
  return checks.find(([active]) => active)?.[1] ?? 0
}

/** Faults with a value of false, 0 or 'none' are healthy: drop them so equal states compare equal. */
export function normaliseFaults(f: CarFaults): CarFaults {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(f)) if (v !== false && v !== 0 && v !== null && v !== undefined && v !== 'none') out[k] = v
  return out as CarFaults
}
