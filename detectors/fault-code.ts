// Controller fault codes (docs/domain.md#controllers): a profile maps a controller's own code to the
// catalogue type it means, e.g. the reference controller's 81 → restart_prevented (GB/T fault
// code 08), which no telemetry signal shows by itself. Raised while the mapped code is reported.
import { Type, type Static } from '@sinclair/typebox'
import { FAULT_CODE_TYPES, MODES, liftwatchRef, type AlarmType, type Telemetry } from '../protocol/index.ts'
import { elevatorOf, type Machine, type Step } from './runtime/lifecycle.ts'
import { machineDetector } from './runtime/driver.ts'
import { modesSetting } from './runtime/condition.ts'
import type { AlarmSignal, DetectorInput } from './runtime/types.ts'
import { F } from './runtime/link.ts'

// our own types have conditions no controller reports as a fault code
const MAPPABLE = FAULT_CODE_TYPES

const configSchema = Type.Object({
  faultCodes: Type.Record(Type.String({ pattern: '^[0-9]+$' }), Type.Union(MAPPABLE.map((t) => Type.Literal(t))), {
    default: { ...liftwatchRef.faultCodes },
    description: "controller fault code → the catalogue type it raises (the controller profile's map)",
  }),
  // technicians provoke faults while they test and repair: inspection and maintenance are theirs
  modes: modesSetting(MODES.filter((m) => m !== 'inspection' && m !== 'maintenance'), 'service modes in which a mapped fault code is an alarm'),
}, { additionalProperties: false })
export type FaultCodeConfig = Static<typeof configSchema>

interface State {
  /** the type this instance has raised and not cleared (one code, so one type at a time) */
  readonly raised: AlarmType | null
}

function machine(cfg: FaultCodeConfig, raised: AlarmType | null): Machine<State> {
  const modes = new Set<string>(cfg.modes)
  const map = new Map<number, AlarmType>(Object.entries(cfg.faultCodes).map(([code, type]) => [Number(code), type]))

  const telemetry = (s: State, i: Extract<DetectorInput, { kind: 'telemetry' }>, now: number): Step<State> => {
    const t: Telemetry = i.msg
    // 0 = no fault, whatever a map says. A gateway that knows the controller's profile says what
    // the code means (faultType, null = nothing); this map is for gateways that do not.
    const mapped = t.faultType !== undefined ? t.faultType : map.get(t.faultCode) ?? null
    const type = t.faultCode !== 0 && modes.has(t.mode) ? mapped : null
    if (type === s.raised) return { state: s }
    const signals: AlarmSignal[] = []
    if (s.raised) {
      signals.push({ ...elevatorOf(i), type: s.raised, state: 'cleared', at: i.ts, evidence: { faultCode: t.faultCode, floor: t.floor, mode: t.mode } })
    }
    if (type) {
      signals.push({
        ...elevatorOf(i), type, state: 'raised', at: i.ts,
        evidence: { faultCode: t.faultCode, since: i.ts, detectedAt: now, floor: t.floor, floorIndex: t.floorIndex, mode: t.mode, door: t.door, moving: t.moving },
      })
    }
    return { state: { raised: type }, signals }
  }

  return {
    initial: { raised },
    // raised and cleared only by a live sample, so never from stale data; an offline report
    // leaves a raised alarm up until fresh data shows the code has gone
    input: (s, i, now) => (i.kind === 'telemetry' ? telemetry(s, i, now) : { state: s }),
    wake: (s) => ({ state: s }),
  }
}

const unraised = new WeakMap<FaultCodeConfig, Machine<State>>()
// a raise or clear follows the code and the mode alone, whenever they come
const DISPATCH = { reads: F.faultCode | F.faultType | F.mode, gapMs: Infinity }

export const faultCode = machineDetector({
  id: 'fault-code',
  types: MAPPABLE,
  configSchema,
  // only the types its map can raise are its own: the others in `active` belong to other detectors
  machine: (cfg, ctx) => {
    const raised = ctx.active.find((t) => Object.values(cfg.faultCodes).includes(t)) ?? null
    // its map and modes hold no elevator's data: one machine per configuration for the elevators with nothing raised
    let m = raised === null ? unraised.get(cfg) : undefined
    if (!m) {
      m = machine(cfg, raised)
      if (raised === null) unraised.set(cfg, m)
    }
    return { machine: m, dispatch: DISPATCH }
  },
})
