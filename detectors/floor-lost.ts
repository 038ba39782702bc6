// 楼层位置丢失, GB/T fault code 07 (docs/domain.md#fault-catalogue): the floor is unknown or outside the registered
// landings, or the position jumps more than one floor while the car stands. One sample is enough.
import { Type } from '@sinclair/typebox'
import { MODES, type Telemetry } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import type { ElevatorFacts } from './runtime/types.ts'

// inspection/maintenance: a technician may be running a shaft-learning trip, when the floor
// register is meaningless until it ends
const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 0, default: 0, description: '0 = one sample' }),
  jumpM: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()], {
    default: null,
    description: 'a standing car reported this many metres from where it stopped has jumped; null = one storey (travel / (landings − 1) from the registry, else 3 m)',
  }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(MODES.filter((m) => m !== 'inspection' && m !== 'maintenance'), 'service modes in which a lost floor is an alarm'),
}, { additionalProperties: false })

/** metres: a typical storey, for an elevator the registry gives no travel for */
const STOREY_M = 3

interface Memo {
  /** where the car came to rest after it last moved; null while it moves or when unknown */
  readonly restAt: number | null
  /** it has reported a position: a null one now means the position was lost, not that there is no encoder */
  readonly positioned: boolean
}

const storey = (facts: ElevatorFacts | null): number =>
  facts?.travel && facts.landings.length > 1 ? facts.travel / (facts.landings.length - 1) : STOREY_M

function lost(t: Telemetry, memo: Memo, jumpM: number): string[] {
  const why: string[] = []
  if (t.position === null && memo.positioned) why.push('position_unknown')
  if (!t.moving && memo.restAt !== null && t.position !== null && Math.abs(t.position - memo.restAt) > jumpM) why.push('position_jump')
  return why
}

export const floorLost = conditionDetector({
  id: 'floor-lost',
  type: 'floor_lost',
  configSchema,
  reads: F.moving | F.position | F.floor | F.floorIndex,
  memo: {
    initial: { restAt: null, positioned: false } as Memo,
    next: (memo, t, prev, cfg) => {
      // across a gap in the data the car may have run unseen: where it stands now is the new rest
      const gap = prev !== null && t.ts - prev.ts >= cfg.staleAfterMs
      const restAt = t.moving ? null : gap ? t.position : memo.restAt ?? t.position
      const positioned = memo.positioned || t.position !== null
      // unchanged: the same memo, so the condition's state is not copied for it
      return restAt === memo.restAt && positioned === memo.positioned ? memo : { restAt, positioned }
    },
  },
  holds: (t, memo, cfg, facts) => {
    const why = lost(t, memo, cfg.jumpM ?? storey(facts))
    // without registered landings only the position can tell
    if (facts && facts.landings.length > 0) {
      if (!facts.landings.includes(t.floor)) why.push('floor_not_a_landing')
      if (t.floorIndex >= facts.landings.length) why.push('floor_index_out_of_range')
    }
    if (why.length === 0) return null
    return { holdMs: cfg.holdMs, evidence: { lost: why, floor: t.floor, floorIndex: t.floorIndex, position: t.position, restAt: memo.restAt } }
  },
  // a moving car's position is not read (while it has one); a standing car's within jumpM of
  // where it came to rest is where it stands
  band: {
    field: F.position,
    of: (memo, t, cfg, facts, out, at) => {
      // a hair inside jumpM: |position − restAt| > jumpM rounds differently from the bounds
      const jumpM = (cfg.jumpM ?? storey(facts)) * (1 - 1e-9)
      const moving = t.moving && memo.positioned
      const rest = !t.moving && memo.restAt !== null
      out[at] = moving ? -Infinity : rest ? memo.restAt! - jumpM : NaN
      out[at + 1] = moving ? Infinity : rest ? memo.restAt! + jumpM : NaN
    },
  },
  clearedEvidence: (t) => ({ floor: t.floor, floorIndex: t.floorIndex, position: t.position, mode: t.mode }),
})
