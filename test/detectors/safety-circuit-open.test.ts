import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { DetectorInput } from '../../detectors/index.ts'
import { safetyCircuitOpen } from '../../detectors/safety-circuit-open.ts'
import { SCENARIO_DIR, loadScenario, runScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele, raisesIn, scenariosFor } from './harness.ts'

const RUNNING = { moving: true, speed: 1.75, direction: 'up' as const, doorZone: false, floor: '3', position: 9 }
/** the chain has opened: the brake dropped and the car stands between floors */
const OPEN = { safetyCircuit: false, moving: false, speed: 0, direction: 'none' as const, doorZone: false, floor: '3', position: 9.2, faultCode: 21 }

/** a trip from 0 to 5 s, the chain open from 5 s to `closeAt`, then closed */
const trip = (closeAt = 40_000, mode: 'normal' | 'inspection' | 'fire' = 'normal'): DetectorInput[] => [
  ...beats(0, 5_000, { ...RUNNING, mode }, 100), ...beats(5_000, closeAt, { ...OPEN, mode }), tele(closeAt, { ...OPEN, safetyCircuit: true, mode }),
]

describe('safety-circuit-open', () => {
  it('raises at once when the chain opens during a trip, even if the car is already stopped in that sample', () => {
    const out = drive(safetyCircuitOpen, trip())
    expect(raised(out).map((e) => e.frame)).toEqual([5_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'safety_circuit_open', at: T0 + 5_000,
      evidence: { openedAt: T0 + 5_000, tripSpeed: 1.75, direction: 'up', moving: false, doorZone: false, faultCode: 21, thresholdMs: 0 },
    })
    // nothing before the chain opens
    expect(drive(safetyCircuitOpen, beats(0, 60_000, RUNNING, 100))).toEqual([])
  })

  it('raises when the chain opens while the car still moves (overtravel onto the buffer)', () => {
    const out = drive(safetyCircuitOpen, [...beats(0, 3_000, RUNNING, 100), tele(3_000, { ...RUNNING, safetyCircuit: false, speed: 0.8, upLimit: true })])
    expect(raised(out)).toMatchObject([{ frame: 3_000, signal: { evidence: { moving: true, tripSpeed: 0.8, upLimit: true } } }])
  })

  it('clears when the chain closes again', () => {
    const out = drive(safetyCircuitOpen, trip(40_000))
    expect(cleared(out).map((e) => [e.frame, e.signal.at])).toEqual([[40_000, T0 + 40_000]])
    expect(cleared(out)[0]!.signal.evidence).toMatchObject({ safetyCircuit: true })
  })

  it('a chain opening at rest is not this fault', () => {
    expect(drive(safetyCircuitOpen, [...beats(0, 60_000, { floor: '3', position: 9 }), ...beats(60_000, 120_000, { ...OPEN, doorZone: true })])).toEqual([])
    // a trip that ended longer ago than the grace
    const after = [...beats(0, 5_000, RUNNING, 100), ...beats(5_000, 7_100, { ...RUNNING, moving: false, speed: 0, doorZone: true }, 100), tele(7_100, OPEN)]
    expect(drive(safetyCircuitOpen, after)).toEqual([])
    // within the grace: the stop and the open chain were read a poll apart
    const skew = [...beats(0, 5_000, RUNNING, 100), tele(5_000, { ...RUNNING, moving: false, speed: 0 }), tele(5_500, OPEN)]
    expect(raised(drive(safetyCircuitOpen, skew)).map((e) => [e.frame, e.signal.at])).toEqual([[5_500, T0 + 5_500]])
    expect(drive(safetyCircuitOpen, skew, { config: { tripGraceMs: 0 } })).toEqual([])
  })

  it('re-levelling is no trip', () => {
    const relevel = { moving: true, speed: 0.05, doorZone: true, door: 'open' as const }
    expect(drive(safetyCircuitOpen, [...beats(0, 3_000, relevel, 100), tele(3_000, { ...OPEN, doorZone: true, door: 'open' })])).toEqual([])
  })

  it('an opening in inspection or maintenance is the technician (stop switch), even after the mode changes back', () => {
    expect(drive(safetyCircuitOpen, trip(40_000, 'inspection'))).toEqual([])
    const handedBack = [...beats(0, 5_000, { ...RUNNING, mode: 'inspection' }, 100), ...beats(5_000, 20_000, { ...OPEN, mode: 'inspection' }), ...beats(20_000, 40_000, OPEN)]
    expect(drive(safetyCircuitOpen, handedBack)).toEqual([])
    expect(raised(drive(safetyCircuitOpen, trip(40_000, 'fire')))).toHaveLength(1)
    expect(drive(safetyCircuitOpen, trip(40_000, 'fire'), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('never raises from a trip seen before a gap in the data', () => {
    // the last trip sample 60 s before the chain was seen open: it may have stopped long before
    expect(drive(safetyCircuitOpen, [tele(0, RUNNING), tele(60_000, OPEN)])).toEqual([])
    expect(drive(safetyCircuitOpen, [tele(0, RUNNING), availability(100, 'offline'), tele(45_000, OPEN)])).toEqual([])
  })

  it('a chain opening and closing on every trip for minutes is one alarm', () => {
    const inputs: DetectorInput[] = []
    for (let ms = 0; ms < 300_000; ms += 8_000) {
      inputs.push(...beats(ms, ms + 4_000, RUNNING, 200), ...beats(ms + 4_000, ms + 8_000, OPEN, 1_000))
    }
    const events = driveAlarms(safetyCircuitOpen, inputs)
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('safety_circuit_open.yaml: raised when the chain opens mid-trip, cleared at the reset', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'safety_circuit_open.yaml'))
    const frames = [...runScenario(sc)]
    const opened = Math.round(frames.find((f) => !f.state.safetyCircuit)!.t * 1000)
    const closed = Math.round(frames.find((f) => f.t > opened / 1000 && f.state.safetyCircuit)!.t * 1000)
    const out = drive(safetyCircuitOpen, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', opened], ['cleared', closed]])
    expect(out[0]!.signal.evidence).toMatchObject({ moving: false, doorZone: false, faultCode: 21, direction: 'up' })
  })

  describe('scenarios: raised exactly where the scenario lists it', () => {
    for (const sc of scenariosFor('safety_circuit_open')) it(sc.name, () => expect(raisesIn(safetyCircuitOpen, sc)).toHaveLength(sc.alarms.includes('safety_circuit_open') ? 1 : 0))
  })
})
