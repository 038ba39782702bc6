// The car door operator: opening → open (dwell) → closing → closed, reversing on an obstruction.
import { DOOR_JAM_AT, DOOR_REVERSE_AT } from './constants.ts'
import type { CarSpec } from './spec.ts'
import type { CarFaults, CarState } from './state.ts'

export type DoorPart = Pick<CarState, 'door' | 'doorPos' | 'dwell' | 'reopens' | 'doorOpenFailed'>

/** Just the door fields, so a door update spread over a state changes nothing else. */
export const doorOf = (s: DoorPart): DoorPart =>
  ({ door: s.door, doorPos: s.doorPos, dwell: s.dwell, reopens: s.reopens, doorOpenFailed: s.doorOpenFailed })

export interface DoorCommand {
  /** the car is stopped in a door zone, so the door may unlock */
  readonly canOpen: boolean
  /** open, or reopen, now (a call answered at this landing) */
  readonly open: boolean
  /** door-open button or someone in the doorway: keep open, reverse a closing door */
  readonly hold: boolean
  /** the door may close once the dwell has run out */
  readonly mayClose: boolean
  /** close now, ignoring dwell and doorway (fire recall, inspection, a trip to start) */
  readonly mustClose: boolean
}

export function doorStep(d: DoorPart, cmd: DoorCommand, dt: number, spec: CarSpec, faults: CarFaults): DoorPart {
  const wantsOpen = cmd.canOpen && !cmd.mustClose && (cmd.open || cmd.hold)
  switch (d.door) {
    case 'closed':
      if (!wantsOpen) return d
      // the operator gets the command but the door does not move: the controller notices
      if (faults.doorWontOpen) return d.doorOpenFailed ? d : { ...d, doorOpenFailed: true }
      return opening({ ...d, door: 'opening' }, dt, spec, faults)
    case 'opening':
      if (cmd.mustClose) return closing({ ...d, door: 'closing' }, dt, spec, faults)
      return opening(d, dt, spec, faults)
    case 'open':
      if (cmd.mustClose) return closing({ ...d, door: 'closing' }, dt, spec, faults)
      if (cmd.open || cmd.hold) return d.dwell === spec.doorDwell ? d : { ...d, dwell: spec.doorDwell }
      if (d.dwell > 0) return { ...d, dwell: Math.max(0, d.dwell - dt) }
      return cmd.mayClose ? closing({ ...d, door: 'closing' }, dt, spec, faults) : d
    case 'closing':
      if (wantsOpen) return opening({ ...d, door: 'opening', reopens: d.reopens + 1 }, dt, spec, faults)
      return closing(d, dt, spec, faults)
  }
}

function opening(d: DoorPart, dt: number, spec: CarSpec, faults: CarFaults): DoorPart {
  // a jammed door makes no progress past the jam point but stays reported as opening
  const limit = faults.doorStuckOpening ? Math.max(DOOR_JAM_AT, d.doorPos) : 1
  const doorPos = Math.min(limit, d.doorPos + dt / spec.doorOpeningTime)
  if (doorPos >= 1) return { ...d, door: 'open', doorPos: 1, dwell: spec.doorDwell }
  return { ...d, door: 'opening', doorPos }
}

function closing(d: DoorPart, dt: number, spec: CarSpec, faults: CarFaults): DoorPart {
  const doorPos = Math.max(0, d.doorPos - dt / spec.doorClosingTime)
  if (faults.doorWontClose && doorPos <= DOOR_REVERSE_AT) {
    return { ...d, door: 'opening', doorPos, reopens: d.reopens + 1 }
  }
  if (doorPos <= 0) return { ...d, door: 'closed', doorPos: 0, reopens: 0, dwell: 0 }
  return { ...d, door: 'closing', doorPos }
}

/** Door contacts bridged: the door drifts open while the car runs. */
export function doorOpensWhileRunning(d: DoorPart, dt: number, spec: CarSpec): DoorPart {
  if (d.door === 'open') return d
  const doorPos = Math.min(1, d.doorPos + dt / spec.doorOpeningTime)
  return doorPos >= 1 ? { ...d, door: 'open', doorPos: 1, dwell: spec.doorDwell } : { ...d, door: 'opening', doorPos }
}
