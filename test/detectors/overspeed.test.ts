import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { DetectorInput } from '../../detectors/index.ts'
import { overspeed } from '../../detectors/overspeed.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele, raisesIn, scenariosFor } from './harness.ts'

// the default car is rated 1.75 m/s: warning above 1.925 m/s, critical from 2.0125 m/s
const AT = (speed: number) => ({ moving: true, speed, direction: 'down' as const, doorZone: false, floor: '6', position: 20 })
const GRIPPED = { moving: false, speed: 0, direction: 'none' as const, doorZone: false, floor: '6', position: 19.8, safetyCircuit: false, faultCode: 51 }

describe('overspeed', () => {
  it('above ×1.10 raises after a 1 s debounce at level warning, not before', () => {
    expect(drive(overspeed, [tele(0, AT(1.95)), tele(900, AT(1.75))])).toEqual([])
    expect(drive(overspeed, beats(0, 60_000, AT(1.92), 200))).toEqual([])
    const out = drive(overspeed, [...beats(0, 3_000, AT(1.95), 200), tele(3_000, AT(1.75))])
    expect(raised(out).map((e) => e.frame)).toEqual([1_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'overspeed', at: T0, evidence: { level: 'warning', speed: 1.95, peakSpeed: 1.95, ratedSpeed: 1.75, thresholdMs: 1_000 },
    })
  })

  it('at ×1.15 (the governor tripping speed) raises at once at level critical', () => {
    const out = drive(overspeed, [tele(0, AT(1.8)), tele(500, AT(2.05)), tele(600, AT(1.8))])
    expect(raised(out)).toMatchObject([{ frame: 500, signal: { at: T0 + 500, evidence: { level: 'critical', speed: 2.05, thresholdMs: 0 } } }])
  })

  it('clears when the speed is back under ×1.10, with the peak of the run', () => {
    const out = drive(overspeed, [tele(0, AT(1.95)), tele(1_500, AT(1.99)), tele(3_000, AT(1.96)), tele(4_000, AT(1.8))])
    expect(cleared(out).map((e) => [e.frame, e.signal.at])).toEqual([[4_000, T0 + 4_000]])
    expect(cleared(out)[0]!.signal.evidence).toMatchObject({ peakSpeed: 1.99, speed: 1.8 })
  })

  it('a warning that reaches ×1.15 is the same alarm, updated to level critical', () => {
    const inputs = [...beats(0, 3_000, AT(1.95), 200), tele(3_000, AT(2.1)), tele(3_200, AT(1.95)), tele(5_000, AT(1.7))]
    const out = drive(overspeed, inputs)
    expect(raised(out).map((e) => [e.frame, e.signal.evidence.level, e.signal.evidenceUpdate ?? false])).toEqual([[1_000, 'warning', false], [3_000, 'critical', true]])
    const events = driveAlarms(overspeed, inputs)
    const live = events.filter((e) => e.event.state === 'raised')
    expect(new Set(live.map((e) => e.event.id)).size).toBe(1)
    expect(live.at(-1)!.event.evidence).toMatchObject({ level: 'critical', peakSpeed: 2.1 })
  })

  it('a car stopping straight from above ×1.10 with the chain open is a governor trip: critical at once', () => {
    const out = drive(overspeed, [...beats(0, 600, AT(1.97), 200), tele(600, GRIPPED), ...beats(1_000, 30_000, GRIPPED), tele(30_000, { ...GRIPPED, safetyCircuit: true })])
    expect(raised(out)).toMatchObject([{ frame: 600, signal: { at: T0, evidence: { level: 'critical', governorTrip: true, peakSpeed: 1.97 } } }])
    expect(cleared(out).map((e) => e.frame)).toEqual([30_000])
    // slowing down first, or stopping with the chain closed, is no governor trip
    expect(drive(overspeed, [...beats(0, 600, AT(1.97), 200), tele(600, AT(1.5)), tele(700, GRIPPED)])).toEqual([])
    expect(drive(overspeed, [...beats(0, 600, AT(1.97), 200), tele(600, { ...GRIPPED, safetyCircuit: true })])).toEqual([])
  })

  it('needs the rated speed: the registry\'s, else a configured one, else no detection', () => {
    expect(drive(overspeed, beats(0, 10_000, AT(3), 200), { facts: null })).toEqual([])
    const own = drive(overspeed, beats(0, 10_000, AT(1.2), 200), { facts: null, config: { ratedSpeed: 1 } })
    expect(raised(own)).toMatchObject([{ frame: 0, signal: { evidence: { level: 'critical', ratedSpeed: 1 } } }])
    // the registry wins over configuration
    expect(drive(overspeed, beats(0, 10_000, AT(1.2), 200), { config: { ratedSpeed: 1 } })).toEqual([])
    expect(drive(overspeed, beats(0, 10_000, { ...AT(3), speed: null }, 200))).toEqual([])
  })

  it('factors and debounces are configuration', () => {
    const out = drive(overspeed, beats(0, 10_000, AT(1.85), 200), { config: { warningFactor: 1.05, warningHoldMs: 2_000 } })
    expect(raised(out).map((e) => [e.frame, e.signal.evidence.level])).toEqual([[2_000, 'warning']])
    const noisy = drive(overspeed, [tele(0, AT(2.5)), tele(200, AT(1.75))], { config: { criticalHoldMs: 500 } })
    expect(noisy).toEqual([])
  })

  it('watched in every mode but maintenance (governor and safety gear tests)', () => {
    expect(drive(overspeed, beats(0, 10_000, { ...AT(2.05), mode: 'maintenance' }, 200))).toEqual([])
    for (const mode of ['inspection', 'fire', 'fireman', 'emergency_power', 'earthquake', 'out_of_service', 'unknown'] as const) {
      expect(raised(drive(overspeed, beats(0, 10_000, { ...AT(2.05), mode }, 200))), mode).toHaveLength(1)
    }
    expect(drive(overspeed, beats(0, 10_000, { ...AT(2.05), mode: 'inspection' }, 200), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(overspeed, [tele(0, AT(1.95)), availability(500, 'offline')])).toEqual([])
    expect(drive(overspeed, [tele(0, AT(1.95))], { config: { warningHoldMs: 40_000 } })).toEqual([])
  })

  it('a speed hovering round ×1.10 for minutes is one alarm', () => {
    const inputs: DetectorInput[] = []
    for (let ms = 0; ms < 300_000; ms += 6_000) inputs.push(...beats(ms, ms + 3_000, AT(1.95), 200), ...beats(ms + 3_000, ms + 6_000, AT(1.9), 200))
    const events = driveAlarms(overspeed, inputs)
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('overspeed.yaml (113 %, under the governor): raised at level warning with the peak speed', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'overspeed.yaml'))
    const inputs = scenarioInputs(sc)
    const over = inputs.find((i) => i.kind === 'telemetry' && (i.msg.speed ?? 0) > 1.925)!.ts - T0
    const out = drive(overspeed, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => e.signal.state)).toEqual(['raised', 'cleared'])
    expect(out[0]).toMatchObject({ frame: over + 1_000, signal: { at: T0 + over, evidence: { level: 'warning' } } })
    expect(out[1]!.signal.evidence.peakSpeed).toBeCloseTo(1.75 * 1.13, 2)
  })

  describe('scenarios: raised exactly where the scenario lists it', () => {
    for (const sc of scenariosFor('overspeed')) it(sc.name, () => expect(raisesIn(overspeed, sc)).toHaveLength(sc.alarms.includes('overspeed') ? 1 : 0))
  })
})
