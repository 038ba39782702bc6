// 电动机运转时间限制器动作, GB/T fault code 06 (docs/domain.md#fault-catalogue): one continuous trip runs longer than
// max(45 s, 1.5 × full travel at rated speed), as the controller's motor runtime limiter would.
// Clears when the car stops. The trip counts from the moment the car started moving, and a car
// that hunts slowly round a landing it cannot level at is still on that trip, although each
// sample alone looks like re-levelling. Re-levels within a stop are part of the stop
// (runtime/stop.ts): they start no trip, and a trip counts from the end of its stop.
import { Type, type Static } from '@sinclair/typebox'
import type { Telemetry } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { NOT_SEEN, nextStop, type Stop } from './runtime/stop.ts'
import type { ElevatorFacts } from './runtime/types.ts'

const configSchema = Type.Object({
  minLimitMs: Type.Integer({ minimum: 1000, default: 45_000, description: 'the limit is never shorter than this' }),
  travelFactor: Type.Number({ minimum: 1, default: 1.5, description: 'limit = this × the full travel at rated speed, when the registry knows the travel' }),
  maxTripMs: Type.Integer({ minimum: 1000, default: 45_000, description: 'the limit for a car whose travel or rated speed the registry does not know' }),
  staleAfterMs: staleSetting(),
  // inspection inches the whole shaft at ≤ 0.3 m/s; emergency power and earthquake operation
  // may run below rated speed, which the limit is computed from
  modes: modesSetting(['normal', 'fire', 'fireman'], 'service modes in which an over-long trip is an alarm'),
}, { additionalProperties: false })
type Config = Static<typeof configSchema>

// across a gap in the data the car may have stopped in between: a new trip (nextStop)
const next = (m: Stop, t: Telemetry, prev: Telemetry | null, cfg: Config): Stop => nextStop(m, t, prev, cfg.staleAfterMs)

function limit(cfg: Config, facts: ElevatorFacts | null): { limitMs: number; basis: Record<string, unknown> } {
  if (!facts || facts.travel === null || !(facts.ratedSpeed > 0)) return { limitMs: cfg.maxTripMs, basis: { travel: null } }
  const fullTravelMs = (facts.travel / facts.ratedSpeed) * 1000
  return {
    limitMs: Math.round(Math.max(cfg.minLimitMs, cfg.travelFactor * fullTravelMs)),
    basis: { travel: facts.travel, ratedSpeed: facts.ratedSpeed, fullTravelMs: Math.round(fullTravelMs) },
  }
}

export const runtimeLimit = conditionDetector({
  id: 'runtime-limit',
  type: 'runtime_limit',
  configSchema,
  reads: F.moving | F.trip | F.doorZone | F.floorIndex,
  // a re-level counts its time (runtime/stop.ts)
  quiet: (m) => m.relevelFrom === null,
  memo: { initial: NOT_SEEN, next },
  holds: (t, memo, cfg, facts) => {
    if (memo.tripFrom === null) return null
    const { limitMs, basis } = limit(cfg, facts)
    return {
      holdMs: limitMs,
      since: memo.tripFrom,
      evidence: { tripStartedAt: memo.tripFrom, speed: t.speed, direction: t.direction, position: t.position, doorZone: t.doorZone, faultCode: t.faultCode, ...basis },
    }
  },
  clearedEvidence: (t) => ({ moving: t.moving, floor: t.floor, mode: t.mode, position: t.position }),
})
