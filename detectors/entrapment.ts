// 困人, GB/T fault code 11 (docs/domain.md#fault-catalogue): the car is stopped, the door is not open and there is
// passenger evidence — `occupied` true, or the alarm button pressed during this stop — for 15 s
// outside the door zone or 90 s inside it. Re-levels are part of the stop (runtime/stop.ts): a
// car hunting at a landing with someone shut in is one stop, not a new one every few seconds.
// Clears when the door opens or the car empties (taken over from before a restart: when the
// first telemetry shows it empty). Watched in every mode but inspection and maintenance, where
// a technician rides the car roof: a car the controller took out of service after a fault, or
// in a mode the profile cannot name, may still hold a passenger.
import { Type, type Static } from '@sinclair/typebox'
import { MODES, type Telemetry } from '../protocol/index.ts'
import { NOT_SEEN, nextStop, stopped, type Stop } from './runtime/stop.ts'
import { elevatorOf, type Elevator, type Machine, type Step } from './runtime/lifecycle.ts'
import { F, fresh, freshBefore, type LinkState } from './runtime/link.ts'
import { machineDetector } from './runtime/driver.ts'
import type { DetectorInput, Dispatch } from './runtime/types.ts'

const configSchema = Type.Object({
  outsideDoorZoneMs: Type.Integer({ minimum: 1000, default: 15_000, description: 'stopped outside the door zone this long with a passenger' }),
  insideDoorZoneMs: Type.Integer({ minimum: 1000, default: 90_000, description: 'stopped inside the door zone, door not open, this long with a passenger' }),
  staleAfterMs: Type.Integer({ minimum: 1000, default: 30_000, description: 'no telemetry this long = the data is stale; never raise from stale data' }),
  modes: Type.Array(Type.Union(MODES.map((m) => Type.Literal(m))), {
    uniqueItems: true, default: MODES.filter((m) => m !== 'inspection' && m !== 'maintenance'),
    description: 'service modes in which a stop can be an entrapment (a technician on the car roof in inspection or maintenance is not)',
  }),
}, { additionalProperties: false })
export type EntrapmentConfig = Static<typeof configSchema>

interface State {
  readonly elevator: Elevator | null
  readonly stop: Stop
  /** the alarm button was pressed since the car stopped, with the door not open since */
  readonly pressedThisStop: boolean
  /** event time the condition began; null = not holding */
  readonly since: number | null
  readonly raised: boolean
}

type TelemetryInput = Extract<DetectorInput, { kind: 'telemetry' }>

const READS = F.occupied | F.door | F.alarmButton | F.mode | F.moving | F.doorZone | F.trip | F.floorIndex

/**
 * One per configuration and starting state, shared by every elevator: the link (when data last
 * came, the last sample) is the runtime's (runtime/link.ts), the rest is in the state.
 */
class EntrapmentMachine implements Machine<State> {
  readonly initial: State
  readonly dispatch: Dispatch
  private readonly modes: ReadonlySet<string>

  constructor(private readonly cfg: EntrapmentConfig, raised: boolean) {
    this.initial = { elevator: null, stop: NOT_SEEN, pressedThisStop: false, since: null, raised }
    this.modes = new Set<string>(cfg.modes)
    // a re-level counts its time (runtime/stop.ts)
    this.dispatch = { reads: READS, gapMs: cfg.staleAfterMs, idle: (s: unknown) => (s as State).stop.relevelFrom === null }
  }

  input(s: State, i: DetectorInput, now: number, link?: LinkState): Step<State> {
    if (i.kind === 'telemetry') return this.telemetry(s, i, now, link!)
    // an offline report means what we hold may no longer be true; a raised alarm stays raised
    // (only an open door or an empty car ends an entrapment)
    const since = i.state === 'offline' ? null : s.since
    const elevator = s.elevator ?? elevatorOf(i)
    return this.evaluate(since === s.since && elevator === s.elevator ? s : { ...s, elevator, since }, now, link!)
  }

