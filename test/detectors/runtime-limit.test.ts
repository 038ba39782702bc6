import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { DetectorInput } from '../../detectors/index.ts'
import { runtimeLimit } from '../../detectors/runtime-limit.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, hunting, raised, scenarioInputs, tele, raisesIn, scenariosFor } from './harness.ts'

const RUNNING = { moving: true, speed: 1.75, direction: 'up' as const, doorZone: false, floor: '5', position: 16 }
const STOPPED = { floor: '12', position: 37 }
/** hunting round a landing it cannot level at: slow, inside the door zone */
const HUNTING = { moving: true, speed: 0.05, direction: 'up' as const, doorZone: true, floor: '12', position: 37.02 }

describe('runtime-limit', () => {
  it('raises when one trip has run 45 s (the default car: 1.5 × 37 m / 1.75 m/s ≈ 32 s is less), not before', () => {
    expect(drive(runtimeLimit, [...beats(0, 44_900, RUNNING, 1_000), tele(44_900, STOPPED)])).toEqual([])
    const out = drive(runtimeLimit, beats(0, 60_000, RUNNING, 1_000))
    expect(raised(out).map((e) => e.frame)).toEqual([45_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'runtime_limit', at: T0, evidence: { thresholdMs: 45_000, tripStartedAt: T0, travel: 37, ratedSpeed: 1.75, fullTravelMs: 21_143 },
    })
  })

  it('a tall, fast car gets 1.5 × its full travel; an unregistered one 45 s or the configured maxTripMs', () => {
    const tall = { landings: ['1', '2'], ratedSpeed: 2.5, travel: 120 }
    expect(raised(drive(runtimeLimit, beats(0, 100_000, RUNNING, 1_000), { facts: tall })).map((e) => e.frame)).toEqual([72_000])
    expect(raised(drive(runtimeLimit, beats(0, 100_000, RUNNING, 1_000), { facts: null })).map((e) => e.frame)).toEqual([45_000])
    expect(raised(drive(runtimeLimit, beats(0, 100_000, RUNNING, 1_000), { facts: { ...tall, travel: null } })).map((e) => e.frame)).toEqual([45_000])
    const cfg = { maxTripMs: 60_000, minLimitMs: 50_000, travelFactor: 2 }
    expect(raised(drive(runtimeLimit, beats(0, 100_000, RUNNING, 1_000), { facts: null, config: cfg })).map((e) => e.frame)).toEqual([60_000])
    expect(raised(drive(runtimeLimit, beats(0, 100_000, RUNNING, 1_000), { config: cfg })).map((e) => e.frame)).toEqual([50_000])
    expect(raised(drive(runtimeLimit, beats(0, 100_000, RUNNING, 1_000), { facts: tall, config: cfg })).map((e) => e.frame)).toEqual([96_000])
  })

  it('clears when the car stops', () => {
    const out = drive(runtimeLimit, [...beats(0, 70_000, RUNNING, 1_000), tele(70_000, STOPPED)])
    expect(cleared(out).map((e) => [e.frame, e.signal.at])).toEqual([[70_000, T0 + 70_000]])
  })

  it('counts from the start of the run and keeps counting while the car hunts slowly at a landing', () => {
    const out = drive(runtimeLimit, [
      ...beats(0, 1_000, { ...HUNTING, floor: '1', position: 4.01, speed: 0.08 }, 200), ...beats(1_000, 20_000, RUNNING, 1_000), ...beats(20_000, 90_000, HUNTING, 1_000),
    ])
    expect(raised(out)).toMatchObject([{ frame: 45_000, signal: { at: T0, evidence: { doorZone: true, speed: 0.05 } } }])
  })

  it('a car hunting at a landing (re-levelling 1.2 s every 5 s) is stopped: the trip ends at arrival and the re-levels start no run', () => {
    const atTop = { floor: '12', floorIndex: 12, position: 37, doorZone: true }
    const out = drive(runtimeLimit, [...beats(0, 50_000, RUNNING, 1_000), ...hunting(50_000, 400_000, atTop)], { until: 400_000 })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 45_000], ['cleared', 50_000]])
    // a re-level in the stop before a trip is no part of it: the trip counts from when the car left
    const depart = drive(runtimeLimit, [...hunting(0, 20_000, atTop), tele(20_000, atTop), ...beats(20_500, 90_000, RUNNING, 1_000)])
    expect(raised(depart).map((e) => [e.frame, e.signal.at])).toEqual([[65_500, T0 + 20_500]])
  })

  it('a re-level is part of the stop only for 10 s: a car creeping round a landing longer is on a trip, counted from when it began', () => {
    expect(drive(runtimeLimit, beats(0, 9_000, HUNTING, 1_000), { until: 120_000 })).toEqual([])
    const out = drive(runtimeLimit, beats(0, 120_000, HUNTING, 1_000), { until: 120_000 })
    expect(raised(out)).toMatchObject([{ frame: 45_000, signal: { at: T0, evidence: { doorZone: true, speed: 0.05 } } }])
  })

  it('a stop starts a new trip', () => {
    const out = drive(runtimeLimit, [...beats(0, 30_000, RUNNING, 1_000), tele(30_000, STOPPED), ...beats(35_000, 70_000, RUNNING, 1_000), tele(70_000, STOPPED)])
    expect(out).toEqual([])
  })

  it('inspection inching, maintenance and reduced-speed modes are exempt; fire service is watched', () => {
    for (const mode of ['inspection', 'maintenance', 'emergency_power', 'earthquake'] as const) {
      expect(drive(runtimeLimit, beats(0, 200_000, { ...RUNNING, speed: 0.25, mode }, 1_000), { until: 200_000 }), mode).toEqual([])
    }
    for (const mode of ['fire', 'fireman'] as const) expect(raised(drive(runtimeLimit, beats(0, 60_000, { ...RUNNING, mode }, 1_000))), mode).toHaveLength(1)
    const cfg = { modes: ['normal', 'emergency_power'] }
    expect(raised(drive(runtimeLimit, beats(0, 60_000, { ...RUNNING, mode: 'emergency_power' }, 1_000), { config: cfg }))).toHaveLength(1)
  })

  it('never raises from stale data', () => {
    expect(drive(runtimeLimit, [tele(0, RUNNING)])).toEqual([])
    expect(drive(runtimeLimit, [...beats(0, 20_000, RUNNING, 1_000), availability(20_000, 'offline')])).toEqual([])
    // data back at 100 s, still moving: it may have stopped in between, so a new trip from then
    const out = drive(runtimeLimit, [tele(0, RUNNING), ...beats(100_000, 200_000, RUNNING, 1_000)])
    expect(raised(out)).toMatchObject([{ frame: 145_000, signal: { at: T0 + 100_000 } }])
  })

  it('a car that keeps overrunning short trips for minutes is one alarm', () => {
    const inputs: DetectorInput[] = []
    for (let ms = 0; ms < 300_000; ms += 7_000) inputs.push(...beats(ms, ms + 5_000, RUNNING, 500), tele(ms + 5_000, STOPPED))
    const events = driveAlarms(runtimeLimit, inputs, { facts: null, config: { maxTripMs: 2_000 } })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('runtime_limit.yaml: raised 45 s after the car set off, cleared when it finally levels', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'runtime_limit.yaml'))
    const inputs = scenarioInputs(sc)
    const start = inputs.find((i) => i.kind === 'telemetry' && i.msg.moving)!.ts - T0
    const out = drive(runtimeLimit, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', start + 45_000], ['cleared', out[1]?.frame]])
    expect(out[0]!.signal.at).toBe(T0 + start)
    expect(out[1]!.frame).toBeGreaterThanOrEqual(100_000)
  })

  describe('scenarios: raised exactly where the scenario lists it', () => {
    for (const sc of scenariosFor('runtime_limit')) it(sc.name, () => expect(raisesIn(runtimeLimit, sc)).toHaveLength(sc.alarms.includes('runtime_limit') ? 1 : 0))
  })
})
