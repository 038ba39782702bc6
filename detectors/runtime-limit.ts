// 电动机运转时间限制器动作, GB/T fault code 06 (docs/domain.md#fault-catalogue): one continuous trip runs longer than
// max(45 s, 1.5 × full travel at rated speed), as the controller's motor runtime limiter would.
// Clears when the car stops. The trip counts from the moment the car started moving, and a car
// that hunts slowly round a landing it cannot level at is still on that trip, although each
// sample alone looks like re-levelling.
import { Type, type Static } from '@sinclair/typebox'
import type { Telemetry } from '../protocol/index.ts'
import { conditionDetector, modesSetting, onTrip, staleSetting } from './runtime/condition.ts'
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

interface Memo {
  /** ts of the sample the car was first seen moving in this run; null = standing */
  readonly startedAt: number | null
  /** this run has been a trip, not just re-levelling */
  readonly trip: boolean
}

function next(m: Memo, t: Telemetry, prev: Telemetry | null, cfg: Config): Memo {
  if (!t.moving) return { startedAt: null, trip: false }
  // across a gap in the data the car may have stopped in between: a new run
  const gap = prev === null || t.ts - prev.ts >= cfg.staleAfterMs
  const startedAt = m.startedAt === null || gap ? t.ts : m.startedAt
  return { startedAt, trip: (startedAt === m.startedAt && m.trip) || onTrip(t) }
}

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
  memo: { initial: { startedAt: null, trip: false } as Memo, next },
  holds: (t, memo, cfg, facts) => {
    if (!memo.trip || memo.startedAt === null) return null
    const { limitMs, basis } = limit(cfg, facts)
    return {
      holdMs: limitMs,
      since: memo.startedAt,
      evidence: { tripStartedAt: memo.startedAt, speed: t.speed, direction: t.direction, position: t.position, doorZone: t.doorZone, faultCode: t.faultCode, ...basis },
    }
  },
  clearedEvidence: (t) => ({ moving: t.moving, floor: t.floor, mode: t.mode, position: t.position }),
})
