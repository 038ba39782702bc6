// The shape most catalogue rows share: a condition on the car's reported state that must hold,
// on fresh data and in a watched service mode, for a threshold before it is an alarm, and that
// clears when it no longer holds. A detector file gives the condition; this gives the rest.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { MODES, type AlarmType, type Mode, type Telemetry } from '../../protocol/index.ts'
import { elevatorOf, type Elevator, type Machine, type Step } from './lifecycle.ts'
import { machineDetector } from './driver.ts'
import { F, fresh, freshBefore, type LinkState } from './link.ts'
import type { AlarmSignal, Detector, DetectorInput, Dispatch, ElevatorFacts } from './types.ts'
import { fingerprintOf, type Learned } from './learned.ts'

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
  /**
   * The memo is learned and survives a restart (learned.ts): its format version, the settings
   * whose change makes a stored memo meaningless, and the check of a stored one (null = unfit)
   */
  readonly learned?: {
    readonly version: number
    readonly settings: readonly (keyof Static<S> & string)[]
    parse(data: unknown): M | null
  }
  /**
   * Change-driven dispatch (link.ts `F` bits): the fields `memo.next` and `holds` read to decide
   * (the mode is added); evidence alone need not be named, it is taken again when raised. Absent
   * = every sample is stepped.
   */
  readonly reads?: number
  /**
   * A repeat of `prev` (the same fields read, no gap) leaves this memo as it is (default: always,
   * when `reads` is given). False where a repeat still moves it, e.g. a count of time.
   */
  quiet?(memo: M, prev: Telemetry): boolean
  /**
   * A band of one field read (`F.position` or `F.speed`): `of` writes to `out[at]`, `out[at + 1]`
   * the lowest and highest value that, in place of `t`'s, would leave this memo as it is and the
   * condition not holding (NaN: none), so that a sample changing only that field within them is
   * not stepped (lifecycle.ts `Machine.band`). Asked only in a state neither pending nor raised.
   */
  readonly band?: {
    readonly field: number
    of(memo: M, t: Telemetry, cfg: Static<S>, facts: ElevatorFacts | null, out: number[], at: number): void
  }
  /** the evidence of a clear; default the floor and mode */
  clearedEvidence?(t: Telemetry, memo: M): Record<string, unknown>
}

/**
 * One elevator's condition, an immutable value: the driver keeps old states to replay history
 * from. The link to the elevator (when telemetry last came, offline reports, the last sample)
 * is the runtime's, shared by every detector of the elevator (link.ts), not copied in here.
 */
export interface ConditionState<M> {
  readonly elevator: Elevator | null
  readonly memo: M
  /** event time the condition began; null = not holding */
  readonly since: number | null
  readonly pending: Holds | null
  readonly raised: boolean
}

// one allocation site, all fields in one order: one hidden class for every condition's state
const conditionState = <M>(elevator: Elevator | null, memo: M, since: number | null, pending: Holds | null, raised: boolean): ConditionState<M> =>
  ({ elevator, memo, since, pending, raised })

/**
 * What the machines of one spec and config share, by whether they start raised: a machine holds
 * these and its elevator's facts only. States are values, so they share their initial state too.
 */
class ConditionRules<S extends TSchema, M> {
  readonly modes: ReadonlySet<string>
  readonly initial: ConditionState<M>
  readonly learned: Learned<ConditionState<M>> | undefined
  readonly dispatch: Dispatch | undefined

