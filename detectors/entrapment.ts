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
import { LINK_UNKNOWN, elevatorOf, isFresh, linkStep, type Elevator, type Link, type Machine, type Step } from './runtime/lifecycle.ts'
import { machineDetector } from './runtime/driver.ts'
import type { DetectorInput } from './runtime/types.ts'

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
  readonly link: Link
  readonly elevator: Elevator | null
  readonly last: Telemetry | null
  readonly stop: Stop
  /** the alarm button was pressed since the car stopped, with the door not open since */
  readonly pressedThisStop: boolean
  /** event time the condition began; null = not holding */
  readonly since: number | null
  readonly raised: boolean
}

function machine(cfg: EntrapmentConfig, raised: boolean): Machine<State> {
  const modes = new Set<string>(cfg.modes)
  const threshold = (t: Telemetry) => (t.doorZone ? cfg.insideDoorZoneMs : cfg.outsideDoorZoneMs)

  const evaluate = (s: State, now: number): Step<State> => {
    if (s.raised || s.since === null || !s.last || !s.elevator) return { state: s }
    // a condition seen across a gap in the data is not known to have held: start again
    if (!isFresh(s.link, now, cfg.staleAfterMs)) return { state: { ...s, since: null } }
    const t = s.last
    const due = s.since + threshold(t)
    if (now < due) return { state: s, wakeAt: due }
    return {
      state: { ...s, raised: true },
      signals: [{
        ...s.elevator, type: 'entrapment', state: 'raised', at: s.since,
        evidence: {
          since: s.since, detectedAt: now, thresholdMs: threshold(t), floor: t.floor, floorIndex: t.floorIndex, position: t.position,
          doorZone: t.doorZone, door: t.door, occupied: t.occupied, alarmButtonThisStop: s.pressedThisStop, mode: t.mode, faultCode: t.faultCode,
        },
      }],
    }
  }

  const telemetry = (s: State, i: Extract<DetectorInput, { kind: 'telemetry' }>, now: number): Step<State> => {
    const t = i.msg
    // a raised state this instance has not seen telemetry for (restored after a broker restart, or
    // after its elevator's state was evicted) is judged on the car as it is now: nobody inside
    const emptied = t.occupied === false && (s.last?.occupied === true || (s.raised && s.last === null))
    const released = t.door === 'open' || emptied
    const stop = nextStop(s.stop, t, s.last, cfg.staleAfterMs)
    const still = stopped(stop)
    // the passenger could leave through an open door; a trip starts a new stop
    let pressed = s.pressedThisStop && !released && still
    if (t.alarmButton && still && t.door !== 'open') pressed = true
    const link = linkStep(s.link, i, now)
    const elevator = s.elevator ?? elevatorOf(i)
    if (s.raised) {
      if (!released) return { state: { ...s, link, elevator, last: t, stop, pressedThisStop: pressed } }
      return {
        state: { ...s, link, elevator, last: t, stop, pressedThisStop: pressed, since: null, raised: false },
        signals: [{
          ...elevatorOf(i), type: 'entrapment', state: 'cleared', at: i.ts,
          evidence: { door: t.door, occupied: t.occupied, floor: t.floor },
        }],
      }
    }
    const holding = modes.has(t.mode) && still && t.door !== 'open' && (t.occupied === true || pressed)
    // after a gap in the data the count starts from this sample
    const gap = !isFresh(s.link, now, cfg.staleAfterMs)
    // one new state per sample, not a copy of a copy
    return evaluate({ ...s, link, elevator, last: t, stop, pressedThisStop: pressed, since: holding ? (gap ? i.ts : s.since ?? i.ts) : null }, now)
  }

  return {
    initial: { link: LINK_UNKNOWN, elevator: null, last: null, stop: NOT_SEEN, pressedThisStop: false, since: null, raised },
    input(s, i, now) {
      if (i.kind === 'telemetry') return telemetry(s, i, now)
      // an offline report means what we hold may no longer be true; a raised alarm stays raised
      // (only an open door or an empty car ends an entrapment)
      const since = i.state === 'offline' ? null : s.since
      return evaluate({ ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i), since }, now)
    },
    wake: evaluate,
  }
}

export const entrapment = machineDetector({
  id: 'entrapment',
  types: ['entrapment'],
  configSchema,
  machine: (cfg, ctx) => ({ machine: machine(cfg, ctx.active.includes('entrapment')) }),
})
