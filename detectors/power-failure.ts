// 停电, platform code 41 (docs/domain.md#fault-catalogue): the supply is `off` or the car runs on `battery` for 5 s.
// Watched in every mode: a technician in inspection still needs to know the mains went.
import { Type } from '@sinclair/typebox'
import { MODES } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 0, default: 5_000, description: 'off or on battery this long' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(MODES, 'service modes in which a power loss is an alarm'),
}, { additionalProperties: false })

export const powerFailure = conditionDetector({
  id: 'power-failure',
  type: 'power_failure',
  configSchema,
  reads: F.power,
  holds: (t, _memo, cfg) => (t.power === 'mains' ? null : { holdMs: cfg.holdMs, evidence: { power: t.power } }),
  clearedEvidence: (t) => ({ power: t.power }),
})
