// 报警按钮, platform code 90 (docs/domain.md#fault-catalogue): the in-car alarm button pressed and held 3 s. Clears
// on release. Also evidence for an entrapment, which the entrapment detector reads itself.
import { Type, type Static } from '@sinclair/typebox'
import { MODES } from '../protocol/index.ts'
import { elevatorOf, type Elevator, type Machine, type Step } from './runtime/lifecycle.ts'
import { F, fresh, freshBefore, type LinkState } from './runtime/link.ts'
import type { DetectorInput, Dispatch } from './runtime/types.ts'
import { machineDetector } from './runtime/driver.ts'

const configSchema = Type.Object({
  holdMs: Type.Integer({ minimum: 0, default: 3000, description: 'pressed this long before it is an alarm' }),
  staleAfterMs: Type.Integer({ minimum: 1000, default: 30_000, description: 'no telemetry this long = the data is stale; never raise from stale data' }),
  modes: Type.Array(Type.Union(MODES.map((m) => Type.Literal(m))), {
    uniqueItems: true, default: ['normal'], description: 'service modes in which a press is an alarm (technicians test the button in inspection)',
  }),
}, { additionalProperties: false })
export type AlarmButtonConfig = Static<typeof configSchema>

interface State {
  readonly elevator: Elevator | null
  /** event time the button was pressed (in a watched mode); null = released */
  readonly since: number | null
  readonly raised: boolean
  readonly floor: string | null
}

/** One per configuration and starting state, shared by every elevator; the link is the runtime's (runtime/link.ts). */
class AlarmButtonMachine implements Machine<State> {
  readonly initial: State
  readonly dispatch: Dispatch
  private readonly modes: ReadonlySet<string>

  constructor(private readonly cfg: AlarmButtonConfig, raised: boolean) {
    this.initial = { elevator: null, since: null, raised, floor: null }
    this.modes = new Set<string>(cfg.modes)
    this.dispatch = { reads: F.alarmButton | F.mode | F.floor, gapMs: cfg.staleAfterMs }
  }

  input(s: State, i: DetectorInput, now: number, link?: LinkState): Step<State> {
    const elevator = s.elevator ?? elevatorOf(i)
    if (i.kind !== 'telemetry') {
      const since = i.state === 'offline' ? null : s.since
      return this.evaluate(since === s.since && elevator === s.elevator ? s : { ...s, elevator, since }, now, link!)
    }
    const t = i.msg
    const pressed = t.alarmButton && this.modes.has(t.mode)
    // released and not raised: the floor is read only once a press counts (a press after any
    // gap counts from its own sample), so the state stands as it is, no copy
    if (!pressed && !s.raised && s.since === null && s.elevator !== null) return { state: s }
    if (s.raised) {
      if (t.alarmButton) return { state: elevator === s.elevator ? s : { ...s, elevator } }
      return {
        state: { ...s, elevator, since: null, raised: false },
        signals: [{ ...elevatorOf(i), type: 'alarm_button', state: 'cleared', at: i.ts, evidence: { heldMs: s.since === null ? null : i.ts - s.since } }],
      }
    }
    // after a gap in the data the hold counts from this sample
    const gap = !freshBefore(link!, now, this.cfg.staleAfterMs)
    const since = pressed ? (gap ? i.ts : s.since ?? i.ts) : null
    const same = since === s.since && t.floor === s.floor && elevator === s.elevator
    return this.evaluate(same ? s : { ...s, elevator, since, floor: t.floor }, now, link!)
  }

  wake(s: State, now: number, link?: LinkState): Step<State> {
    return this.evaluate(s, now, link!)
  }

  private evaluate(s: State, now: number, link: LinkState): Step<State> {
    const cfg = this.cfg
    if (s.raised || s.since === null || !s.elevator) return { state: s }
    if (!fresh(link, now, cfg.staleAfterMs)) return { state: { ...s, since: null } }
    const due = s.since + cfg.holdMs
    if (now < due) return { state: s, wakeAt: due }
    return {
      state: { ...s, raised: true },
      signals: [{ ...s.elevator, type: 'alarm_button', state: 'raised', at: s.since, evidence: { since: s.since, detectedAt: now, holdMs: cfg.holdMs, floor: s.floor } }],
    }
  }
}

// machines hold no elevator's data: one per configuration (and starting state) for every elevator
const machines = new WeakMap<AlarmButtonConfig, [AlarmButtonMachine | undefined, AlarmButtonMachine | undefined]>()
function machineFor(cfg: AlarmButtonConfig, raised: boolean): AlarmButtonMachine {
  let pair = machines.get(cfg)
  if (!pair) machines.set(cfg, (pair = [undefined, undefined]))
  return (pair[raised ? 1 : 0] ??= new AlarmButtonMachine(cfg, raised))
}

export const alarmButton = machineDetector({
  id: 'alarm-button',
  types: ['alarm_button'],
  configSchema,
  machine: (cfg, ctx) => {
    const machine = machineFor(cfg, ctx.active.includes('alarm_button'))
    return { machine, dispatch: machine.dispatch }
  },
})
