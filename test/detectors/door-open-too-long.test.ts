import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { doorOpenTooLong } from '../../detectors/door-open-too-long.ts'
import type { DetectorInput } from '../../detectors/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

const OPEN = { door: 'open' } as const
const CLOSED = { door: 'closed' } as const

describe('door-open-too-long', () => {
  it('door open 120 s while stopped: nothing at 119.9 s, raised at exactly 120 s, cleared when it closes', () => {
    expect(drive(doorOpenTooLong, [tele(0, OPEN), ...beats(10_000, 119_900, OPEN), tele(119_900, CLOSED)])).toEqual([])
    const out = drive(doorOpenTooLong, [...beats(0, 200_000, OPEN), tele(200_000, CLOSED)])
    expect(raised(out).map((e) => e.frame)).toEqual([120_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'door_open_too_long', at: T0, evidence: { door: 'open', thresholdMs: 120_000, floor: '1' } })
    expect(cleared(out)).toMatchObject([{ frame: 200_000, signal: { at: T0 + 200_000, evidence: { door: 'closed' } } }])
  })

  it('a door that tries to close against a trolley and reopens is still not closed', () => {
    const inputs: DetectorInput[] = []
    for (let at = 0; at < 200_000; at += 10_000) {
      inputs.push(tele(at, OPEN), tele(at + 4_000, { door: 'closing' }), tele(at + 5_000, { door: 'opening' }))
    }
    expect(raised(drive(doorOpenTooLong, inputs)).map((e) => [e.frame, e.signal.at])).toEqual([[120_000, T0]])
  })

  it('re-levelling with the door open is part of the stop', () => {
    const out = drive(doorOpenTooLong, [...beats(0, 60_000, OPEN), tele(60_000, { ...OPEN, moving: true, speed: 0.05 }), ...beats(62_000, 200_000, OPEN)])
    expect(raised(out).map((e) => e.frame)).toEqual([120_000])
  })

  it('a door not closed on a trip is another alarm; an unknown door is no evidence', () => {
    expect(drive(doorOpenTooLong, beats(0, 300_000, { ...OPEN, moving: true, speed: 1.5, doorZone: false }, 1_000), { until: 300_000 })).toEqual([])
    expect(drive(doorOpenTooLong, beats(0, 300_000, { door: 'unknown' }))).toEqual([])
  })

  it('hold time is configuration', () => {
    expect(raised(drive(doorOpenTooLong, beats(0, 200_000, OPEN), { config: { holdMs: 60_000 } })).map((e) => e.frame)).toEqual([60_000])
  })

  it('is not watched where the door is parked open on purpose or a technician holds it', () => {
    for (const mode of ['inspection', 'maintenance', 'fire', 'fireman', 'emergency_power', 'earthquake', 'out_of_service'] as const) {
      expect(drive(doorOpenTooLong, beats(0, 600_000, { ...OPEN, mode }), { until: 600_000 }), mode).toEqual([])
    }
    expect(raised(drive(doorOpenTooLong, beats(0, 200_000, { ...OPEN, mode: 'out_of_service' }), { config: { modes: ['out_of_service'] } }))).toHaveLength(1)
    // back to normal: the count starts then
    const out = drive(doorOpenTooLong, [...beats(0, 100_000, { ...OPEN, mode: 'fire' }), ...beats(100_000, 300_000, OPEN)])
    expect(raised(out).map((e) => e.frame)).toEqual([220_000])
  })

  it('never raises from stale data', () => {
    expect(drive(doorOpenTooLong, [tele(0, OPEN)])).toEqual([])
    expect(drive(doorOpenTooLong, [...beats(0, 100_000, OPEN), availability(100_000, 'offline')])).toEqual([])
    // a 40 s gap: the count starts again from the first fresh sample
    const out = drive(doorOpenTooLong, [...beats(0, 60_000, OPEN), ...beats(90_000, 300_000, OPEN)])
    expect(raised(out)).toMatchObject([{ frame: 210_000, signal: { at: T0 + 90_000 } }])
  })

  it('a raised alarm stands across a gap in the data until the door is seen closed', () => {
    const out = drive(doorOpenTooLong, [...beats(0, 130_000, OPEN), availability(130_000, 'offline'), ...beats(200_000, 250_000, OPEN), tele(250_000, CLOSED)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 120_000], ['cleared', 250_000]])
  })

  it('flapping: a held door that then keeps closing and reopening every few seconds is ONE alarm', () => {
    const inputs: DetectorInput[] = [...beats(0, 125_000, OPEN)]
    for (let at = 125_000; at < 900_000; at += 8_000) inputs.push(tele(at, CLOSED), tele(at + 3_000, { door: 'opening' }), tele(at + 5_000, OPEN))
    const events = driveAlarms(doorOpenTooLong, inputs, { until: 900_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('door_open_too_long.yaml: raised 120 s after the door left closed, cleared when it closes', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'door_open_too_long.yaml'))
    const inputs = scenarioInputs(sc)
    const door = (want: (d: string) => boolean, after: number) =>
      inputs.find((i) => i.kind === 'telemetry' && want(i.msg.door) && i.ts >= T0 + after)!.ts - T0
    const left = door((d) => d !== 'closed', 0)
    const closed = door((d) => d === 'closed', left)
    const out = drive(doorOpenTooLong, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', left + 120_000], ['cleared', closed]])
  })

  describe('every scenario: raised exactly where its alarms list door_open_too_long', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('door_open_too_long')) continue
      it(file, () => {
        const out = drive(doorOpenTooLong, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
        expect(raised(out).length > 0).toBe(sc.alarms.includes('door_open_too_long'))
      }, 60_000)
    }
  })
})
