import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { DetectorInput } from '../../detectors/index.ts'
import { unintendedMovement } from '../../detectors/unintended-movement.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele, raisesIn, scenariosFor } from './harness.ts'

/** sliding down out of the door zone with the door open */
const SLIDING = { moving: true, speed: 0.5, direction: 'down' as const, door: 'open' as const, doorZone: false, position: -0.4, occupied: true }

describe('unintended-movement', () => {
  it('raises after 1 s of movement with the door not closed, not before', () => {
    expect(drive(unintendedMovement, [tele(0, SLIDING), tele(900, { ...SLIDING, door: 'closed' })])).toEqual([])
    const out = drive(unintendedMovement, [tele(0, SLIDING), tele(500, { ...SLIDING, position: -0.65 }), tele(3_000, { ...SLIDING, position: -1.2 })])
    expect(raised(out).map((e) => e.frame)).toEqual([1_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'unintended_movement', at: T0, evidence: { thresholdMs: 1_000, door: 'open', speed: 0.5, doorZone: false, direction: 'down' },
    })
  })

  it('opening and closing doors count; a door the controller cannot report does not', () => {
    for (const door of ['opening', 'closing'] as const) expect(raised(drive(unintendedMovement, beats(0, 5_000, { ...SLIDING, door }, 500))), door).toHaveLength(1)
    expect(drive(unintendedMovement, beats(0, 60_000, { ...SLIDING, door: 'unknown' }, 500))).toEqual([])
  })

  it('clears when the car stands still or its door closes', () => {
    const stopped = drive(unintendedMovement, [...beats(0, 3_000, SLIDING, 500), tele(3_000, { ...SLIDING, moving: false, speed: 0 })])
    expect(cleared(stopped).map((e) => [e.frame, e.signal.at])).toEqual([[3_000, T0 + 3_000]])
    const closed = drive(unintendedMovement, [...beats(0, 3_000, SLIDING, 500), tele(3_000, { ...SLIDING, door: 'closed' })])
    expect(closed.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 1_000], ['cleared', 3_000]])
  })

  it('re-levelling with the door open (in the door zone, ≤ 0.3 m/s) is exempt; faster or outside the zone is not', () => {
    const relevel = { ...SLIDING, doorZone: true, speed: 0.05, position: 0.01 }
    expect(drive(unintendedMovement, beats(0, 60_000, relevel, 500))).toEqual([])
    expect(drive(unintendedMovement, beats(0, 60_000, { ...relevel, speed: 0.3 }, 500))).toEqual([])
    expect(drive(unintendedMovement, beats(0, 60_000, { ...relevel, speed: null }, 500))).toEqual([])
    expect(raised(drive(unintendedMovement, beats(0, 5_000, { ...relevel, speed: 0.35 }, 500)))).toHaveLength(1)
    expect(raised(drive(unintendedMovement, beats(0, 5_000, { ...relevel, doorZone: false }, 500)))).toHaveLength(1)
    // the re-levelling speed is configuration
    expect(raised(drive(unintendedMovement, beats(0, 5_000, { ...relevel, speed: 0.25 }, 500), { config: { relevelMaxSpeed: 0.2 } }))).toHaveLength(1)
  })

  it('a door opening mid-trip on a car that set off with it closed is door_open_while_running\'s, not this: one event, one alarm', () => {
    const run = { ...SLIDING, door: 'closed' as const, speed: 1.75, direction: 'up' as const }
    const opened = [tele(0, { door: 'closed' }), tele(1_000, run), ...beats(2_000, 10_000, { ...run, door: 'open' }, 500), tele(10_000, { ...run, door: 'closed' })]
    expect(drive(unintendedMovement, opened)).toEqual([])
    // the door closed again on the way: a later opening on the same run is still the trip's
    const twice = [...opened, ...beats(11_000, 20_000, { ...run, door: 'opening' }, 500)]
    expect(drive(unintendedMovement, twice)).toEqual([])
    // a car that set off with its door open is this, even if the run goes on at speed
    expect(raised(drive(unintendedMovement, [tele(0, { door: 'open' }), ...beats(1_000, 10_000, { ...run, door: 'open' }, 500)])).map((e) => e.frame)).toEqual([2_000])
    // after a gap in the data nobody knows how the run began: this detector keeps it
    expect(raised(drive(unintendedMovement, [tele(0, { door: 'closed' }), tele(1_000, run), ...beats(50_000, 60_000, { ...run, door: 'open' }, 500)])).map((e) => e.frame)).toEqual([51_000])
    // unless door_open_while_running had already raised it before the gap: that alarm stands, and this stays down
    expect(drive(unintendedMovement, [...opened.slice(0, 6), ...beats(50_000, 60_000, { ...run, door: 'open' }, 500)])).toEqual([])
  })

  it('a car running with the door closed is no alarm', () => {
    expect(drive(unintendedMovement, beats(0, 60_000, { ...SLIDING, door: 'closed', speed: 1.75 }, 500))).toEqual([])
  })

  it('inspection and maintenance (door bypass) are exempt; every other mode is watched', () => {
    for (const mode of ['inspection', 'maintenance'] as const) expect(drive(unintendedMovement, beats(0, 60_000, { ...SLIDING, mode }, 500)), mode).toEqual([])
    for (const mode of ['fire', 'fireman', 'emergency_power', 'earthquake', 'out_of_service', 'unknown'] as const) {
      expect(raised(drive(unintendedMovement, beats(0, 5_000, { ...SLIDING, mode }, 500))).map((e) => e.frame), mode).toEqual([1_000])
    }
    expect(drive(unintendedMovement, beats(0, 5_000, { ...SLIDING, mode: 'fire' }, 500), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(unintendedMovement, [tele(0, SLIDING), availability(500, 'offline')])).toEqual([])
    // a debounce longer than the silence allows: stale at 30 s
    expect(drive(unintendedMovement, [tele(0, SLIDING)], { config: { holdMs: 40_000 } })).toEqual([])
  })

  it('a door flapping open and shut on a moving car for minutes is one alarm', () => {
    const inputs: DetectorInput[] = []
    for (let ms = 0; ms < 300_000; ms += 6_000) inputs.push(...beats(ms, ms + 3_000, SLIDING, 500), ...beats(ms + 3_000, ms + 6_000, { ...SLIDING, door: 'closed' }, 500))
    const events = driveAlarms(unintendedMovement, inputs)
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('unintended_movement.yaml: raised 1 s into the slide, cleared when the UCMP device arrests the car', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'unintended_movement.yaml'))
    const out = drive(unintendedMovement, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => e.signal.state)).toEqual(['raised', 'cleared'])
    const start = out[0]!.signal.at - T0
    expect(start).toBeGreaterThanOrEqual(4_000)
    expect(start).toBeLessThan(4_500)
    expect(out[0]!.frame).toBe(start + 1_000)
    expect(out[1]!.signal.evidence).toMatchObject({ moving: false, door: 'open' })
  })

  describe('scenarios: raised exactly where the scenario lists it', () => {
    for (const sc of scenariosFor('unintended_movement')) it(sc.name, () => expect(raisesIn(unintendedMovement, sc)).toHaveLength(sc.alarms.includes('unintended_movement') ? 1 : 0))
  })
})
