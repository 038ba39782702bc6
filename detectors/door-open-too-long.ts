// 长时间开门 (docs/domain.md#fault-catalogue, no platform code): the door is not closed while the car is stopped for
// 120 s — a propped door, a trolley in the doorway. Re-levelling is part of the stop. Watched in
// normal service only: fire, firefighter, emergency-power and earthquake operation park the car
// open on purpose, and technicians in inspection or maintenance hold the door as they need.
import { Type } from '@sinclair/typebox'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { onTrip } from './runtime/stop.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 1000, default: 120_000, description: 'door not closed while stopped this long' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal'], 'service modes in which a door held open is abnormal'),
}, { additionalProperties: false })

export const doorOpenTooLong = conditionDetector({
  id: 'door-open-too-long',
  type: 'door_open_too_long',
  configSchema,
  reads: F.door | F.trip,
  // `unknown` is no evidence of an open door; a door open on a trip is another alarm's business
  holds: (t, _memo, cfg) => (t.door === 'closed' || t.door === 'unknown' || onTrip(t) ? null : { holdMs: cfg.holdMs, evidence: { door: t.door } }),
  clearedEvidence: (t) => ({ door: t.door, moving: t.moving, floor: t.floor, mode: t.mode }),
})