  constructor(readonly spec: ConditionSpec<S, M>, readonly cfg: Static<S> & ConditionSettings, raised: boolean) {
    this.modes = new Set<string>(cfg.modes)
    this.initial = conditionState(null, spec.memo?.initial as M, null, null, raised)
    const l = spec.learned
    const none = spec.memo?.initial
    this.learned = l && {
      version: l.version,
      fingerprint: fingerprintOf(cfg as Record<string, unknown>, l.settings),
      // the memo is immutable and JSON-shaped: kept as it is
      snapshot: (st) => (st.memo === none ? null : st.memo),
      restore: (st, data) => {
        const memo = l.parse(data)
        return memo === null ? null : conditionState(st.elevator, memo, st.since, st.pending, st.raised)
      },
    }
    const quiet = spec.quiet
    // the mode decides whether the condition is watched at all
    this.dispatch = spec.reads === undefined ? undefined : {
      reads: spec.reads | F.mode,
      gapMs: cfg.staleAfterMs,
      ...(spec.band ? { band: spec.band.field } : {}),
      ...(quiet ? { idle: (st: unknown, prev: Telemetry) => quiet((st as ConditionState<M>).memo, prev) } : {}),
    }
  }
}

const rulesBySpec = new WeakMap<object, WeakMap<object, (object | undefined)[]>>()

function rulesOf<S extends TSchema, M>(spec: ConditionSpec<S, M>, cfg: Static<S> & ConditionSettings, raised: boolean): ConditionRules<S, M> {
  let byCfg = rulesBySpec.get(spec)
  if (!byCfg) rulesBySpec.set(spec, (byCfg = new WeakMap()))
  let pair = byCfg.get(cfg)
  if (!pair) byCfg.set(cfg, (pair = [undefined, undefined]))
  return (pair[raised ? 1 : 0] ??= new ConditionRules(spec, cfg, raised)) as ConditionRules<S, M>
}

// an elevator's condition machines see each input in turn: they share the value naming it
let lastElevator: Elevator | null = null
function elevatorFor(i: DetectorInput): Elevator {
  const e = lastElevator
  if (e !== null && e.elevatorId === i.elevatorId && e.region === i.region) return e
  return (lastElevator = elevatorOf(i))
}

type TelemetryInput = Extract<DetectorInput, { kind: 'telemetry' }>

/**
 * A condition's alarm lifecycle for one elevator. A class, so that the thousands of instances a
 * fleet needs share their methods; a step makes at most one new state, and none when nothing
 * that is read later has changed.
 */
export class ConditionMachine<S extends TSchema, M> implements Machine<ConditionState<M>> {
  private readonly rules: ConditionRules<S, M>

  constructor(spec: ConditionSpec<S, M>, cfg: Static<S> & ConditionSettings, private readonly facts: ElevatorFacts | null, raised: boolean) {
    this.rules = rulesOf(spec, cfg, raised)
  }

  get initial(): ConditionState<M> {
    return this.rules.initial
  }

  get learned(): Learned<ConditionState<M>> | undefined {
    return this.rules.learned
  }

  /** change-driven dispatch (types.ts DetectorMachine), shared by every machine of this spec and config */
  get dispatch(): Dispatch | undefined {
    return this.rules.dispatch
  }

  band(s: ConditionState<M>, last: Telemetry, out: number[], at: number): void {
    const { spec, cfg } = this.rules
    if (spec.band && !s.raised && s.since === null && s.pending === null && s.elevator !== null) {
      spec.band.of(s.memo, last, cfg, this.facts, out, at)
    } else {
      out[at] = out[at + 1] = NaN
    }
  }

  input(s: ConditionState<M>, i: DetectorInput, now: number, link?: LinkState): Step<ConditionState<M>> {
    if (i.kind === 'telemetry') return this.telemetry(s, i, now, link!)
    // an offline report: what we hold may no longer be true; a raised alarm stays raised
    // until fresh data shows the condition has ended
    const lost = i.state === 'offline'
    return this.settle(s, s.elevator ?? elevatorFor(i), s.memo, lost ? null : s.since, lost ? null : s.pending, now, link!, null)
  }

  wake(s: ConditionState<M>, now: number, link?: LinkState): Step<ConditionState<M>> {
    return this.settle(s, s.elevator, s.memo, s.since, s.pending, now, link!, null)
  }

