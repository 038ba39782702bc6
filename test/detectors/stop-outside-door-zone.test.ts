import { describe, expect, it } from 'vitest'
import type { DetectorInput } from '../../detectors/index.ts'
import { stopOutsideDoorZone } from '../../detectors/stop-outside-door-zone.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, raised, tele, raisesIn, scenariosFor } from './harness.ts'

/** stopped between floors 3 and 4, door closed, nobody inside */
const BETWEEN = { floor: '3', floorIndex: 2, position: 10.5, doorZone: false, occupied: false }

describe('stop-outside-door-zone', () => {
  it('raises 45 s after the car stopped outside the door zone, not before', () => {
    expect(drive(stopOutsideDoorZone, [...beats(0, 44_900, BETWEEN, 5_000), tele(44_900, { ...BETWEEN, moving: true, speed: 0.5 })])).toEqual([])
    const out = drive(stopOutsideDoorZone, beats(0, 120_000, BETWEEN))
    expect(raised(out).map((e) => e.frame)).toEqual([45_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'stop_outside_door_zone', at: T0, evidence: { thresholdMs: 45_000, position: 10.5, door: 'closed', occupied: false, mode: 'normal' },
    })
  })

  it('clears when the car moves on or is found in the door zone', () => {
    const moved = drive(stopOutsideDoorZone, [...beats(0, 60_000, BETWEEN), tele(60_000, { ...BETWEEN, moving: true, speed: 0.3 })])
    expect(cleared(moved).map((e) => [e.frame, e.signal.at])).toEqual([[60_000, T0 + 60_000]])
    const levelled = drive(stopOutsideDoorZone, [...beats(0, 60_000, BETWEEN), ...beats(60_000, 90_000, { floor: '4', position: 12 })])
    expect(levelled.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 45_000], ['cleared', 60_000]])
  })

  it('a car standing at a landing (in the door zone) is no alarm, nor is one on its way', () => {
    expect(drive(stopOutsideDoorZone, beats(0, 600_000, { floor: '4', position: 12 }), { until: 600_000 })).toEqual([])
    expect(drive(stopOutsideDoorZone, beats(0, 120_000, { ...BETWEEN, moving: true, speed: 1.75 }, 1_000))).toEqual([])
  })

  it('inspection and maintenance stops between floors are exempt; the emergency modes are watched', () => {
    for (const mode of ['inspection', 'maintenance'] as const) {
      expect(drive(stopOutsideDoorZone, beats(0, 600_000, { ...BETWEEN, mode }), { until: 600_000 }), mode).toEqual([])
    }
    for (const mode of ['fire', 'fireman', 'emergency_power', 'earthquake'] as const) {
      expect(raised(drive(stopOutsideDoorZone, beats(0, 60_000, { ...BETWEEN, mode }))).map((e) => e.frame), mode).toEqual([45_000])
    }
    // the technician hands the car back between floors: the count starts then
    const back = drive(stopOutsideDoorZone, [...beats(0, 100_000, { ...BETWEEN, mode: 'inspection' }), ...beats(100_000, 200_000, BETWEEN)])
    expect(raised(back).map((e) => e.frame)).toEqual([145_000])
  })

  it('modes and threshold are configuration', () => {
    const cfg = { modes: ['normal', 'inspection'], holdMs: 30_000 }
    expect(raised(drive(stopOutsideDoorZone, beats(0, 60_000, { ...BETWEEN, mode: 'inspection' }), { config: cfg })).map((e) => e.frame)).toEqual([30_000])
  })

  it('never raises from stale data', () => {
    // one sample, then silence: stale at 30 s, so nothing at 45 s
    expect(drive(stopOutsideDoorZone, [tele(0, BETWEEN)])).toEqual([])
    expect(drive(stopOutsideDoorZone, [tele(0, BETWEEN), tele(10_000, BETWEEN), availability(20_000, 'offline')])).toEqual([])
    // data back at 100 s: the count starts from the first fresh sample
    const out = drive(stopOutsideDoorZone, [tele(0, BETWEEN), ...beats(100_000, 200_000, BETWEEN)])
    expect(raised(out)).toMatchObject([{ frame: 145_000, signal: { at: T0 + 100_000 } }])
  })

  it('a car inching between floors every few seconds for minutes is one alarm', () => {
    const inputs: DetectorInput[] = []
    for (let ms = 0; ms < 300_000; ms += 8_000) inputs.push(...beats(ms, ms + 5_000, BETWEEN, 1_000), ...beats(ms + 5_000, ms + 8_000, { ...BETWEEN, moving: true, speed: 0.3 }, 1_000))
    const events = driveAlarms(stopOutsideDoorZone, inputs, { config: { holdMs: 2_000 } })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  describe('scenarios: raised exactly where the scenario lists it', () => {
    for (const sc of scenariosFor('stop_outside_door_zone')) it(sc.name, () => expect(raisesIn(stopOutsideDoorZone, sc)).toHaveLength(sc.alarms.includes('stop_outside_door_zone') ? 1 : 0))
  })
})
