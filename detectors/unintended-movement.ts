// 轿厢意外移动 / 开门走梯, GB/T fault code 05 (docs/domain.md#fault-catalogue): the car moves while its door is not
// closed for 1 s, except re-levelling (inside the door zone at ≤ 0.3 m/s). Clears when the car
// stands still or its door is closed. A door the controller cannot report (`unknown`) is no
// evidence, else a car without a door signal would alarm on every trip.
// One event, one alarm: this is the car moving away with its door open — a brake that fails to
// hold, a drive that starts before the door has closed. A door that opens on a run that set off
// with it closed is door_open_while_running's (door-open-while-running.ts), so this stands down;
// after a gap in the data nobody knows how the run began, and this keeps it, unless that alarm
// was already due before the gap (runtime/stop.ts nextDeparture, with this detector's debounce).
import { Type } from '@sinclair/typebox'
import { MODES, type Telemetry } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { DEPARTURE_UNSEEN, RELEVEL_MAX_SPEED, nextDeparture } from './runtime/stop.ts'

// A brake that fails to hold does not care about the service mode, so every mode is watched but
// inspection and maintenance, where the door bypass (GB 7588.1-2020) lets a technician run the
// car with the door contacts bridged. `unknown` stays watched: a miss here is a fall into the shaft.
const WATCHED = MODES.filter((m) => m !== 'inspection' && m !== 'maintenance')

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 0, default: 1_000, description: 'debounce: moving with the door not closed this long' }),
  relevelMaxSpeed: Type.Number({
    exclusiveMinimum: 0, default: RELEVEL_MAX_SPEED, description: 'm/s; slower than this inside the door zone is re-levelling, which may run with the door open',
  }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(WATCHED, 'service modes in which the car moving with its door not closed is an alarm'),
}, { additionalProperties: false })

const DOOR_NOT_CLOSED = new Set<Telemetry['door']>(['open', 'opening', 'closing'])

export const unintendedMovement = conditionDetector({
  id: 'unintended-movement',
  type: 'unintended_movement',
  configSchema,
  reads: F.moving | F.door | F.trip | F.doorZone,
  // moving slowly in the door zone with the door open, the speed decides (re-levelling or not)
  quiet: (run, prev) => !(prev.moving && prev.doorZone && !run.wasClosed && DOOR_NOT_CLOSED.has(prev.door)),
  memo: {
    initial: DEPARTURE_UNSEEN,
    next: (m, t, prev, cfg) => nextDeparture(m, t, prev, cfg.staleAfterMs, cfg.holdMs),
  },
  holds: (t, run, cfg) => {
    if (!t.moving || run.wasClosed || !DOOR_NOT_CLOSED.has(t.door)) return null
    // an unknown speed inside the door zone is given the benefit of the doubt
    if (t.doorZone && (t.speed ?? 0) <= cfg.relevelMaxSpeed) return null
    return {
      holdMs: cfg.holdMs,
      evidence: { door: t.door, speed: t.speed, direction: t.direction, doorZone: t.doorZone, position: t.position, occupied: t.occupied, faultCode: t.faultCode },
    }
  },
  clearedEvidence: (t) => ({ moving: t.moving, door: t.door, position: t.position, floor: t.floor }),
})
