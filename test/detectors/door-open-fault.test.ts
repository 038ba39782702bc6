import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { doorOpenFault } from '../../detectors/door-open-fault.ts'
import type { DetectorInput } from '../../detectors/index.ts'
import type { ControllerState } from '../../protocol/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, hunting, raised, scenarioInputs, tele } from './harness.ts'

const TRIP: Partial<ControllerState> = { moving: true, speed: 1.5, direction: 'up', doorZone: false, floor: '5', floorIndex: 5 }
/** stopped level at 6, door closed */
const AT6: Partial<ControllerState> = { floor: '6', floorIndex: 6, position: 19, doorZone: true }
/** a trip from 0, arriving at 6 at 5 s */
const arrive = (extra: Partial<ControllerState> = {}): DetectorInput[] => [tele(0, { ...TRIP, ...extra }), tele(5_000, { ...AT6, ...extra })]

describe('door-open-fault', () => {
  it('door still closed 20 s after arriving: nothing at 19.9 s, raised at exactly 20 s, cleared when it opens', () => {
    expect(drive(doorOpenFault, [...arrive(), tele(24_900, { ...AT6, door: 'open' })])).toEqual([])
    const out = drive(doorOpenFault, [...arrive(), ...beats(5_000, 60_000, AT6), tele(60_000, { ...AT6, door: 'open' })])
    expect(raised(out).map((e) => e.frame)).toEqual([25_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'door_open_fault', at: T0 + 5_000, evidence: { door: 'closed', floor: '6', thresholdMs: 20_000 } })
    expect(cleared(out)).toMatchObject([{ frame: 60_000, signal: { at: T0 + 60_000, evidence: { door: 'open' } } }])
  })

  it('closed, then stuck opening, counts as one failure to open, from the stop', () => {
    const out = drive(doorOpenFault, [...arrive(), tele(6_000, { ...AT6, door: 'opening' }), ...beats(10_000, 60_000, { ...AT6, door: 'opening' })])
    expect(raised(out)).toMatchObject([{ frame: 25_000, signal: { at: T0 + 5_000, evidence: { door: 'opening' } } }])
  })

  it('a car parked with its door closed after the door opened is idle, not faulty', () => {
    const served = [
      ...arrive(), tele(5_500, { ...AT6, door: 'opening' }), tele(8_000, { ...AT6, door: 'open' }), tele(11_000, { ...AT6, door: 'closing' }),
      tele(14_000, AT6), ...beats(20_000, 3_600_000, AT6),
    ]
    expect(drive(doorOpenFault, served)).toEqual([])
    // no trip at all, and re-levelling with the door closed is no trip
    expect(drive(doorOpenFault, beats(0, 600_000, AT6))).toEqual([])
    const relevel = [...served.slice(0, 5), tele(15_000, { ...AT6, moving: true, speed: 0.05 }), ...beats(16_000, 600_000, AT6)]
    expect(drive(doorOpenFault, relevel)).toEqual([])
  })

  it('a car hunting at the landing it arrived at (re-levelling 1.2 s every 5 s), door never open: raised 20 s after arrival', () => {
    const out = drive(doorOpenFault, [tele(0, TRIP), ...hunting(5_000, 60_000, AT6), tele(60_000, { ...AT6, door: 'open' })])
    expect(out.map((e) => [e.signal.state, e.frame, e.signal.at])).toEqual([['raised', 25_000, T0 + 5_000], ['cleared', 60_000, T0 + 60_000]])
  })

  it('a slow move in the door zone that runs on past 10 s is no re-level: a trip, after which the count starts again', () => {
    const creep = { ...AT6, moving: true, speed: 0.05 }
    const out = drive(doorOpenFault, [...arrive(), ...beats(10_000, 30_000, creep, 1_000), ...beats(30_000, 120_000, AT6)])
    expect(raised(out).map((e) => [e.frame, e.signal.at])).toEqual([[50_000, T0 + 30_000]])
  })

  it('a stop outside the door zone is not this fault (stop_outside_door_zone)', () => {
    expect(drive(doorOpenFault, [tele(0, TRIP), ...beats(5_000, 120_000, { ...AT6, doorZone: false, position: 17.5 })])).toEqual([])
  })

  it('leaving again before the door opens ends the condition', () => {
    const out = drive(doorOpenFault, [...arrive(), tele(15_000, TRIP), tele(20_000, AT6), tele(21_000, { ...AT6, door: 'opening' }), tele(23_000, { ...AT6, door: 'open' })])
    expect(out).toEqual([])
  })

  it('hold time is configuration', () => {
    expect(raised(drive(doorOpenFault, [...arrive(), ...beats(5_000, 60_000, AT6)], { config: { holdMs: 30_000 } })).map((e) => e.frame)).toEqual([35_000])
  })

  it('inspection, maintenance, fire and fireman arrivals are not watched; emergency power and earthquake are', () => {
    for (const mode of ['inspection', 'maintenance', 'fire', 'fireman'] as const) {
      expect(drive(doorOpenFault, [...arrive({ mode }), ...beats(5_000, 120_000, { ...AT6, mode })]), mode).toEqual([])
    }
    for (const mode of ['emergency_power', 'earthquake'] as const) {
      expect(raised(drive(doorOpenFault, [...arrive({ mode }), ...beats(5_000, 120_000, { ...AT6, mode })])).map((e) => e.frame), mode).toEqual([25_000])
    }
    expect(drive(doorOpenFault, [...arrive(), ...beats(5_000, 120_000, AT6)], { config: { modes: ['emergency_power'] } })).toEqual([])
  })

  it('a technician inching the car to a landing in inspection, then switching back to normal, is no fault', () => {
    const out = drive(doorOpenFault, [...arrive({ mode: 'inspection', speed: 0.25 }), tele(60_000, AT6), ...beats(60_000, 300_000, AT6)])
    expect(out).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(doorOpenFault, [...arrive(), availability(10_000, 'offline')])).toEqual([])
    // arrival, then silence past staleAfterMs: nothing; back later, the door may have opened and closed unseen
    const stale = { staleAfterMs: 10_000 }
    expect(drive(doorOpenFault, arrive(), { config: stale })).toEqual([])
    expect(drive(doorOpenFault, [...arrive(), ...beats(45_000, 300_000, AT6)], { config: stale })).toEqual([])
  })

  it('a raised alarm stands across a gap in the data until the door is seen open', () => {
    const out = drive(doorOpenFault, [...arrive(), ...beats(5_000, 30_000, AT6), ...beats(80_000, 200_000, AT6), tele(200_000, { ...AT6, door: 'open' })])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 25_000], ['cleared', 200_000]])
  })

  it('flapping: a door that tries to open, gives up and closes, and tries again for minutes is ONE alarm', () => {
    const inputs: DetectorInput[] = [...arrive()]
    for (let at = 5_000; at < 600_000; at += 25_000) {
      inputs.push(tele(at, AT6), tele(at + 2_000, { ...AT6, door: 'opening' }), tele(at + 22_000, { ...AT6, door: 'closing' }))
    }
    expect(raised(drive(doorOpenFault, inputs, { until: 600_000 })).length).toBeGreaterThan(5)
    const events = driveAlarms(doorOpenFault, inputs, { until: 600_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('door_open_fault.yaml: raised 20 s after the car stopped at 6', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'door_open_fault.yaml'))
    const inputs = scenarioInputs(sc)
    const stop = inputs.find((i) => i.kind === 'telemetry' && i.ts > T0 && !i.msg.moving)!.ts - T0
    const out = drive(doorOpenFault, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out).toHaveLength(1)
    expect(out[0]).toMatchObject({ frame: stop + 20_000, signal: { state: 'raised', at: T0 + stop, evidence: { floor: '6', door: 'closed' } } })
  })

  describe('every scenario: raised exactly where its alarms list door_open_fault', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('door_open_fault')) continue
      it(file, () => {
        const out = drive(doorOpenFault, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
        expect(raised(out).length > 0).toBe(sc.alarms.includes('door_open_fault'))
      }, 60_000)
    }
  })
})
