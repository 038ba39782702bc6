import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { floorLost } from '../../detectors/floor-lost.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { GARBAGE_FLOOR_INDEX, GARBAGE_FLOOR_LABEL } from '../../simulators/model/controller-state.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

// parked at 5 (16 m) in the simulator's default building
const AT5 = { floor: '5', floorIndex: 5, position: 16 }
const GARBAGE = { floor: GARBAGE_FLOOR_LABEL, floorIndex: GARBAGE_FLOOR_INDEX }

describe('floor-lost', () => {
  it('one sample: raised at the first sample with a floor outside the landings, not before', () => {
    const out = drive(floorLost, [...beats(0, 10_000, AT5), ...beats(10_000, 30_000, { ...AT5, ...GARBAGE })])
    expect(raised(out).map((e) => e.frame)).toEqual([10_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'floor_lost', at: T0 + 10_000, evidence: { lost: ['floor_not_a_landing', 'floor_index_out_of_range'], floor: '--', floorIndex: 99 },
    })
  })

  it('a floor index past the registered landings is lost; the top landing is not', () => {
    expect(drive(floorLost, beats(0, 30_000, { floor: '12', floorIndex: 12, position: 37 }))).toEqual([])
    const out = drive(floorLost, beats(0, 30_000, { floor: '12', floorIndex: 13, position: 37 }))
    expect(raised(out)).toMatchObject([{ frame: 0, signal: { evidence: { lost: ['floor_index_out_of_range'] } } }])
    // a label the registry does not know, e.g. "13" where the building skips it
    expect(raised(drive(floorLost, beats(0, 30_000, { floor: '13', floorIndex: 12 })))).toHaveLength(1)
  })

  it('a position that turns unknown is lost; a car that never reports one (no encoder) is not', () => {
    const out = drive(floorLost, [...beats(0, 20_000, AT5), ...beats(20_000, 40_000, { ...AT5, position: null })])
    expect(raised(out)).toMatchObject([{ frame: 20_000, signal: { evidence: { lost: ['position_unknown'] } } }])
    expect(drive(floorLost, beats(0, 60_000, { ...AT5, position: null }))).toEqual([])
  })

  it('a standing car whose position jumps more than one storey has lost it; the jump back clears', () => {
    // FACTS: 37 m over 12 storeys = 3.08 m a storey
    expect(drive(floorLost, [...beats(0, 20_000, AT5), ...beats(20_000, 60_000, { ...AT5, position: 19.05 })])).toEqual([])
    const out = drive(floorLost, [
      ...beats(0, 20_000, AT5), ...beats(20_000, 50_000, { floor: '8', floorIndex: 8, position: 26 }), ...beats(50_000, 80_000, AT5),
    ])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 20_000], ['cleared', 50_000]])
    expect(raised(out)[0]!.signal.evidence).toMatchObject({ lost: ['position_jump'], position: 26, restAt: 16 })
  })

  it('a trip is no jump, nor is a car found elsewhere after a gap in the data', () => {
    const trip = [
      ...beats(0, 10_000, AT5), tele(10_000, { ...AT5, moving: true, speed: 1.75, doorZone: false }),
      tele(15_000, { floor: '8', floorIndex: 8, position: 26, moving: true, speed: 0.1 }), ...beats(16_000, 60_000, { floor: '8', floorIndex: 8, position: 26 }),
    ]
    expect(drive(floorLost, trip)).toEqual([])
    expect(drive(floorLost, [...beats(0, 10_000, AT5), ...beats(60_000, 90_000, { floor: '8', floorIndex: 8, position: 26 })])).toEqual([])
  })

  it('jump distance is configuration; without registry facts a storey is 3 m and labels are not checked', () => {
    const jump = [...beats(0, 20_000, AT5), ...beats(20_000, 40_000, { ...AT5, position: 18 })]
    expect(raised(drive(floorLost, jump, { config: { jumpM: 1.5 } })).map((e) => e.frame)).toEqual([20_000])
    expect(drive(floorLost, [...beats(0, 20_000, AT5), ...beats(20_000, 40_000, { ...AT5, position: 18.9 })], { facts: null })).toEqual([])
    expect(raised(drive(floorLost, [...beats(0, 20_000, AT5), ...beats(20_000, 40_000, { ...AT5, position: 19.1 })], { facts: null }))).toHaveLength(1)
    expect(drive(floorLost, beats(0, 30_000, { ...AT5, ...GARBAGE }), { facts: null })).toEqual([])
  })

  it('clears when the floor is known again', () => {
    const out = drive(floorLost, [...beats(0, 30_000, { ...AT5, ...GARBAGE }), ...beats(30_000, 60_000, AT5)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 30_000]])
    expect(cleared(out)[0]!.signal).toMatchObject({ at: T0 + 30_000, evidence: { floor: '5', floorIndex: 5 } })
  })

  it('not in inspection or maintenance (a shaft-learning run); watched under fire service; modes are configuration', () => {
    for (const mode of ['inspection', 'maintenance'] as const) {
      expect(drive(floorLost, beats(0, 60_000, { ...AT5, ...GARBAGE, mode })), mode).toEqual([])
    }
    expect(raised(drive(floorLost, beats(0, 60_000, { ...AT5, ...GARBAGE, mode: 'fire' })))).toHaveLength(1)
    expect(drive(floorLost, beats(0, 60_000, { ...AT5, ...GARBAGE, mode: 'fire' }), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('a flickering floor register is one alarm, not one per flicker', () => {
    const inputs = Array.from({ length: 120 }, (_, k) => tele(k * 5_000, k % 2 ? AT5 : { ...AT5, ...GARBAGE }))
    const events = driveAlarms(floorLost, inputs, { until: 900_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('never raises nor clears from stale data', () => {
    // with a hold configured, a lost floor seen once and then silence is not raised
    expect(drive(floorLost, [tele(0, GARBAGE)], { config: { holdMs: 40_000 } })).toEqual([])
    expect(drive(floorLost, [tele(0, GARBAGE), availability(1_000, 'offline')], { config: { holdMs: 5_000 } })).toEqual([])
    // raised, then the data goes: it stays raised until a fresh sample shows the floor again
    const out = drive(floorLost, [tele(0, GARBAGE), availability(5_000, 'offline'), tele(600_000, AT5)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 600_000]])
  })

  it('an instance resumed with floor_lost active clears it once the floor is known', () => {
    const out = drive(floorLost, [tele(0, AT5)], { active: ['floor_lost'] })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['cleared', 0]])
  })

  it('floor_lost.yaml: raised when the garbage floor appears (25 s), held through the unknown position and the jump, cleared at 80 s', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'floor_lost.yaml'))
    const out = drive(floorLost, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => e.signal.state)).toEqual(['raised', 'cleared'])
    expect(out[0]!.frame).toBeGreaterThanOrEqual(25_000)
    expect(out[0]!.frame).toBeLessThan(25_500)
    expect(out[1]!.frame).toBeGreaterThanOrEqual(80_000)
    expect(out[1]!.frame).toBeLessThan(80_500)
  })

  it('every scenario: floor_lost exactly where the scenario lists it', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('floor_lost')) continue
      const out = drive(floorLost, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
      expect(raised(out).length > 0, file).toBe(sc.alarms.includes('floor_lost'))
    }
  }, 60_000)
})
