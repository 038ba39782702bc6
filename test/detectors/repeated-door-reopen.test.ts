import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { repeatedDoorReopen } from '../../detectors/repeated-door-reopen.ts'
import type { DetectorInput } from '../../detectors/index.ts'
import type { ControllerState } from '../../protocol/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

const TRIP: Partial<ControllerState> = { moving: true, speed: 1.5, direction: 'up', doorZone: false }

/** `n` full door cycles from `from`, one every 10 s: opening, open, closing, closed. */
function cycles(n: number, from: number, extra: Partial<ControllerState> = {}): DetectorInput[] {
  const out: DetectorInput[] = []
  for (let k = 0; k < n; k++) {
    const at = from + k * 10_000
    out.push(tele(at, { ...extra, door: 'opening' }), tele(at + 2_500, { ...extra, door: 'open' }),
      tele(at + 5_500, { ...extra, door: 'closing' }), tele(at + 8_500, { ...extra, door: 'closed' }))
  }
  return out
}
/** the car idle, door closed, before the cycles (from 1 s) */
const start = (extra: Partial<ControllerState> = {}) => tele(0, extra)

describe('repeated-door-reopen', () => {
  it('19 cycles without a trip: nothing; the 20th raises at once; the next trip clears', () => {
    expect(drive(repeatedDoorReopen, [start(), ...cycles(19, 1_000), ...beats(200_000, 600_000, {})])).toEqual([])
    const out = drive(repeatedDoorReopen, [start(), ...cycles(25, 1_000), tele(260_000, TRIP), tele(265_000, {})])
    expect(raised(out).map((e) => e.frame)).toEqual([191_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'repeated_door_reopen', at: T0 + 191_000, evidence: { cycles: 20, firstCycleAt: T0 + 1_000, thresholdMs: 0 } })
    expect(cleared(out)).toMatchObject([{ frame: 260_000, signal: { at: T0 + 260_000 } }])
  })

  it('a trip resets the count; re-levelling is no trip', () => {
    expect(drive(repeatedDoorReopen, [start(), ...cycles(15, 1_000), tele(150_000, TRIP), tele(155_000, {}), ...cycles(15, 160_000)])).toEqual([])
    const relevel = [start(), ...cycles(15, 1_000), tele(150_000, { moving: true, speed: 0.05 }), tele(151_000, {}), ...cycles(5, 160_000)]
    expect(raised(drive(repeatedDoorReopen, relevel)).map((e) => e.frame)).toEqual([200_000])
  })

  it('a door reversing without ever closing is no cycle (door_close_fault)', () => {
    const inputs: DetectorInput[] = [start(), tele(0, { door: 'open' })]
    for (let at = 1_000; at < 300_000; at += 4_000) inputs.push(tele(at, { door: 'closing' }), tele(at + 1_500, { door: 'opening' }), tele(at + 2_500, { door: 'open' }))
    expect(drive(repeatedDoorReopen, inputs)).toEqual([])
  })

  it('the number of cycles is configuration', () => {
    expect(raised(drive(repeatedDoorReopen, [start(), ...cycles(10, 1_000)], { config: { cycles: 10 } })).map((e) => e.frame)).toEqual([91_000])
  })

  it('is not watched where technicians or the special modes run the door, and modes are configuration', () => {
    for (const mode of ['inspection', 'maintenance', 'fire', 'fireman', 'emergency_power', 'earthquake'] as const) {
      expect(drive(repeatedDoorReopen, [start({ mode }), ...cycles(30, 1_000, { mode })]), mode).toEqual([])
    }
    expect(raised(drive(repeatedDoorReopen, [start({ mode: 'fireman' }), ...cycles(20, 1_000, { mode: 'fireman' })], { config: { modes: ['fireman'] } }))).toHaveLength(1)
    // cycles a technician ran do not count once the car is back in normal service
    expect(drive(repeatedDoorReopen, [start({ mode: 'maintenance' }), ...cycles(15, 1_000, { mode: 'maintenance' }), ...cycles(10, 150_000)])).toEqual([])
  })

  it('never raises from stale data: a trip may hide in a gap', () => {
    expect(drive(repeatedDoorReopen, [start(), ...cycles(15, 1_000), ...cycles(10, 190_000)])).toEqual([])
  })

  it('a raised alarm stands across a gap in the data until a trip is seen', () => {
    const out = drive(repeatedDoorReopen, [start(), ...cycles(20, 1_000), ...beats(240_000, 300_000, {}), tele(300_000, TRIP)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 191_000], ['cleared', 300_000]])
  })

  it('flapping: a chattering door contact and short trips, over and over for minutes, is ONE alarm', () => {
    const inputs: DetectorInput[] = [start()]
    for (let round = 0; round < 12; round++) {
      const at = 1_000 + round * 30_000
      // the contact chatters closed/opening every half second; then a 5 s trip
      for (let k = 0; k < 20; k++) inputs.push(tele(at + k * 1_000, { door: 'opening' }), tele(at + k * 1_000 + 500, { door: 'closed' }))
      inputs.push(tele(at + 22_000, TRIP), tele(at + 27_000, {}))
    }
    expect(raised(drive(repeatedDoorReopen, inputs, { until: 400_000 })).length).toBeGreaterThan(5)
    const events = driveAlarms(repeatedDoorReopen, inputs, { until: 400_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('repeated_door_reopen.yaml: raised as the door leaves closed the 20th time', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'repeated_door_reopen.yaml'))
    const inputs = scenarioInputs(sc)
    const opened = inputs.filter((i, k) => {
      const p = inputs[k - 1]
      return k > 0 && i.kind === 'telemetry' && p?.kind === 'telemetry' && p.msg.door === 'closed' && i.msg.door !== 'closed'
    })
    expect(opened.length).toBeGreaterThanOrEqual(20)
    const out = drive(repeatedDoorReopen, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out).toMatchObject([{ frame: opened[19]!.ts - T0, signal: { state: 'raised', evidence: { cycles: 20, floor: '1' } } }])
  })

  describe('every scenario: raised exactly where its alarms list repeated_door_reopen', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('repeated_door_reopen')) continue
      it(file, () => {
        const out = drive(repeatedDoorReopen, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
        expect(raised(out).length > 0).toBe(sc.alarms.includes('repeated_door_reopen'))
      }, 60_000)
    }
  })
})
