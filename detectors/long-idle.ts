// 长时间未运行 (docs/domain.md#fault-catalogue): no trip in normal service for 24 h. A car nobody uses may be
// silently out of order, or its building empty; either way someone should look. Counted from
// the end of the last trip, or from the first sample this instance saw.
import { Type } from '@sinclair/typebox'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { onTrip } from './runtime/stop.ts'
import { isRecord, isTime } from './runtime/learned.ts'

// a car out of normal service (inspection, fire recall, out_of_service…) is not idle for lack of
// passengers: the count starts again when it comes back
const configSchema = Type.Object({
  maxIdleMs: Type.Integer({ minimum: 60_000, default: 86_400_000, description: 'no trip this long in a watched mode' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal'], 'service modes in which a car should make trips'),
}, { additionalProperties: false })

interface Memo {
  /** when the car last stood still after a trip (or was first seen, or came back to a watched mode) */
  readonly idleSince: number | null
  readonly floorIndex: number | null
}

export const longIdle = conditionDetector({
  id: 'long-idle',
  type: 'long_idle',
  configSchema,
  reads: F.trip | F.floorIndex,
  memo: {
    initial: { idleSince: null, floorIndex: null } as Memo,
    next: (memo, t, _prev, cfg) => {
      if (onTrip(t) || !cfg.modes.includes(t.mode)) return memo.idleSince === null && memo.floorIndex === t.floorIndex ? memo : { idleSince: null, floorIndex: t.floorIndex }
      // found at another landing (after a gap in the data, say) it has run: the count starts here
      const moved = memo.floorIndex !== null && t.floorIndex !== memo.floorIndex
      const idleSince = moved ? t.ts : memo.idleSince ?? t.ts
      // unchanged: the same memo, so the condition's state is not copied for it
      return idleSince === memo.idleSince && t.floorIndex === memo.floorIndex ? memo : { idleSince, floorIndex: t.floorIndex }
    },
  },
  // and survives a restart: a car idle for 23 h before it is not counted from zero after
  learned: {
    version: 1,
    settings: ['modes'],
    parse: (d) => (isRecord(d) && isTime(d.idleSince) && isTime(d.floorIndex) ? { idleSince: d.idleSince, floorIndex: d.floorIndex } : null),
  },
  // the count lives in memo, so a short gap in the data does not restart a 24 h count
  holds: (t, memo, cfg) => (memo.idleSince === null ? null : {
    holdMs: cfg.maxIdleMs, since: memo.idleSince, evidence: { idleSince: memo.idleSince, floor: t.floor },
  }),
  clearedEvidence: (t) => ({ floor: t.floor, mode: t.mode, moving: t.moving }),
})
