import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { entrapment } from '../../detectors/entrapment.ts'
import { SCENARIO_DIR, loadScenario, runScenario } from '../../simulators/scenario.ts'
import { STUCK, T0, availability, beats, cleared, drive, gateway, raised, scenarioInputs, tele } from './harness.ts'

describe('entrapment', () => {
  it('raises 15 s after the car stopped outside the door zone with a passenger, not before', () => {
    const out = drive(entrapment, beats(0, 60_000, STUCK))
    expect(raised(out)).toHaveLength(1)
    expect(out[0]!.frame).toBe(15_000)
    expect(out[0]!.signal).toMatchObject({ type: 'entrapment', state: 'raised', at: T0, elevatorId: '33092231102023080001', region: '330922' })
    expect(out[0]!.signal.evidence).toMatchObject({ since: T0, detectedAt: T0 + 15_000, thresholdMs: 15_000, doorZone: false, occupied: true })
  })

  it('does not raise when the door opens at 14.9 s', () => {
    const out = drive(entrapment, [tele(0, STUCK), tele(14_900, { ...STUCK, door: 'open' }), ...beats(20_000, 120_000, { ...STUCK, door: 'open' })])
    expect(out).toEqual([])
  })

  it('inside the door zone waits 90 s: nothing at 89.9 s, raised at 90 s', () => {
    const atLanding = { ...STUCK, doorZone: true, floor: '4', position: 12 }
    expect(drive(entrapment, [...beats(0, 89_900, atLanding), tele(89_900, { ...atLanding, door: 'open' })], { until: 200_000 })).toEqual([])
    const out = drive(entrapment, beats(0, 200_000, atLanding))
    expect(raised(out).map((e) => e.frame)).toEqual([90_000])
    expect(out[0]!.signal.evidence).toMatchObject({ thresholdMs: 90_000, doorZone: true })
  })

  it('takes the alarm button pressed during this stop as passenger evidence when there is no sensor', () => {
    const noSensor = { ...STUCK, occupied: null }
    expect(drive(entrapment, beats(0, 60_000, noSensor))).toEqual([])
    const out = drive(entrapment, [tele(0, noSensor), tele(5_000, { ...noSensor, alarmButton: true }), tele(6_000, noSensor), ...beats(10_000, 60_000, noSensor)])
    expect(raised(out).map((e) => e.frame)).toEqual([20_000])
    expect(out[0]!.signal).toMatchObject({ at: T0 + 5_000, evidence: { alarmButtonThisStop: true } })
  })

  it('forgets a press once the door has opened (the passenger could leave) and after a trip', () => {
    const noSensor = { occupied: null, doorZone: true }
    const out = drive(entrapment, [
      tele(0, { ...noSensor, alarmButton: true }), tele(1_000, noSensor), tele(2_000, { ...noSensor, door: 'open' }),
      ...beats(5_000, 300_000, noSensor),
    ], { until: 300_000 })
    expect(out).toEqual([])
    const trip = drive(entrapment, [
      tele(0, { ...noSensor, alarmButton: true }), tele(500, noSensor), tele(1_000, { ...noSensor, moving: true, doorZone: false, speed: 1 }),
      ...beats(5_000, 60_000, { ...noSensor, doorZone: false }),
    ])
    expect(trip).toEqual([])
  })

  it('clears when the door opens, and when the car empties', () => {
    const byDoor = drive(entrapment, [...beats(0, 40_000, STUCK), tele(40_000, { ...STUCK, door: 'open' })])
    expect(cleared(byDoor)).toHaveLength(1)
    expect(cleared(byDoor)[0]).toMatchObject({ frame: 40_000, signal: { state: 'cleared', at: T0 + 40_000, evidence: { door: 'open' } } })
    const byEmpty = drive(entrapment, [...beats(0, 40_000, STUCK), ...beats(40_000, 100_000, { ...STUCK, occupied: false })])
    expect(byEmpty.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 15_000], ['cleared', 40_000]])
  })

  it('a raised entrapment survives a mode change and a loss of data: only release clears it', () => {
    const out = drive(entrapment, [
      ...beats(0, 20_000, STUCK), tele(20_000, { ...STUCK, mode: 'inspection' }), availability(25_000, 'offline'),
      ...beats(200_000, 230_000, { ...STUCK, mode: 'inspection' }), tele(230_000, { ...STUCK, mode: 'inspection', door: 'open' }),
    ])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 15_000], ['cleared', 230_000]])
  })

  it('is not an entrapment in inspection (or another non-normal) mode', () => {
    expect(drive(entrapment, beats(0, 600_000, { ...STUCK, mode: 'inspection' }), { until: 600_000 })).toEqual([])
    expect(drive(entrapment, beats(0, 600_000, { ...STUCK, mode: 'fire' }), { until: 600_000 })).toEqual([])
    // back to normal: the count starts then
    const out = drive(entrapment, [...beats(0, 60_000, { ...STUCK, mode: 'inspection' }), ...beats(60_000, 120_000, STUCK)])
    expect(raised(out).map((e) => e.frame)).toEqual([75_000])
  })

  it('modes are configuration', () => {
    const out = drive(entrapment, beats(0, 60_000, { ...STUCK, mode: 'fire' }), { config: { modes: ['normal', 'fire'] } })
    expect(raised(out).map((e) => e.frame)).toEqual([15_000])
  })

  it('never raises from stale data: availability or gateway offline, or silence', () => {
    expect(drive(entrapment, [tele(0, STUCK), tele(10_000, STUCK), availability(12_000, 'offline')])).toEqual([])
    expect(drive(entrapment, [tele(0, STUCK), tele(10_000, STUCK), gateway(12_000, 'offline')])).toEqual([])
    // inside the door zone with no heartbeat after t = 0: stale at 30 s, so nothing at 90 s
    const zone = { ...STUCK, doorZone: true }
    expect(drive(entrapment, [tele(0, zone)])).toEqual([])
    // data back at 100 s: the count restarts from the first fresh sample
    const out = drive(entrapment, [tele(0, zone), ...beats(100_000, 300_000, zone)])
    expect(raised(out)).toMatchObject([{ frame: 190_000, signal: { at: T0 + 100_000 } }])
    // a 40 s gap shorter than the threshold also restarts the count
    const gappy = drive(entrapment, [tele(0, zone), tele(10_000, zone), ...beats(50_000, 300_000, zone)])
    expect(raised(gappy)).toMatchObject([{ frame: 140_000, signal: { at: T0 + 50_000 } }])
  })

  it('ignores telemetry replayed from a gateway outbox', () => {
    expect(drive(entrapment, [tele(0, STUCK, undefined, 'replay'), tele(10_000, STUCK, undefined, 'replay')])).toEqual([])
  })

  it('a car in motion is no entrapment, whatever the door', () => {
    expect(drive(entrapment, beats(0, 60_000, { ...STUCK, moving: true, speed: 1.5 }, 1_000))).toEqual([])
  })

  it('thresholds are configuration', () => {
    const out = drive(entrapment, beats(0, 60_000, STUCK), { config: { outsideDoorZoneMs: 20_000 } })
    expect(raised(out).map((e) => e.frame)).toEqual([20_000])
  })

  it('an instance resumed with entrapment active clears it on release', () => {
    const out = drive(entrapment, [tele(0, STUCK), tele(5_000, { ...STUCK, door: 'open' })], { active: ['entrapment'] })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['cleared', 5_000]])
  })

  it('entrapment.yaml: raised 15 s after the car stopped, outside the door zone, and not cleared', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'entrapment.yaml'))
    const stop = [...runScenario(sc)].find((f) => f.t > 14.5 && !f.state.moving)!
    const out = drive(entrapment, scenarioInputs(sc), { until: sc.duration * 1000 })
    expect(out).toHaveLength(1)
    expect(out[0]!.signal).toMatchObject({ state: 'raised', at: T0 + Math.round(stop.t * 1000), evidence: { doorZone: false, occupied: true, faultCode: 12 } })
    expect(out[0]!.frame).toBe(Math.round(stop.t * 1000) + 15_000)
  })

  it('alarm_button.yaml and inspection-visit.yaml: no entrapment', () => {
    for (const name of ['alarm_button', 'inspection-visit']) {
      const sc = loadScenario(join(SCENARIO_DIR, `${name}.yaml`))
      expect(drive(entrapment, scenarioInputs(sc), { until: sc.duration * 1000 }), name).toEqual([])
    }
  })
})
