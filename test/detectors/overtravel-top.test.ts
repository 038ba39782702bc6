import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { overtravelTop } from '../../detectors/overtravel-top.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

// FACTS: the top landing, 12, is 37 m above the lowest
const TOP = { floor: '12', floorIndex: 12, position: 37 }
const LIMIT = { ...TOP, position: 37.5, upLimit: true, safetyCircuit: false, doorZone: false }

describe('overtravel-top', () => {
  it('raised on the first sample with the up final limit acted, not before', () => {
    const out = drive(overtravelTop, [...beats(0, 10_000, TOP), ...beats(10_000, 60_000, LIMIT)])
    expect(raised(out).map((e) => e.frame)).toEqual([10_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'overtravel_top', at: T0 + 10_000, evidence: { upLimit: true, position: 37.5, travel: 37 } })
    expect(drive(overtravelTop, beats(0, 10_000, TOP, 100))).toEqual([])
  })

  it('or with the car more than 0.15 m above the top landing (limit switch not reported)', () => {
    expect(drive(overtravelTop, beats(0, 30_000, { ...TOP, position: 37.15 }))).toEqual([])
    const out = drive(overtravelTop, beats(0, 30_000, { ...TOP, position: 37.16 }))
    expect(raised(out)).toMatchObject([{ frame: 0, signal: { evidence: { upLimit: false, position: 37.16, toleranceM: 0.15 } } }])
    expect(raised(drive(overtravelTop, beats(0, 30_000, { ...TOP, position: 37.1 }), { config: { toleranceM: 0.05 } }))).toHaveLength(1)
  })

  it('without a registered travel only the limit switch tells', () => {
    expect(drive(overtravelTop, beats(0, 30_000, { ...TOP, position: 40 }), { facts: null })).toEqual([])
    expect(raised(drive(overtravelTop, beats(0, 30_000, LIMIT), { facts: null }))).toHaveLength(1)
  })

  it('the down limit and a car at the bottom are not this alarm', () => {
    expect(drive(overtravelTop, beats(0, 30_000, { position: -0.5, downLimit: true }))).toEqual([])
  })

  it('clears when the limit is reset and the car is back at the landing', () => {
    const out = drive(overtravelTop, [...beats(0, 30_000, LIMIT), tele(30_000, { ...LIMIT, upLimit: false }), ...beats(40_000, 60_000, TOP)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 40_000]])
    expect(cleared(out)[0]!.signal).toMatchObject({ at: T0 + 40_000, evidence: { upLimit: false, position: 37 } })
  })

  it('not in inspection or maintenance (final limits are tested then); watched under fire service; modes are configuration', () => {
    for (const mode of ['inspection', 'maintenance'] as const) expect(drive(overtravelTop, beats(0, 60_000, { ...LIMIT, mode })), mode).toEqual([])
    for (const mode of ['fire', 'emergency_power', 'unknown'] as const) expect(raised(drive(overtravelTop, beats(0, 60_000, { ...LIMIT, mode }))), mode).toHaveLength(1)
    expect(drive(overtravelTop, beats(0, 60_000, { ...LIMIT, mode: 'fire' }), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('a chattering limit switch is one alarm, not one per flicker', () => {
    const inputs = Array.from({ length: 120 }, (_, k) => tele(k * 5_000, k % 2 ? TOP : LIMIT))
    const events = driveAlarms(overtravelTop, inputs, { until: 900_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('never raises nor clears from stale data', () => {
    expect(drive(overtravelTop, [tele(0, LIMIT)], { config: { holdMs: 40_000 } })).toEqual([])
    expect(drive(overtravelTop, [tele(0, LIMIT), availability(1_000, 'offline')], { config: { holdMs: 5_000 } })).toEqual([])
    const out = drive(overtravelTop, [tele(0, LIMIT), availability(5_000, 'offline'), tele(600_000, TOP)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 600_000]])
  })

  it('overtravel_top.yaml: raised when the car passes the final limit and not cleared (it rests on the buffer)', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'overtravel_top.yaml'))
    const inputs = scenarioInputs(sc)
    const acted = inputs.find((i) => i.kind === 'telemetry' && i.msg.upLimit)!.ts - T0
    const out = drive(overtravelTop, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', acted]])
    expect(out[0]!.signal.evidence).toMatchObject({ upLimit: true, travel: 37 })
  })

  it('every scenario: overtravel_top exactly where the scenario lists it', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('overtravel_top')) continue
      const out = drive(overtravelTop, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
      expect(raised(out).length > 0, file).toBe(sc.alarms.includes('overtravel_top'))
    }
  }, 60_000)
})
