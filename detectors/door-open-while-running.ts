// 运行中开门 (docs/domain.md#fault-catalogue, no platform code): the door leaves `closed` during a trip outside the door
// zone, for 1 s — door contacts bridged, a lock forced. A car that began moving with its door
// already open is unintended movement (code 05), not this. Once seen outside the zone the alarm
// holds while the car runs on with the door open, through the zones of the landings it passes.
// Watched in every mode except inspection and maintenance, where a door bypass may be fitted.
import { Type } from '@sinclair/typebox'
import { MODES } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { DEPARTURE_UNSEEN, nextDeparture } from './runtime/stop.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 0, default: 1_000, description: 'debounce: door not closed on a trip outside the door zone this long' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(MODES.filter((m) => m !== 'inspection' && m !== 'maintenance'), 'service modes in which a door opening on a trip is an alarm'),
}, { additionalProperties: false })

export const doorOpenWhileRunning = conditionDetector({
  id: 'door-open-while-running',
  type: 'door_open_while_running',
  configSchema,
  reads: F.moving | F.door | F.trip | F.doorZone,
  memo: {
    initial: DEPARTURE_UNSEEN,
    next: (m, t, prev, cfg) => nextDeparture(m, t, prev, cfg.staleAfterMs, cfg.holdMs),
  },
  holds: (t, m, cfg) => (m.openedAt === null ? null
    : { holdMs: cfg.holdMs, since: m.openedAt, evidence: { door: t.door, doorZone: t.doorZone, speed: t.speed, direction: t.direction, position: t.position } }),
  clearedEvidence: (t) => ({ door: t.door, moving: t.moving, floor: t.floor, mode: t.mode }),
})
