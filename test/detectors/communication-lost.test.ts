import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { communicationLost } from '../../detectors/communication-lost.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, drive, gateway, raised, scenarioInputs, tele } from './harness.ts'

const HOUR = 3_600_000
const states = (out: ReturnType<typeof drive>) => out.map((e) => [e.signal.state, e.frame])

describe('communication-lost', () => {
  it('raises 30 s (3 heartbeats) after the last telemetry, not before', () => {
    const out = drive(communicationLost, beats(0, 60_001), { until: 200_000 })
    // last heartbeat at 60 s
    expect(states(out)).toEqual([['raised', 90_000]])
    expect(out[0]!.signal).toMatchObject({ at: T0 + 60_000, evidence: { cause: 'silence', lastTelemetryAt: T0 + 60_000, silenceMs: 30_000 } })
    // a message at 89.9 s keeps it quiet
    expect(drive(communicationLost, [...beats(0, 60_001), tele(89_900)], { until: 119_000 })).toEqual([])
  })

  it('runs six hours of heartbeats in virtual time without an alarm, then catches the silence', () => {
    const started = performance.now()
    const out = drive(communicationLost, beats(0, 6 * HOUR + 1), { until: 7 * HOUR })
    expect(states(out)).toEqual([['raised', 6 * HOUR + 30_000]])
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('clears on fresh telemetry', () => {
    const out = drive(communicationLost, [tele(0), ...beats(100_000, 130_000)], { until: 200_000 })
    expect(states(out)).toEqual([['raised', 30_000], ['cleared', 100_000], ['raised', 150_000]])
    expect(out[1]!.signal).toMatchObject({ at: T0 + 100_000, evidence: { recovery: 'telemetry' } })
  })

  it('raises at once on availability offline; clears when it is back online with recent data', () => {
    const out = drive(communicationLost, [tele(0), tele(10_000), availability(12_000, 'offline', undefined, 'timeout'), availability(15_000, 'online'), tele(20_000)], { until: 45_000 })
    expect(states(out)).toEqual([['raised', 12_000], ['cleared', 15_000]])
    expect(out[0]!.signal).toMatchObject({ at: T0 + 12_000, evidence: { cause: 'availability', reason: 'timeout' } })
  })

  it('raises at once on the gateway going offline; clears on fresh telemetry', () => {
    const out = drive(communicationLost, [tele(0), gateway(5_000, 'offline'), gateway(200_000, 'online'), tele(201_000)], { until: 230_000 })
    expect(states(out)).toEqual([['raised', 5_000], ['cleared', 201_000]])
    expect(out[0]!.signal.evidence).toMatchObject({ cause: 'gateway' })
    // online again long after the last data: still silent, so it stays raised until telemetry
    expect(out[1]!.signal.evidence).toMatchObject({ recovery: 'telemetry' })
  })

  it('an elevator first heard of through an offline report is lost from the start', () => {
    expect(states(drive(communicationLost, [availability(0, 'offline')], { until: 100_000 }))).toEqual([['raised', 0]])
    expect(states(drive(communicationLost, [availability(0, 'online')], { until: 100_000 }))).toEqual([['raised', 30_000]])
  })

  it('replayed telemetry is no proof of a live link', () => {
    const out = drive(communicationLost, [tele(0), tele(40_000, {}, undefined, 'replay')], { until: 60_000 })
    expect(states(out)).toEqual([['raised', 30_000]])
  })

  it('heartbeat interval and missed count are configuration', () => {
    const out = drive(communicationLost, [tele(0)], { config: { heartbeatMs: 5_000, missedHeartbeats: 2 }, until: 60_000 })
    expect(states(out)).toEqual([['raised', 10_000]])
  })

  it('an instance resumed with the alarm active clears it on the first telemetry', () => {
    expect(states(drive(communicationLost, [tele(1_000)], { active: ['communication_lost'], until: 10_000 }))).toEqual([['cleared', 1_000]])
  })

  it('communication_lost.yaml: the wire silent from 10 s to 70 s raises 30 s after the last sample and clears when data flows', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'communication_lost.yaml'))
    const inputs = scenarioInputs(sc)
    const last = Math.max(...inputs.filter((i) => i.ts - T0 <= 10_000).map((i) => i.ts - T0))
    const back = Math.min(...inputs.filter((i) => i.ts - T0 > 10_000).map((i) => i.ts - T0))
    expect(back).toBeGreaterThanOrEqual(70_000)
    const out = drive(communicationLost, inputs, { until: sc.duration * 1000 })
    expect(states(out)).toEqual([['raised', last + 30_000], ['cleared', back]])
    expect(raised(out)[0]!.signal.at).toBe(T0 + last)
  })
})
