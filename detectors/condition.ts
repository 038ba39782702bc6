// The shape most catalogue rows share: a condition on the car's reported state that must hold,
// on fresh data and in a watched service mode, for a threshold before it is an alarm, and that
// clears when it no longer holds. A detector file gives the condition; this gives the rest.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { MODES, type AlarmType, type Mode, type Telemetry } from '../protocol/index.ts'
import { LINK_UNKNOWN, elevatorOf, isFresh, linkStep, runMachine, type Elevator, type Link, type Machine, type Step } from './lifecycle.ts'
import type { Detector, DetectorContext, DetectorInput, ElevatorFacts } from './types.ts'

/** The `modes` setting: service modes in which the condition is watched. */
export const modesSetting = (defaults: readonly Mode[], description: string) =>
  Type.Array(Type.Union(MODES.map((m) => Type.Literal(m))), { uniqueItems: true, default: [...defaults], description })

/** The `staleAfterMs` setting: no telemetry this long and the data no longer counts. */
export const staleSetting = () =>
  Type.Integer({ minimum: 1000, default: 30_000, description: 'no telemetry this long = the data is stale; never raise or clear from stale data' })

/** The settings every condition detector has. */
export interface ConditionSettings { modes: readonly Mode[]; staleAfterMs: number }

/** The condition holds: how long it must hold, since when (default: the first sample it held), what to report. */
export interface Holds {
  readonly holdMs: number
  readonly since?: number
  readonly evidence?: Record<string, unknown>
}

export interface ConditionSpec<S extends TSchema, M> {
  readonly id: string
  readonly type: AlarmType
  /** must include `modes` and `staleAfterMs` (modesSetting, staleSetting) */
  readonly configSchema: S
  /** per-elevator memory, advanced by every live sample in any mode (when the trip began, door cycles…) */
  readonly memo?: {
    readonly initial: M
    next(memo: M, t: Telemetry, prev: Telemetry | null, cfg: Static<S>, facts: ElevatorFacts | null): M
  }
  /** null = the condition does not hold for this sample (only asked in a watched mode) */
  holds(t: Telemetry, memo: M, cfg: Static<S>, facts: ElevatorFacts | null): Holds | null
  /** the evidence of a clear; default the floor and mode */
  clearedEvidence?(t: Telemetry, memo: M): Record<string, unknown>
}

interface State<M> {
  readonly link: Link
  readonly elevator: Elevator | null
  readonly last: Telemetry | null
  readonly memo: M
  /** event time the condition began; null = not holding */
  readonly since: number | null
  readonly pending: Holds | null
  readonly raised: boolean
}

export function conditionMachine<S extends TSchema, M>(spec: ConditionSpec<S, M>, cfg: Static<S> & ConditionSettings,
  facts: ElevatorFacts | null, raised: boolean): Machine<State<M>> {
  const modes = new Set<string>(cfg.modes)

  const evaluate = (s: State<M>, now: number): Step<State<M>> => {
    if (s.raised || s.since === null || s.pending === null || !s.elevator) return { state: s }
    // a condition seen across a gap in the data is not known to have held: start again
    if (!isFresh(s.link, now, cfg.staleAfterMs)) return { state: { ...s, since: null, pending: null } }
    const due = s.since + s.pending.holdMs
    if (now < due) return { state: s, wakeAt: due }
    return {
      state: { ...s, raised: true },
      signals: [{
        ...s.elevator, type: spec.type, state: 'raised', at: s.since,
        evidence: { since: s.since, detectedAt: now, thresholdMs: s.pending.holdMs, floor: s.last?.floor, mode: s.last?.mode, ...s.pending.evidence },
      }],
    }
  }

  const telemetry = (s: State<M>, i: Extract<DetectorInput, { kind: 'telemetry' }>, now: number): Step<State<M>> => {
    const t = i.msg
    const memo = spec.memo ? spec.memo.next(s.memo, t, s.last, cfg, facts) : s.memo
    const gap = !isFresh(s.link, now, cfg.staleAfterMs)
    const next: State<M> = { ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i), last: t, memo }
    // a raised alarm is judged in any mode: switching to inspection is not a repair
    const h = s.raised || modes.has(t.mode) ? spec.holds(t, memo, cfg, facts) : null
    if (s.raised) {
      if (h) return { state: { ...next, pending: h } }
      return {
        state: { ...next, since: null, pending: null, raised: false },
        signals: [{
          ...elevatorOf(i), type: spec.type, state: 'cleared', at: i.ts,
          evidence: spec.clearedEvidence ? spec.clearedEvidence(t, memo) : { floor: t.floor, mode: t.mode },
        }],
      }
    }
    if (!h) return { state: { ...next, since: null, pending: null } }
    // after a gap in the data the count starts from this sample (a since from memory stands)
    const since = h.since ?? (gap || s.since === null ? i.ts : s.since)
    return evaluate({ ...next, since, pending: h }, now)
  }

  return {
    initial: { link: LINK_UNKNOWN, elevator: null, last: null, memo: spec.memo?.initial as M, since: null, pending: null, raised },
    input(s, i, now) {
      if (i.kind === 'telemetry') return telemetry(s, i, now)
      // an offline report: what we hold may no longer be true; a raised alarm stays raised
      // until fresh data shows the condition has ended
      const next = { ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i) }
      return evaluate(i.state === 'offline' ? { ...next, since: null, pending: null } : next, now)
    },
    wake: evaluate,
  }
}

/** A detector from a condition: `create` validated config in, per-elevator machine out. */
export function conditionDetector<S extends TSchema, M = null>(spec: ConditionSpec<S, M>): Detector<S> {
  return {
    id: spec.id,
    types: [spec.type],
    configSchema: spec.configSchema,
    create: (cfg, ctx: DetectorContext) => runMachine(
      conditionMachine(spec, cfg as Static<S> & ConditionSettings, ctx.elevator ?? null, ctx.active.includes(spec.type)),
      ctx.scheduler,
    ),
  }
}

/** A car on a trip: moving, and not merely re-levelling (inside the door zone, ≤ 0.3 m/s; DOMAIN.md code 05). */
export const RELEVEL_MAX_SPEED = 0.3
export const onTrip = (t: Telemetry): boolean => t.moving && !(t.doorZone && (t.speed ?? 0) <= RELEVEL_MAX_SPEED)