  wake(s: State, now: number, link?: LinkState): Step<State> {
    return this.evaluate(s, now, link!)
  }

  private threshold(t: Telemetry): number {
    return t.doorZone ? this.cfg.insideDoorZoneMs : this.cfg.outsideDoorZoneMs
  }

  private evaluate(s: State, now: number, link: LinkState): Step<State> {
    const t = link.last
    if (s.raised || s.since === null || t === null || !s.elevator) return { state: s }
    // a condition seen across a gap in the data is not known to have held: start again
    if (!fresh(link, now, this.cfg.staleAfterMs)) return { state: { ...s, since: null } }
    const due = s.since + this.threshold(t)
    if (now < due) return { state: s, wakeAt: due }
    return {
      state: { ...s, raised: true },
      signals: [{
        ...s.elevator, type: 'entrapment', state: 'raised', at: s.since,
        evidence: {
          since: s.since, detectedAt: now, thresholdMs: this.threshold(t), floor: t.floor, floorIndex: t.floorIndex, position: t.position,
          doorZone: t.doorZone, door: t.door, occupied: t.occupied, alarmButtonThisStop: s.pressedThisStop, mode: t.mode, faultCode: t.faultCode,
        },
      }],
    }
  }

  private telemetry(s: State, i: TelemetryInput, now: number, link: LinkState): Step<State> {
    const t = i.msg
    const prev = link.prev
    const cfg = this.cfg
    // a raised state this instance has not seen telemetry for (restored after a broker restart, or
    // after its elevator's state was evicted) is judged on the car as it is now: nobody inside
    const emptied = t.occupied === false && (prev?.occupied === true || (s.raised && prev === null))
    const released = t.door === 'open' || emptied
    const stop = nextStop(s.stop, t, prev, cfg.staleAfterMs)
    const still = stopped(stop)
    // the passenger could leave through an open door; a trip starts a new stop
    let pressed = s.pressedThisStop && !released && still
    if (t.alarmButton && still && t.door !== 'open') pressed = true
    const elevator = s.elevator ?? elevatorOf(i)
    if (s.raised) {
      if (!released) return { state: stop === s.stop && pressed === s.pressedThisStop && elevator === s.elevator ? s : { ...s, elevator, stop, pressedThisStop: pressed } }
      return {
        state: { ...s, elevator, stop, pressedThisStop: pressed, since: null, raised: false },
        signals: [{
          ...elevatorOf(i), type: 'entrapment', state: 'cleared', at: i.ts,
          evidence: { door: t.door, occupied: t.occupied, floor: t.floor },
        }],
      }
    }
    const holding = this.modes.has(t.mode) && still && t.door !== 'open' && (t.occupied === true || pressed)
    // after a gap in the data the count starts from this sample
    const gap = !freshBefore(link, now, cfg.staleAfterMs)
    const since = holding ? (gap ? i.ts : s.since ?? i.ts) : null
    // one new state per sample at most, none when nothing changed
    const same = stop === s.stop && pressed === s.pressedThisStop && since === s.since && elevator === s.elevator
    return this.evaluate(same ? s : { elevator, stop, pressedThisStop: pressed, since, raised: false }, now, link)
  }
}

// machines hold no elevator's data: one per configuration (and starting state) for every elevator
const machines = new WeakMap<EntrapmentConfig, [EntrapmentMachine | undefined, EntrapmentMachine | undefined]>()
function machineFor(cfg: EntrapmentConfig, raised: boolean): EntrapmentMachine {
  let pair = machines.get(cfg)
  if (!pair) machines.set(cfg, (pair = [undefined, undefined]))
  return (pair[raised ? 1 : 0] ??= new EntrapmentMachine(cfg, raised))
}

export const entrapment = machineDetector({
  id: 'entrapment',
  types: ['entrapment'],
  configSchema,
  machine: (cfg, ctx) => {
    const machine = machineFor(cfg, ctx.active.includes('entrapment'))
    return { machine, dispatch: machine.dispatch }
  },
})
