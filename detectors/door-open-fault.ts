// 开门故障, GB/T fault code 03 (docs/domain.md#fault-catalogue): the car has stopped in the door zone after a trip and
// its door stays `closed` or `opening` for 20 s, never having reached open. A car parked with its
// door closed after the door has opened is idle, not faulty. Watched where every arrival opens
// the door: normal service, and emergency-power and earthquake operation, which bring the car
// to a landing to let passengers out. Fire recall opens at the main landing only; inspection
// never opens by itself.
import { Type } from '@sinclair/typebox'
import { conditionDetector, modesSetting, onTrip, staleSetting } from './runtime/condition.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 1000, default: 20_000, description: 'stopped after a trip, door not yet open, this long' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal', 'emergency_power', 'earthquake'], 'service modes in which every arrival should open the door'),
}, { additionalProperties: false })

/** A trip ended (or is ending) and the door has not reached open since; `since` = stopped waiting for it. */
interface Arrival { readonly pending: boolean; readonly since: number | null }
const NO: Arrival = { pending: false, since: null }

export const doorOpenFault = conditionDetector({
  id: 'door-open-fault',
  type: 'door_open_fault',
  configSchema,
  memo: {
    initial: NO,
    next(m, t, prev, cfg) {
      // a trip in a mode that does not open on arrival (inspection, fire recall) arms nothing
      if (t.door === 'open' || !cfg.modes.includes(t.mode)) return NO
      if (onTrip(t)) return { pending: true, since: null }
      if (!m.pending) return m
      // across a gap in the data the door may have opened and closed unseen, unless the fault
      // was already due before the gap: a raised alarm stands until the door is seen open
      const due = prev !== null && m.since !== null && prev.ts - m.since >= cfg.holdMs
      if ((!prev || t.ts - prev.ts >= cfg.staleAfterMs) && !due) return NO
      const waiting = !t.moving && t.doorZone && (t.door === 'closed' || t.door === 'opening')
      return { pending: true, since: waiting ? m.since ?? t.ts : null }
    },
  },
  holds: (t, m, cfg) => (m.since === null ? null : { holdMs: cfg.holdMs, since: m.since, evidence: { door: t.door, doorZone: t.doorZone } }),
  clearedEvidence: (t) => ({ door: t.door, moving: t.moving, floor: t.floor, mode: t.mode }),
})
