// 蹲底, GB/T fault code 10 (docs/domain.md#fault-catalogue): the down final limit acted, or the car is reported more
// than the tolerance below the lowest landing (0 m). Immediate: one sample is enough.
import { Type } from '@sinclair/typebox'
import { MODES } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'

// the final limit switches are tested in inspection during periodic checks (TSG T7001): a
// technician at work, not a fault
const configSchema = Type.Object({
  toleranceM: Type.Number({ minimum: 0, default: 0.15, description: 'metres below the lowest landing the car may be reported before it has overtravelled' }),
  holdMs: Type.Integer({ minimum: 0, default: 0, description: '0 = one sample' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(MODES.filter((m) => m !== 'inspection' && m !== 'maintenance'), 'service modes in which an overtravel is an alarm'),
}, { additionalProperties: false })

export const overtravelBottom = conditionDetector({
  id: 'overtravel-bottom',
  type: 'overtravel_bottom',
  configSchema,
  reads: F.downLimit | F.position,
  holds: (t, _memo, cfg) => {
    // positions count from the lowest landing, so no registry fact is needed here
    const below = t.position !== null && t.position < -cfg.toleranceM
    if (!t.downLimit && !below) return null
    return { holdMs: cfg.holdMs, evidence: { downLimit: t.downLimit, position: t.position, toleranceM: cfg.toleranceM } }
  },
  // not holding: any position down to the tolerance below the lowest landing is the same
  band: {
    field: F.position,
    of: (_memo, _t, cfg, _facts, out, at) => {
      out[at] = -cfg.toleranceM
      out[at + 1] = Infinity
    },
  },
  clearedEvidence: (t) => ({ downLimit: t.downLimit, position: t.position, mode: t.mode }),
})