  private telemetry(s: ConditionState<M>, i: TelemetryInput, now: number, link: LinkState): Step<ConditionState<M>> {
    const { spec, cfg, modes } = this.rules
    const facts = this.facts
    const t = i.msg
    const memo = spec.memo ? spec.memo.next(s.memo, t, link.prev, cfg, facts) : s.memo
    const elevator = s.elevator ?? elevatorFor(i)
    // a raised alarm is judged in any mode: switching to inspection is not a repair
    const h = s.raised || modes.has(t.mode) ? spec.holds(t, memo, cfg, facts) : null
    if (s.raised) {
      if (h) return { state: conditionState(elevator, memo, s.since, h, true) }
      return {
        state: conditionState(elevator, memo, null, null, false),
        signals: [{
          elevatorId: i.elevatorId, region: i.region, type: spec.type, state: 'cleared', at: i.ts,
          evidence: spec.clearedEvidence ? spec.clearedEvidence(t, memo) : { floor: t.floor, mode: t.mode },
        }],
      }
    }
    if (!h) {
      // still not holding: nothing here is read before it holds again
      if (s.since === null && s.pending === null && s.elevator !== null && memo === s.memo) return { state: s }
      return { state: conditionState(elevator, memo, null, null, false) }
    }
    // after a gap in the data the count starts from this sample (a since from memory stands)
    const since = h.since ?? (s.since === null || !freshBefore(link, now, cfg.staleAfterMs) ? i.ts : s.since)
    return this.settle(s, elevator, memo, since, h, now, link, h)
  }

  /**
   * Judges a pending condition with these fields at `now`; a new state only when a field changes.
   * `current` is what holds on the sample being stepped; null on a wake-up or offline report,
   * when the evidence is taken again from the last live sample (the memo is the one it left).
   */
  private settle(s: ConditionState<M>, elevator: Elevator | null, memo: M, since: number | null, pending: Holds | null, now: number,
    link: LinkState, current: Holds | null): Step<ConditionState<M>> {
    let wakeAt: number | null = null
    if (!s.raised && since !== null && pending !== null && elevator !== null) {
      if (!fresh(link, now, this.rules.cfg.staleAfterMs)) {
        // a condition seen across a gap in the data is not known to have held: start again
        since = null
        pending = null
      } else if (now >= since + pending.holdMs) {
        const last = link.last
        const evidence = current ?? (last === null ? null : this.rules.spec.holds(last, memo, this.rules.cfg, this.facts)) ?? pending
        return {
          state: conditionState(elevator, memo, since, pending, true),
          signals: [this.raisedSignal(elevator, since, pending, evidence, last, now)],
        }
      } else {
        wakeAt = since + pending.holdMs
      }
    }
    const same = elevator === s.elevator && memo === s.memo && since === s.since && pending === s.pending
    const state = same ? s : conditionState(elevator, memo, since, pending, s.raised)
    return wakeAt === null ? { state } : { state, wakeAt }
  }

  private raisedSignal(elevator: Elevator, since: number, pending: Holds, current: Holds, last: Telemetry | null, now: number): AlarmSignal {
    return {
      elevatorId: elevator.elevatorId, region: elevator.region, type: this.rules.spec.type, state: 'raised', at: since,
      evidence: { since, detectedAt: now, thresholdMs: pending.holdMs, floor: last?.floor, mode: last?.mode, ...current.evidence },
    }
  }
}

export function conditionMachine<S extends TSchema, M>(spec: ConditionSpec<S, M>, cfg: Static<S> & ConditionSettings,
  facts: ElevatorFacts | null, raised: boolean): ConditionMachine<S, M> {
  return new ConditionMachine(spec, cfg, facts, raised)
}

/** A detector from a condition: validated config in, per-elevator machine out. */
export function conditionDetector<S extends TSchema, M = null>(spec: ConditionSpec<S, M>): Detector<S> {
  return machineDetector({
    id: spec.id,
    types: [spec.type],
    configSchema: spec.configSchema,
    machine: (cfg, ctx) => {
      const machine = new ConditionMachine(spec, cfg as Static<S> & ConditionSettings, ctx.elevator ?? null, ctx.active.includes(spec.type))
      return { machine, dispatch: machine.dispatch }
    },
  })
}
