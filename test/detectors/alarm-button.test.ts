import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { TestScheduler } from 'rxjs/testing'
import { alarmButton } from '../../detectors/alarm-button.ts'
import type { AlarmSignal } from '../../detectors/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { E1, T0, availability, beats, drive, raised, scenarioInputs, tele } from './harness.ts'

const DEFAULTS = { holdMs: 3000, staleAfterMs: 30_000, modes: ['normal' as const] }
const PRESSED = { alarmButton: true }

describe('alarm-button', () => {
  it('marbles: held 3 s raises at 3 s; release clears', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b))
    scheduler.run(({ hot, expectObservable }) => {
      // frames are ms; each marble character takes one frame
      const input$ = hot('p 4999ms r', { p: tele(0, PRESSED), r: tele(5_000) })
      const R: AlarmSignal = {
        ...who(), type: 'alarm_button', state: 'raised', at: T0, evidence: { since: T0, detectedAt: T0 + 3_000, holdMs: 3_000, floor: '1' },
      }
      const C: AlarmSignal = { ...who(), type: 'alarm_button', state: 'cleared', at: T0 + 5_000, evidence: { heldMs: 5_000 } }
      expectObservable(input$.pipe(alarmButton.create(DEFAULTS, { scheduler, active: [] }))).toBe('3000ms R 1999ms C', { R, C })
    })
  })

  it('held 2.9 s: nothing; held 3 s: raised at exactly 3 s', () => {
    expect(drive(alarmButton, [tele(0, PRESSED), tele(2_900)])).toEqual([])
    const out = drive(alarmButton, [tele(0, PRESSED), tele(3_000), tele(4_000, PRESSED)])
    // released at the very instant it reached 3 s: it was held 3 s, so raised, then cleared;
    // the next press is a new alarm
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 3_000], ['cleared', 3_000], ['raised', 7_000]])
  })

  it('a press held through heartbeats raises once and clears on release', () => {
    const out = drive(alarmButton, [...beats(0, 60_000, PRESSED, 1_000), tele(60_000)])
    expect(out.map((e) => [e.signal.state, e.frame, e.signal.at])).toEqual([['raised', 3_000, T0], ['cleared', 60_000, T0 + 60_000]])
  })

  it('is not an alarm in inspection mode (technicians test the button)', () => {
    expect(drive(alarmButton, beats(0, 60_000, { ...PRESSED, mode: 'inspection' }))).toEqual([])
    expect(drive(alarmButton, beats(0, 60_000, { ...PRESSED, mode: 'maintenance' }))).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(alarmButton, [tele(0, PRESSED), availability(1_000, 'offline')])).toEqual([])
    // silence longer than staleAfterMs while "pressed" with a short hold configured past it
    expect(drive(alarmButton, [tele(0, PRESSED)], { config: { holdMs: 40_000 } })).toEqual([])
    // held across a 35 s gap: the hold counts again from the first fresh sample
    const out = drive(alarmButton, [tele(0, PRESSED), ...beats(35_000, 100_000, PRESSED)], { config: { holdMs: 40_000 }, until: 100_000 })
    expect(raised(out)).toMatchObject([{ frame: 75_000, signal: { at: T0 + 35_000 } }])
  })

  it('hold time is configuration', () => {
    const out = drive(alarmButton, beats(0, 20_000, PRESSED, 1_000), { config: { holdMs: 10_000 } })
    expect(raised(out).map((e) => e.frame)).toEqual([10_000])
  })

  it('alarm_button.yaml: held 5 s from 12 s: raised 3 s after the press, cleared on release', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'alarm_button.yaml'))
    const inputs = scenarioInputs(sc)
    const pressed = (b: boolean) => inputs.find((i) => i.kind === 'telemetry' && i.msg.alarmButton === b && i.ts > T0 + 12_000)!.ts - T0
    const [press, release] = [pressed(true), pressed(false)]
    expect(press).toBeGreaterThanOrEqual(12_000)
    expect(press).toBeLessThan(12_500)
    const out = drive(alarmButton, inputs, { until: sc.duration * 1000 })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', press + 3_000], ['cleared', release]])
  })
})

function who() {
  return { elevatorId: E1.elevatorId, region: E1.region }
}
