// 冲顶, GB/T fault code 09 (docs/domain.md#fault-catalogue): the up final limit acted, or the car is reported more than
// the tolerance above the top landing. Immediate: one sample is enough.
import { Type } from '@sinclair/typebox'
import { MODES } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'

// the final limit switches are tested in inspection during periodic checks (TSG T7001): a
// technician at work, not a fault
const configSchema = Type.Object({
  toleranceM: Type.Number({ minimum: 0, default: 0.15, description: 'metres above the top landing the car may be reported before it has overtravelled' }),
  holdMs: Type.Integer({ minimum: 0, default: 0, description: '0 = one sample' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(MODES.filter((m) => m !== 'inspection' && m !== 'maintenance'), 'service modes in which an overtravel is an alarm'),
}, { additionalProperties: false })

export const overtravelTop = conditionDetector({
  id: 'overtravel-top',
  type: 'overtravel_top',
  configSchema,
  reads: F.upLimit | F.position,
  holds: (t, _memo, cfg, facts) => {
    // without a registered travel only the limit switch can tell
    const travel = facts?.travel ?? null
    const above = travel !== null && t.position !== null && t.position > travel + cfg.toleranceM
    if (!t.upLimit && !above) return null
    return { holdMs: cfg.holdMs, evidence: { upLimit: t.upLimit, position: t.position, travel, toleranceM: cfg.toleranceM } }
  },
  // not holding: any position up to the tolerance above the top landing is the same
  band: {
    field: F.position,
    of: (_memo, _t, cfg, facts, out, at) => {
      out[at] = -Infinity
      out[at + 1] = facts?.travel == null ? Infinity : facts.travel + cfg.toleranceM
    },
  },
  clearedEvidence: (t) => ({ upLimit: t.upLimit, position: t.position, mode: t.mode }),
})
