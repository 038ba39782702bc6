import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { doorCloseFault } from '../../detectors/door-close-fault.ts'
import type { DetectorInput } from '../../detectors/index.ts'
import type { ControllerState } from '../../protocol/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

const CLOSING = { door: 'closing' } as const
const TRIP: Partial<ControllerState> = { moving: true, speed: 1.5, direction: 'up', doorZone: false }

/** `n` close attempts from `from`, each reversed half-way: closing, then opening 1.5 s later, open 1 s after. */
function reversals(n: number, from: number, extra: Partial<ControllerState> = {}): DetectorInput[] {
  const out: DetectorInput[] = []
  for (let k = 0; k < n; k++) {
    const at = from + k * 4_000
    out.push(tele(at, { ...extra, door: 'closing' }), tele(at + 1_500, { ...extra, door: 'opening' }), tele(at + 2_500, { ...extra, door: 'open' }))
  }
  return out
}
/** frame of the k-th reversal (1-based) of a series started at `from` */
const reversalAt = (k: number, from: number) => from + (k - 1) * 4_000 + 1_500

describe('door-close-fault', () => {
  it('door closing 20 s: nothing at 19.9 s, raised at exactly 20 s, cleared when it closes', () => {
    expect(drive(doorCloseFault, [tele(0, CLOSING), tele(19_900, { door: 'closed' })])).toEqual([])
    const out = drive(doorCloseFault, [...beats(0, 60_000, CLOSING), tele(60_000, { door: 'closed' })])
    expect(raised(out).map((e) => e.frame)).toEqual([20_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'door_close_fault', at: T0, evidence: { door: 'closing', thresholdMs: 20_000 } })
    expect(cleared(out)).toMatchObject([{ frame: 60_000, signal: { at: T0 + 60_000, evidence: { door: 'closed' } } }])
  })

  it('5 reversals before closed within one stop: nothing after 4, raised at the 5th, cleared once the door closes', () => {
    const four = [tele(0, { door: 'open' }), ...reversals(4, 1_000), ...beats(20_000, 120_000, { door: 'open' })]
    expect(drive(doorCloseFault, four)).toEqual([])
    const out = drive(doorCloseFault, [tele(0, { door: 'open' }), ...reversals(8, 1_000), tele(40_000, CLOSING), tele(43_000, { door: 'closed' })])
    expect(raised(out).map((e) => e.frame)).toEqual([reversalAt(5, 1_000)])
    expect(raised(out)[0]!.signal).toMatchObject({ at: T0 + reversalAt(5, 1_000), evidence: { reopens: 5, firstReopenAt: T0 + reversalAt(1, 1_000) } })
    // still raised through the 6th–8th reversal and the final close attempt
    expect(cleared(out).map((e) => e.frame)).toEqual([43_000])
  })

  it('a door that reaches closed, or a trip, ends the stop: the count starts again', () => {
    const closedBetween = [...reversals(4, 0), tele(16_000, CLOSING), tele(19_000, { door: 'closed' }), tele(20_000, { door: 'opening' }), ...reversals(4, 22_000)]
    expect(drive(doorCloseFault, closedBetween)).toEqual([])
    const tripBetween = [...reversals(4, 0), tele(16_000, TRIP), tele(20_000, { door: 'open' }), ...reversals(4, 22_000)]
    expect(drive(doorCloseFault, tripBetween)).toEqual([])
    // passengers holding the door twice, as a busy stop does, is nothing
    expect(drive(doorCloseFault, [...reversals(2, 0), tele(8_000, CLOSING), tele(11_000, { door: 'closed' })])).toEqual([])
  })

  it('thresholds are configuration', () => {
    expect(raised(drive(doorCloseFault, reversals(3, 0), { config: { attempts: 3 } })).map((e) => e.frame)).toEqual([reversalAt(3, 0)])
    expect(raised(drive(doorCloseFault, beats(0, 60_000, CLOSING), { config: { holdMs: 30_000 } })).map((e) => e.frame)).toEqual([30_000])
  })

  it('is not watched in the special modes, and modes are configuration', () => {
    for (const mode of ['inspection', 'maintenance', 'fireman', 'fire', 'emergency_power', 'earthquake'] as const) {
      expect(drive(doorCloseFault, beats(0, 120_000, { ...CLOSING, mode })), mode).toEqual([])
      // the firefighter's constant-pressure close reverses every time the button is let go
      expect(drive(doorCloseFault, reversals(10, 0, { mode })), mode).toEqual([])
    }
    expect(raised(drive(doorCloseFault, reversals(5, 0, { mode: 'fire' }), { config: { modes: ['normal', 'fire'] } }))).toHaveLength(1)
  })

  it('reversals in another mode do not count once back in normal service', () => {
    const out = drive(doorCloseFault, [...reversals(4, 0, { mode: 'fireman' }), ...reversals(4, 16_000)])
    expect(out).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(doorCloseFault, [tele(0, CLOSING), availability(10_000, 'offline')])).toEqual([])
    // closing, then silence past staleAfterMs: nothing, and the hold starts again from the first fresh sample
    const stale = { staleAfterMs: 10_000 }
    expect(drive(doorCloseFault, [tele(0, CLOSING)], { config: stale })).toEqual([])
    const out = drive(doorCloseFault, [tele(0, CLOSING), ...beats(40_000, 100_000, CLOSING, 5_000)], { config: stale })
    expect(raised(out)).toMatchObject([{ frame: 60_000, signal: { at: T0 + 40_000 } }])
    // reversals either side of a gap are not known to be one stop
    expect(drive(doorCloseFault, [...reversals(3, 0), ...reversals(3, 60_000)])).toEqual([])
  })

  it('an instance resumed with the alarm active clears it once the door is seen closed', () => {
    const out = drive(doorCloseFault, [tele(0, { door: 'closed' })], { active: ['door_close_fault'] })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['cleared', 0]])
  })

  it('flapping: a door that reverses 5 times, closes, and starts again for minutes is ONE alarm', () => {
    const inputs: DetectorInput[] = []
    for (let round = 0; round < 15; round++) {
      const at = round * 25_000
      inputs.push(tele(at, { door: 'open' }), ...reversals(5, at + 1_000), tele(at + 21_000, CLOSING), tele(at + 23_000, { door: 'closed' }))
    }
    const signals = drive(doorCloseFault, inputs, { until: 600_000 })
    expect(raised(signals).length).toBeGreaterThan(5)
    const events = driveAlarms(doorCloseFault, inputs, { until: 600_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('door_close_fault.yaml: raised at the 5th reversal, held to the end', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'door_close_fault.yaml'))
    const inputs = scenarioInputs(sc)
    const reopens = inputs.filter((i, k) => k > 0 && i.kind === 'telemetry' && i.msg.door === 'opening' && inputs[k - 1]!.kind === 'telemetry'
      && (inputs[k - 1] as Extract<DetectorInput, { kind: 'telemetry' }>).msg.door === 'closing')
    const out = drive(doorCloseFault, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out).toHaveLength(1)
    expect(out[0]!.frame).toBe(reopens[4]!.ts - T0)
    expect(out[0]!.signal).toMatchObject({ state: 'raised', evidence: { reopens: 5, floor: '1' } })
  })

  describe('every scenario: raised exactly where its alarms list door_close_fault', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('door_close_fault')) continue
      it(file, () => {
        const out = drive(doorCloseFault, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
        expect(raised(out).length > 0).toBe(sc.alarms.includes('door_close_fault'))
      }, 60_000)
    }
  })
})
