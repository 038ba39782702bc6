// 反复开关门 (docs/domain.md#fault-catalogue, no platform code): the door cycles 20 times without a trip — a hall button
// pressed again and again, a chattering door contact, a prank. A cycle is the door leaving
// `closed`. Clears with the next trip. Watched in normal service only: technicians cycle the door
// in inspection and maintenance, and the special modes run the door by their own rules.
import { Type } from '@sinclair/typebox'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { onTrip } from './runtime/stop.ts'

const configSchema = Type.Object({
  cycles: Type.Integer({ minimum: 2, default: 20, description: 'door cycles without a trip' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal'], 'service modes in which door cycles are counted'),
}, { additionalProperties: false })

interface Cycles {
  readonly count: number
  readonly firstAt: number | null
  /** ts of the cycle that reached the limit; null = not reached */
  readonly limitAt: number | null
}
const NONE: Cycles = { count: 0, firstAt: null, limitAt: null }

export const repeatedDoorReopen = conditionDetector({
  id: 'repeated-door-reopen',
  type: 'repeated_door_reopen',
  configSchema,
  reads: F.trip | F.door,
  memo: {
    initial: NONE,
    next(m, t, prev, cfg) {
      if (onTrip(t) || !cfg.modes.includes(t.mode)) return NONE
      // a trip may hide in a gap in the data: count again after it (a reached limit stands)
      if (!prev || t.ts - prev.ts >= cfg.staleAfterMs) return m.limitAt === null ? NONE : m
      if (prev.door !== 'closed' || t.door === 'closed' || t.door === 'unknown') return m
      const count = m.count + 1
      return { count, firstAt: m.firstAt ?? t.ts, limitAt: m.limitAt ?? (count >= cfg.cycles ? t.ts : null) }
    },
  },
  holds: (_t, m) => (m.limitAt === null ? null : { holdMs: 0, since: m.limitAt, evidence: { cycles: m.count, firstCycleAt: m.firstAt } }),
  clearedEvidence: (t) => ({ moving: t.moving, floor: t.floor, mode: t.mode }),
})
