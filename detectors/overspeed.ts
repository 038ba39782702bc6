// 超速 (docs/domain.md#fault-catalogue, no platform code): the car runs faster than its rated speed × a factor. One
// alarm type, critical, with the level reached in evidence:
// - `warning` above ×1.10 for a short debounce (1 s): a drive out of control that the governor,
//   which trips at ≥ 115 % (GB 7588), has not caught; overspeed.yaml runs at 113 %;
// - `critical` at ×1.15 at once: the governor's tripping speed reached;
// - `critical` when the car stops straight from above ×1.10 with the safety chain open: the
//   governor tripped and the safety gear gripped between two samples, so no sample shows 115 %.
// An alarm raised as `warning` that reaches `critical` is re-raised as an evidence update.
// Needs the rated speed: the registry's, else a configured one, else no detection.
import { Type, type Static } from '@sinclair/typebox'
import { MODES, type Telemetry } from '../protocol/index.ts'
import { conditionMachine, modesSetting, staleSetting, type ConditionSpec, type Holds } from './runtime/condition.ts'
import { type Elevator, type Machine, type Step } from './runtime/lifecycle.ts'
import { machineDetector } from './runtime/driver.ts'
import type { DetectorInput, ElevatorFacts } from './runtime/types.ts'
import { F, type LinkState } from './runtime/link.ts'

// a car above its rated speed is never intended, whoever drives it; technicians test the
// governor and safety gear in maintenance
const WATCHED = MODES.filter((m) => m !== 'maintenance')

const configSchema = Type.Object({
  warningFactor: Type.Number({ minimum: 1, default: 1.1, description: 'above rated speed × this is overspeed at level warning' }),
  criticalFactor: Type.Number({ minimum: 1, default: 1.15, description: 'at rated speed × this (the governor tripping speed) it is level critical' }),
  warningHoldMs: Type.Integer({ minimum: 0, default: 1_000, description: 'debounce above the warning speed' }),
  criticalHoldMs: Type.Integer({
    minimum: 0, default: 0, description: 'debounce at the critical speed, counted from the first sample above the warning speed (raise it where the gateway derives speed from noisy positions)',
  }),
  ratedSpeed: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'm/s, for an elevator the registry does not describe' })),
  staleAfterMs: staleSetting(),
  modes: modesSetting(WATCHED, 'service modes in which overspeed is an alarm'),
}, { additionalProperties: false })
type Config = Static<typeof configSchema>

type Level = 'warning' | 'critical'

interface Memo {
  /** the car is moving (a new run starts the peak afresh) */
  readonly running: boolean
  /** peak speed of this run, or of the last one while standing */
  readonly peak: number
  /** first sample of the current stretch above the warning speed; null = not above it */
  readonly overAt: number | null
  /** the car stopped straight from overspeed with the chain open; kept while the chain stays open */
  readonly governor: { readonly at: number; readonly peak: number } | null
}

// the registry's rated speed first; without either, holds() never holds and nothing is raised
const ratedOf = (cfg: Config, facts: ElevatorFacts | null): number | undefined => facts?.ratedSpeed ?? cfg.ratedSpeed

function levelOf(speed: number | null, cfg: Config, ratedSpeed: number | undefined): Level | null {
  if (speed === null || ratedSpeed === undefined) return null
  if (speed >= ratedSpeed * cfg.criticalFactor) return 'critical'
  return speed > ratedSpeed * cfg.warningFactor ? 'warning' : null
}

function next(m: Memo, t: Telemetry, _prev: Telemetry | null, cfg: Config, facts: ElevatorFacts | null): Memo {
  const speed = t.speed ?? 0
  if (t.moving) {
    const over = levelOf(t.speed, cfg, ratedOf(cfg, facts)) !== null
    const peak = m.running ? Math.max(m.peak, speed) : speed
    const overAt = over ? m.overAt ?? t.ts : null
    // unchanged: the same memo, so the condition's state is not copied for it
    return m.running && peak === m.peak && overAt === m.overAt && m.governor === null ? m : { running: true, peak, overAt, governor: null }
  }
  const tripped = m.governor ?? (m.overAt !== null ? { at: m.overAt, peak: m.peak } : null)
  const governor = t.safetyCircuit ? null : tripped
  return !m.running && m.overAt === null && governor === m.governor ? m : { running: false, peak: m.peak, overAt: null, governor }
}

