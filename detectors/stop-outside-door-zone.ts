// 门区外停梯, GB/T fault code 04 (docs/domain.md#fault-catalogue): the car stands still outside the door zone for 45 s
// (field testers found 30 s too short). Clears when the car moves or is found in the door zone.
// Whoever is inside cannot get out there, so the emergency modes are watched too; a technician
// inching in inspection or maintenance stops between floors on purpose.
import { Type } from '@sinclair/typebox'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 1000, default: 45_000, description: 'stopped outside the door zone this long' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal', 'fire', 'fireman', 'emergency_power', 'earthquake'],
    'service modes in which a stop outside the door zone is an alarm (inspection and maintenance stop between floors on purpose)'),
}, { additionalProperties: false })

export const stopOutsideDoorZone = conditionDetector({
  id: 'stop-outside-door-zone',
  type: 'stop_outside_door_zone',
  configSchema,
  reads: F.moving | F.doorZone,
  holds: (t, _memo, cfg) => (t.moving || t.doorZone ? null : {
    holdMs: cfg.holdMs,
    // a stop on mains loss raises power_failure as well: where the car stands decides the urgency
    evidence: { position: t.position, floorIndex: t.floorIndex, door: t.door, occupied: t.occupied, power: t.power, faultCode: t.faultCode },
  }),
  clearedEvidence: (t) => ({ floor: t.floor, doorZone: t.doorZone, moving: t.moving, mode: t.mode }),
})
