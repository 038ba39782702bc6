// 开门故障, GB/T fault code 03 (docs/domain.md#fault-catalogue): the car has stopped in the door zone after a trip and
// its door stays `closed` or `opening` for 20 s, never having reached open. A car parked with its
// door closed after the door has opened is idle, not faulty. Watched where every arrival opens
// the door: normal service, and emergency-power and earthquake operation, which bring the car
// to a landing to let passengers out. Fire recall opens at the main landing only; inspection
// never opens by itself. Re-levels are part of the stop (runtime/stop.ts): a car hunting at the
// landing with its door shut is still waiting for it.
import { Type } from '@sinclair/typebox'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { NOT_SEEN, nextStop, stopped, type Stop } from './runtime/stop.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 1000, default: 20_000, description: 'stopped after a trip, door not yet open, this long' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal', 'emergency_power', 'earthquake'], 'service modes in which every arrival should open the door'),
}, { additionalProperties: false })

/** A trip ended (or is ending) and the door has not reached open since; `since` = stopped waiting for it. */
interface Arrival { readonly stop: Stop; readonly pending: boolean; readonly since: number | null }
const NO: Arrival = { stop: NOT_SEEN, pending: false, since: null }

export const doorOpenFault = conditionDetector({
  id: 'door-open-fault',
  type: 'door_open_fault',
  configSchema,
  reads: F.moving | F.trip | F.doorZone | F.floorIndex | F.door,
  // a re-level counts its time (runtime/stop.ts)
  quiet: (m) => m.stop.relevelFrom === null,
  memo: {
    initial: NO,
    next(m, t, prev, cfg) {
      const stop = nextStop(m.stop, t, prev, cfg.staleAfterMs)
      // a trip in a mode that does not open on arrival (inspection, fire recall) arms nothing
      if (t.door === 'open' || !cfg.modes.includes(t.mode)) return !m.pending && stop === m.stop ? m : { ...NO, stop }
      if (!stopped(stop)) return m.pending && m.since === null && stop === m.stop ? m : { stop, pending: true, since: null }
      if (!m.pending) return stop === m.stop ? m : { ...m, stop }
      // across a gap in the data the door may have opened and closed unseen, unless the fault
      // was already due before the gap: a raised alarm stands until the door is seen open
      const due = prev !== null && m.since !== null && prev.ts - m.since >= cfg.holdMs
      if ((!prev || t.ts - prev.ts >= cfg.staleAfterMs) && !due) return { ...NO, stop }
      const waiting = t.doorZone && (t.door === 'closed' || t.door === 'opening')
      const since = waiting ? m.since ?? t.ts : null
      return stop === m.stop && since === m.since ? m : { stop, pending: true, since }
    },
  },
  holds: (t, m, cfg) => (m.since === null ? null : { holdMs: cfg.holdMs, since: m.since, evidence: { door: t.door, doorZone: t.doorZone } }),
  clearedEvidence: (t) => ({ door: t.door, moving: t.moving, floor: t.floor, mode: t.mode }),
})
