// 关门故障, GB/T fault code 02 (docs/domain.md#fault-catalogue): the door stays `closing` for 20 s, or it reverses
// before reaching `closed` 5 times within one stop. Watched in normal service only: the
// firefighter's constant-pressure close reverses whenever the button is let go, and fire
// recall, emergency power and earthquake operation park the car with its door open.
import { Type } from '@sinclair/typebox'
import type { Telemetry } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { onTrip } from './runtime/stop.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 1000, default: 20_000, description: 'door reported closing this long' }),
  attempts: Type.Integer({ minimum: 2, default: 5, description: 'close attempts reversed before reaching closed within one stop' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal'], 'service modes in which a door that will not close is a fault'),
}, { additionalProperties: false })

interface Reversals {
  readonly count: number
  /** ts of the first reversal of this stop */
  readonly firstAt: number | null
  /** ts of the reversal that reached `attempts`; null = not reached */
  readonly limitAt: number | null
}
const NONE: Reversals = { count: 0, firstAt: null, limitAt: null }

const reversed = (t: Telemetry, prev: Telemetry | null): boolean =>
  prev?.door === 'closing' && (t.door === 'opening' || t.door === 'open')

export const doorCloseFault = conditionDetector({
  id: 'door-close-fault',
  type: 'door_close_fault',
  configSchema,
  reads: F.door | F.trip,
  memo: {
    initial: NONE,
    next(m, t, prev, cfg) {
      // one stop ends when the door reaches closed or the car leaves; other modes run the door differently
      if (t.door === 'closed' || onTrip(t) || !cfg.modes.includes(t.mode)) return NONE
      // reversals seen across a gap in the data are not known to belong to one stop (a reached limit stands)
      if (!prev || t.ts - prev.ts >= cfg.staleAfterMs) return m.limitAt === null ? NONE : m
      if (!reversed(t, prev)) return m
      const count = m.count + 1
      return { count, firstAt: m.firstAt ?? t.ts, limitAt: m.limitAt ?? (count >= cfg.attempts ? t.ts : null) }
    },
  },
  holds(t, m, cfg) {
    if (m.limitAt !== null) {
      return { holdMs: 0, since: m.limitAt, evidence: { reopens: m.count, firstReopenAt: m.firstAt, door: t.door } }
    }
    return t.door === 'closing' && !onTrip(t) ? { holdMs: cfg.holdMs, evidence: { door: t.door } } : null
  },
  clearedEvidence: (t) => ({ door: t.door, floor: t.floor, mode: t.mode }),
})
