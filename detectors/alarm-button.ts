// 报警按钮, platform code 90 (docs/domain.md#fault-catalogue): the in-car alarm button pressed and held 3 s. Clears
// on release. Also evidence for an entrapment, which the entrapment detector reads itself.
import { Type, type Static } from '@sinclair/typebox'
import { MODES } from '../protocol/index.ts'
import { LINK_UNKNOWN, elevatorOf, isFresh, linkStep, type Elevator, type Link, type Machine, type Step } from './runtime/lifecycle.ts'
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
  readonly link: Link
  readonly elevator: Elevator | null
  /** event time the button was pressed (in a watched mode); null = released */
  readonly since: number | null
  readonly raised: boolean
  readonly floor: string | null
}

function machine(cfg: AlarmButtonConfig, raised: boolean): Machine<State> {
  const modes = new Set<string>(cfg.modes)
  const evaluate = (s: State, now: number): Step<State> => {
    if (s.raised || s.since === null || !s.elevator) return { state: s }
    if (!isFresh(s.link, now, cfg.staleAfterMs)) return { state: { ...s, since: null } }
    const due = s.since + cfg.holdMs
    if (now < due) return { state: s, wakeAt: due }
    return {
      state: { ...s, raised: true },
      signals: [{ ...s.elevator, type: 'alarm_button', state: 'raised', at: s.since, evidence: { since: s.since, detectedAt: now, holdMs: cfg.holdMs, floor: s.floor } }],
    }
  }
  return {
    initial: { link: LINK_UNKNOWN, elevator: null, since: null, raised, floor: null },
    input(s, i, now) {
      if (i.kind !== 'telemetry') {
        const next = { ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i) }
        return evaluate(i.state === 'offline' ? { ...next, since: null } : next, now)
      }
      const t = i.msg
      const pressed = t.alarmButton && modes.has(t.mode)
      // released and not raised: the link and floor are read only once a press counts (a press
      // after any gap counts from its own sample), so the state stands as it is, no copy
      if (!pressed && !s.raised && s.since === null && s.elevator !== null) return { state: s }
      const next = { ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i) }
      if (s.raised) {
        if (t.alarmButton) return { state: next }
        return {
          state: { ...next, since: null, raised: false },
          signals: [{ ...elevatorOf(i), type: 'alarm_button', state: 'cleared', at: i.ts, evidence: { heldMs: s.since === null ? null : i.ts - s.since } }],
        }
      }
      // after a gap in the data the hold counts from this sample
      const gap = !isFresh(s.link, now, cfg.staleAfterMs)
      return evaluate({ ...next, since: pressed ? (gap ? i.ts : s.since ?? i.ts) : null, floor: t.floor }, now)
    },
    wake: evaluate,
  }
}

export const alarmButton = machineDetector({
  id: 'alarm-button',
  types: ['alarm_button'],
  configSchema,
  machine: (cfg, ctx) => ({ machine: machine(cfg, ctx.active.includes('alarm_button')) }),
})
