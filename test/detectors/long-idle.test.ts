import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { onTrip } from '../../detectors/runtime/stop.ts'
import { longIdle } from '../../detectors/long-idle.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

const H = 3_600_000
const DAY = 24 * H
const TRIP = { moving: true, speed: 1.75, direction: 'up' as const, doorZone: false }
const AT5 = { floor: '5', floorIndex: 5, position: 16 }

describe('long-idle', () => {
  it('raised 24 h after the last trip ended, not before', () => {
    const out = drive(longIdle, [...beats(0, 10_000, TRIP, 1_000), ...beats(10_000, 26 * H, AT5)], { until: 26 * H })
    expect(raised(out)).toMatchObject([{ frame: 10_000 + DAY, signal: { type: 'long_idle', at: T0 + 10_000, evidence: { idleSince: T0 + 10_000, thresholdMs: DAY } } }])
    // a trip 100 ms before the day is up
    const late = [...beats(0, 10_000, TRIP, 1_000), ...beats(10_000, DAY + 9_900, AT5), tele(DAY + 9_900, TRIP), ...beats(DAY + 15_000, DAY + H, AT5)]
    expect(drive(longIdle, late, { until: DAY + H })).toEqual([])
  })

  it('counts from the first sample when it has seen no trip', () => {
    expect(raised(drive(longIdle, beats(0, 25 * H), { until: 25 * H })).map((e) => e.frame)).toEqual([DAY])
  })

  it('clears with the next trip', () => {
    const out = drive(longIdle, [...beats(0, 25 * H), tele(25 * H, TRIP), ...beats(25 * H + 10_000, 26 * H, AT5)], { until: 26 * H })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', DAY], ['cleared', 25 * H]])
    expect(cleared(out)[0]!.signal).toMatchObject({ at: T0 + 25 * H, evidence: { moving: true } })
  })

  it('re-levelling at a landing is no trip', () => {
    const relevel = { moving: true, speed: 0.05, doorZone: true }
    const out = drive(longIdle, [...beats(0, 12 * H), tele(12 * H, relevel), ...beats(12 * H + 2_000, 25 * H)], { until: 25 * H })
    expect(raised(out).map((e) => e.frame)).toEqual([DAY])
  })

  it('only normal service counts: not in inspection, fire or out_of_service, and the count starts again on return', () => {
    for (const mode of ['inspection', 'maintenance', 'fire', 'out_of_service'] as const) {
      expect(drive(longIdle, beats(0, 30 * H, { mode }), { until: 30 * H }), mode).toEqual([])
    }
    const back = drive(longIdle, [...beats(0, 20 * H, { mode: 'out_of_service' }), ...beats(20 * H, 45 * H)], { until: 45 * H })
    expect(raised(back).map((e) => e.frame)).toEqual([20 * H + DAY])
    expect(raised(drive(longIdle, beats(0, 25 * H, { mode: 'fire' }), { until: 25 * H, config: { modes: ['normal', 'fire'] } }))).toHaveLength(1)
  })

  it('threshold is configuration', () => {
    expect(raised(drive(longIdle, beats(0, 3 * H), { until: 3 * H, config: { maxIdleMs: 2 * H } })).map((e) => e.frame)).toEqual([2 * H])
  })

  it('a short gap in the data does not restart the count; a car found at another landing after one has run', () => {
    const gap = drive(longIdle, [...beats(0, 12 * H), ...beats(12 * H + 60_000, 25 * H)], { until: 25 * H })
    expect(raised(gap)).toMatchObject([{ frame: DAY, signal: { at: T0 } }])
    const moved = drive(longIdle, [...beats(0, 12 * H), ...beats(12 * H + 60_000, 25 * H, AT5)], { until: 25 * H })
    expect(moved).toEqual([])
  })

  it('never raises from stale data: silent when the day is up, raised by the first fresh sample after', () => {
    expect(drive(longIdle, [tele(0)], { until: 25 * H })).toEqual([])
    expect(drive(longIdle, [...beats(0, 20 * H), availability(20 * H, 'offline')], { until: 25 * H })).toEqual([])
    const out = drive(longIdle, [...beats(0, 23 * H), ...beats(25 * H, 26 * H)], { until: 26 * H })
    expect(raised(out)).toMatchObject([{ frame: 25 * H, signal: { at: T0 } }])
  })

  it('trips every few seconds after the alarm are one alarm cleared, not re-raised', () => {
    const inputs = [...beats(0, 25 * H), ...Array.from({ length: 120 }, (_, k) => tele(25 * H + k * 5_000, k % 2 ? {} : TRIP))]
    const events = driveAlarms(longIdle, inputs, { until: 26 * H })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('long_idle.yaml: raised 24 h after the one trip to 5 ended', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'long_idle.yaml'))
    const inputs = scenarioInputs(sc)
    // the trip ends where the car slows into the door zone of 5 (the approach is levelling, not travel)
    const stopped = inputs.find((i) => i.kind === 'telemetry' && i.ts > T0 + 2_000 && !onTrip(i.msg))!.ts - T0
    const out = drive(longIdle, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out).toMatchObject([{ frame: stopped + DAY, signal: { state: 'raised', at: T0 + stopped, evidence: { floor: '5' } } }])
  })

  it('every scenario (the long ones of other types skipped): long_idle exactly where the scenario lists it', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('long_idle')) continue
      const out = drive(longIdle, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
      expect(raised(out).length > 0, file).toBe(sc.alarms.includes('long_idle'))
    }
  }, 60_000)
})