const spec: ConditionSpec<typeof configSchema, Memo> = {
  id: 'overspeed',
  type: 'overspeed',
  configSchema,
  memo: { initial: { running: false, peak: 0, overAt: null, governor: null }, next },
  reads: F.moving | F.speed | F.safetyCircuit,
  // running below the warning speed and the run's peak, or standing: the speed alone changes nothing
  band: {
    field: F.speed,
    of: (m, t, cfg, facts, out, at) => {
      const ratedSpeed = ratedOf(cfg, facts)
      const standing = !t.moving && !m.running && m.overAt === null
      const below = t.moving && m.running && m.overAt === null && m.governor === null
      let high = standing ? Infinity : below ? m.peak : NaN
      if (below && ratedSpeed !== undefined) {
        high = Math.min(high, ratedSpeed * cfg.warningFactor)
        // levelOf: at the critical speed is critical, whatever the warning factor
        if (high >= ratedSpeed * cfg.criticalFactor) high = NaN
      }
      out[at] = standing || below ? -Infinity : NaN
      out[at + 1] = high
    },
  },
  holds: (t, memo, cfg, facts) => {
    const ratedSpeed = ratedOf(cfg, facts)
    const rated = { ratedSpeed, warningSpeed: (ratedSpeed ?? 0) * cfg.warningFactor }
    if (memo.governor) {
      return { holdMs: 0, since: memo.governor.at, evidence: { level: 'critical', governorTrip: true, peakSpeed: memo.governor.peak, speed: t.speed, ...rated } }
    }
    const level = t.moving ? levelOf(t.speed, cfg, ratedSpeed) : null
    if (!level) return null
    const holdMs = level === 'critical' ? cfg.criticalHoldMs : cfg.warningHoldMs
    return { holdMs, evidence: { level, peakSpeed: memo.peak, speed: t.speed, direction: t.direction, position: t.position, ...rated } }
  },
  clearedEvidence: (t, memo) => ({ peakSpeed: memo.peak, speed: t.speed, moving: t.moving, safetyCircuit: t.safetyCircuit }),
}

interface Raisable { readonly raised: boolean; readonly since: number | null; readonly pending: Holds | null; readonly elevator: Elevator | null }
/** The condition's state and the level last reported for it. */
interface Reported<S> { readonly raised: boolean; readonly condition: S; readonly reported: Level | null }

// the wrapped machines of a spec share their initial state: one wrapped initial for each
const reportedInitials = new WeakMap<object, object>()

/**
 * Re-raises an alarm raised as `warning` once it reaches `critical`, as an evidence update. A
 * class, so that the instance each elevator needs carries no closures of its own. The wrapped
 * state is a field, not spread into a copy with one more key: V8 builds such a copy slowly.
 */
class Escalating<S extends Raisable> implements Machine<Reported<S>> {
  readonly initial: Reported<S>

  constructor(private readonly m: Machine<S>) {
    let initial = reportedInitials.get(m.initial) as Reported<S> | undefined
    if (!initial) reportedInitials.set(m.initial, (initial = { raised: m.initial.raised, condition: m.initial, reported: null }))
    this.initial = initial
  }

  input(s: Reported<S>, i: DetectorInput, now: number, link?: LinkState): Step<Reported<S>> {
    return this.after(s, this.m.input(s.condition, i, now, link), now)
  }

  wake(s: Reported<S>, now: number, link?: LinkState): Step<Reported<S>> {
    return this.after(s, this.m.wake(s.condition, now, link), now)
  }

  // the condition's band: only asked of a state neither pending nor raised, which nothing escalates
  band(s: Reported<S>, last: Telemetry, out: number[], at: number): void {
    if (this.m.band && !s.raised) this.m.band(s.condition, last, out, at)
    else out[at] = out[at + 1] = NaN
  }

  private after(before: Reported<S>, step: Step<S>, now: number): Step<Reported<S>> {
    let reported = before.reported
    for (const sig of step.signals ?? []) reported = sig.state === 'raised' ? (sig.evidence.level as Level) : null
    const s = step.state
    const evidence = s.pending?.evidence
    if (!s.raised || !s.elevator || reported === 'critical' || evidence?.level !== 'critical') {
      const state = s === before.condition && reported === before.reported ? before : { raised: s.raised, condition: s, reported }
      return { ...step, state }
    }
    return {
      ...step,
      state: { raised: s.raised, condition: s, reported: 'critical' },
      signals: [...(step.signals ?? []), {
        ...s.elevator, type: 'overspeed', state: 'raised', at: s.since ?? now, evidenceUpdate: true, evidence: { ...evidence, escalatedAt: now },
      }],
    }
  }
}

export const overspeed = machineDetector({
  id: 'overspeed',
  types: ['overspeed'],
  configSchema,
  machine: (cfg, ctx) => {
    const condition = conditionMachine(spec, cfg, ctx.elevator ?? null, ctx.active.includes('overspeed'))
    return { machine: new Escalating(condition), dispatch: condition.dispatch }
  },
})
