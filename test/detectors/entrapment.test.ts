import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { entrapment } from '../../detectors/entrapment.ts'
import { SCENARIO_DIR, checkExpectations, loadScenario, parseScenario, runScenario } from '../../simulators/scenario.ts'
import { STUCK, T0, availability, beats, cleared, drive, factsOf, gateway, hunting, raised, scenarioInputs, tele } from './harness.ts'

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

  it('is watched in every mode but inspection and maintenance: a stop between floors in unknown or out_of_service raises', () => {
    for (const mode of ['inspection', 'maintenance'] as const) expect(drive(entrapment, beats(0, 600_000, { ...STUCK, mode }), { until: 600_000 }), mode).toEqual([])
    // out_of_service: the controller took the car out after a drive fault (code 35); unknown: a mode the profile cannot map
    for (const state of [{ mode: 'out_of_service', faultCode: 35 }, { mode: 'unknown' }, { mode: 'fire' }, { mode: 'fireman' }, { mode: 'emergency_power' }, { mode: 'earthquake' }] as const) {
      const out = drive(entrapment, beats(0, 60_000, { ...STUCK, ...state }))
      expect(raised(out).map((e) => e.frame), state.mode).toEqual([15_000])
      expect(out[0]!.signal.evidence, state.mode).toMatchObject({ mode: state.mode, doorZone: false, occupied: true })
    }
    // back to normal from inspection: the count starts then
    const out = drive(entrapment, [...beats(0, 60_000, { ...STUCK, mode: 'inspection' }), ...beats(60_000, 120_000, STUCK)])
    expect(raised(out).map((e) => e.frame)).toEqual([75_000])
  })

  it('modes are configuration', () => {
    expect(drive(entrapment, beats(0, 60_000, { ...STUCK, mode: 'out_of_service' }), { config: { modes: ['normal'] } })).toEqual([])
    const out = drive(entrapment, beats(0, 60_000, { ...STUCK, mode: 'inspection' }), { config: { modes: ['normal', 'inspection'] } })
    expect(raised(out).map((e) => e.frame)).toEqual([15_000])
  })

  it('a stop between floors after a drive fault that takes the car out of service (simulator, fault code 35): raised 15 s after the stop', () => {
    const sc = parseScenario(`name: out-of-service-stop
description: { zh: 驱动故障后停用, en: out of service after a drive fault }
duration: 45
steps:
  - { at: 0, set: { hallCalls: [{ landing: 1, direction: up }] } }
  - { at: 3, set: { board: 1, carCalls: [9] } }
  - { at: 14.5, set: { mode: out_of_service, faults: { stuck: true, controllerFault: 35 } } }
expect:
  - { during: [15, 45], state: { moving: false, doorZone: false, door: closed, occupied: true, mode: out_of_service, faultCode: 35 } }
alarms: [entrapment]
`, 'out-of-service-stop.yaml')
    expect(checkExpectations(sc, runScenario(sc))).toEqual([])
    const inputs = scenarioInputs(sc)
    const stop = inputs.find((i) => i.kind === 'telemetry' && i.ts - T0 > 14_500 && !i.msg.moving)!.ts
    const out = drive(entrapment, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame, e.signal.at])).toEqual([['raised', stop - T0 + 15_000, stop]])
    expect(out[0]!.signal.evidence).toMatchObject({ mode: 'out_of_service', faultCode: 35, doorZone: false })
  })

  it('a car hunting at a landing (re-levelling 1.2 s every 5 s, door closed, passenger inside) is one stop: raised 90 s after it stopped', () => {
    const atLanding = { ...STUCK, doorZone: true, floor: '4', floorIndex: 4, position: 13 }
    const out = drive(entrapment, hunting(0, 130_000, atLanding), { until: 130_000 })
    expect(raised(out).map((e) => [e.frame, e.signal.at])).toEqual([[90_000, T0]])
    expect(out[0]!.signal.evidence).toMatchObject({ thresholdMs: 90_000, doorZone: true, occupied: true })
    // the alarm button pressed before a re-level is still this stop's evidence
    const noSensor = { ...atLanding, occupied: null }
    const pressed = drive(entrapment, [tele(0, { ...noSensor, alarmButton: true }), ...hunting(1_000, 130_000, noSensor)], { until: 130_000 })
    expect(raised(pressed).map((e) => [e.frame, e.signal.at])).toEqual([[90_000, T0]])
  })

  it('a slow move in the door zone that runs on past 10 s is no re-level: the stop ended, and the count starts again at the next stop', () => {
    const atLanding = { ...STUCK, doorZone: true, floor: '4', floorIndex: 4, position: 13 }
    const creep = { ...atLanding, moving: true, speed: 0.05 }
    const out = drive(entrapment, [...beats(0, 60_000, atLanding), ...beats(60_000, 80_000, creep, 1_000), ...beats(80_000, 300_000, atLanding)], { until: 300_000 })
    expect(raised(out).map((e) => [e.frame, e.signal.at])).toEqual([[170_000, T0 + 80_000]])
  })

  it('hunting.yaml (simulator): raised 90 s after the door began to close on the passenger, though the car re-levels 1.2 s every 5 s', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'hunting.yaml'))
    const frames = [...runScenario(sc)]
    const shut = frames.find((f) => f.t > 3 && f.state.door !== 'open')!
    // the re-levels the car makes with the passenger shut in: about 1.2 s long, about every 5 s
    const starts = frames.filter((f, k) => f.t > shut.t && f.state.moving && !frames[k - 1]!.state.moving).map((f) => f.t)
    const ends = frames.filter((f, k) => f.t > shut.t && !f.state.moving && frames[k - 1]!.state.moving).map((f) => f.t)
    expect(starts.length).toBeGreaterThanOrEqual(20)
    for (let k = 1; k < starts.length; k++) expect(Math.abs(starts[k]! - starts[k - 1]! - 5)).toBeLessThan(0.15)
    for (const start of starts.slice(0, -1)) expect(Math.abs(ends.find((end) => end > start)! - start - 1.2)).toBeLessThan(0.15)
    const out = drive(entrapment, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
    const at = Math.round(shut.t * 1000)
    expect(out.map((e) => [e.signal.state, e.frame, e.signal.at])).toEqual([['raised', at + 90_000, T0 + at]])
    expect(out[0]!.signal.evidence).toMatchObject({ doorZone: true, occupied: true, door: 'closed' })
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
