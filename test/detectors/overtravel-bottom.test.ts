import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { overtravelBottom } from '../../detectors/overtravel-bottom.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

// FACTS: the lowest landing, B1, is 0 m
const BOTTOM = { floor: 'B1', floorIndex: 0, position: 0 }
const LIMIT = { ...BOTTOM, position: -0.5, downLimit: true, safetyCircuit: false, doorZone: false }

describe('overtravel-bottom', () => {
  it('raised on the first sample with the down final limit acted, not before', () => {
    const out = drive(overtravelBottom, [...beats(0, 10_000, BOTTOM, 100), ...beats(10_000, 60_000, LIMIT)])
    expect(raised(out).map((e) => e.frame)).toEqual([10_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'overtravel_bottom', at: T0 + 10_000, evidence: { downLimit: true, position: -0.5 } })
  })

  it('or with the car more than 0.15 m below the lowest landing (limit switch not reported)', () => {
    expect(drive(overtravelBottom, beats(0, 30_000, { ...BOTTOM, position: -0.15 }))).toEqual([])
    const out = drive(overtravelBottom, beats(0, 30_000, { ...BOTTOM, position: -0.16 }))
    expect(raised(out)).toMatchObject([{ frame: 0, signal: { evidence: { downLimit: false, position: -0.16, toleranceM: 0.15 } } }])
    expect(raised(drive(overtravelBottom, beats(0, 30_000, { ...BOTTOM, position: -0.1 }), { config: { toleranceM: 0.05 } }))).toHaveLength(1)
  })

  it('needs no registry facts (positions count from the lowest landing)', () => {
    expect(raised(drive(overtravelBottom, beats(0, 30_000, { ...BOTTOM, position: -0.3 }), { facts: null }))).toHaveLength(1)
  })

  it('the up limit and an unknown position are not this alarm', () => {
    expect(drive(overtravelBottom, beats(0, 30_000, { floor: '12', floorIndex: 12, position: 37.5, upLimit: true }))).toEqual([])
    expect(drive(overtravelBottom, beats(0, 30_000, { ...BOTTOM, position: null }))).toEqual([])
  })

  it('clears when the limit is reset and the car is back at the landing', () => {
    const out = drive(overtravelBottom, [...beats(0, 30_000, LIMIT), tele(30_000, { ...LIMIT, downLimit: false }), ...beats(40_000, 60_000, BOTTOM)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 40_000]])
    expect(cleared(out)[0]!.signal).toMatchObject({ at: T0 + 40_000, evidence: { downLimit: false, position: 0 } })
  })

  it('not in inspection or maintenance (final limits are tested then); watched under fire service; modes are configuration', () => {
    for (const mode of ['inspection', 'maintenance'] as const) expect(drive(overtravelBottom, beats(0, 60_000, { ...LIMIT, mode })), mode).toEqual([])
    for (const mode of ['fire', 'earthquake', 'unknown'] as const) expect(raised(drive(overtravelBottom, beats(0, 60_000, { ...LIMIT, mode }))), mode).toHaveLength(1)
    expect(drive(overtravelBottom, beats(0, 60_000, { ...LIMIT, mode: 'fire' }), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('a chattering limit switch is one alarm, not one per flicker', () => {
    const inputs = Array.from({ length: 120 }, (_, k) => tele(k * 5_000, k % 2 ? BOTTOM : LIMIT))
    const events = driveAlarms(overtravelBottom, inputs, { until: 900_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('never raises nor clears from stale data', () => {
    expect(drive(overtravelBottom, [tele(0, LIMIT)], { config: { holdMs: 40_000 } })).toEqual([])
    expect(drive(overtravelBottom, [tele(0, LIMIT), availability(1_000, 'offline')], { config: { holdMs: 5_000 } })).toEqual([])
    const out = drive(overtravelBottom, [tele(0, LIMIT), availability(5_000, 'offline'), tele(600_000, BOTTOM)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 600_000]])
  })

  it('overtravel_bottom.yaml: raised when the car passes the final limit and not cleared (it rests on the buffer)', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'overtravel_bottom.yaml'))
    const inputs = scenarioInputs(sc)
    const acted = inputs.find((i) => i.kind === 'telemetry' && i.msg.downLimit)!.ts - T0
    const out = drive(overtravelBottom, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', acted]])
    expect(out[0]!.signal.evidence).toMatchObject({ downLimit: true })
  })

  it('every scenario: overtravel_bottom exactly where the scenario lists it', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('overtravel_bottom')) continue
      const out = drive(overtravelBottom, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
      expect(raised(out).length > 0, file).toBe(sc.alarms.includes('overtravel_bottom'))
    }
  }, 60_000)
})
