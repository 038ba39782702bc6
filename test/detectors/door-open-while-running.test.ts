import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { doorOpenWhileRunning } from '../../detectors/door-open-while-running.ts'
import { DETECTORS, type DetectorInput } from '../../detectors/index.ts'
import type { ControllerState } from '../../protocol/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

/** on a trip between landings at rated speed, door closed */
const RUN: Partial<ControllerState> = { moving: true, speed: 1.75, direction: 'up', doorZone: false, floor: '3', floorIndex: 3, position: 8.5 }
const OPENING = { ...RUN, door: 'opening' } as const
/** stopped at 1 with the door closed, then off on a trip at 1 s */
const departed = (extra: Partial<ControllerState> = {}): DetectorInput[] => [tele(0, extra), tele(1_000, { ...RUN, ...extra })]

describe('door-open-while-running', () => {
  it('door leaves closed between landings: nothing at 0.9 s, raised at exactly 1 s, cleared when it closes', () => {
    expect(drive(doorOpenWhileRunning, [...departed(), tele(2_000, OPENING), tele(2_900, RUN)])).toEqual([])
    const out = drive(doorOpenWhileRunning, [...departed(), tele(2_000, OPENING), tele(2_500, { ...RUN, door: 'open' }), tele(6_000, RUN)])
    expect(raised(out).map((e) => e.frame)).toEqual([3_000])
    expect(raised(out)[0]!.signal).toMatchObject({
      type: 'door_open_while_running', at: T0 + 2_000, evidence: { since: T0 + 2_000, thresholdMs: 1_000, doorZone: false, speed: 1.75 },
    })
    expect(cleared(out)).toMatchObject([{ frame: 6_000, signal: { at: T0 + 6_000, evidence: { door: 'closed', moving: true } } }])
  })

  it('clears when the car stops', () => {
    const out = drive(doorOpenWhileRunning, [...departed(), tele(2_000, OPENING), tele(10_000, { floor: '6', door: 'open' })])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 3_000], ['cleared', 10_000]])
  })

  it('passing a landing\'s door zone at speed does not restart the debounce', () => {
    const out = drive(doorOpenWhileRunning, [...departed(), tele(2_000, OPENING), tele(2_500, { ...OPENING, doorZone: true }), tele(2_800, OPENING)])
    expect(raised(out)).toMatchObject([{ frame: 3_000, signal: { at: T0 + 2_000 } }])
  })

  it('a door opening in the door zone on the slow final approach (advance opening, re-levelling) is nothing', () => {
    const approach = { ...RUN, speed: 0.2, doorZone: true, floor: '6' }
    const out = drive(doorOpenWhileRunning, [...departed(), tele(8_000, approach), tele(8_500, { ...approach, door: 'opening' }), tele(9_000, { floor: '6', door: 'opening' })])
    expect(out).toEqual([])
  })

  it('a car that starts to move with its door already open is unintended movement, not this', () => {
    const slide = { ...RUN, speed: 0.5, direction: 'down', door: 'open' } as const
    expect(drive(doorOpenWhileRunning, [tele(0, { door: 'open' }), tele(1_000, { ...slide, doorZone: true }), ...beats(1_500, 10_000, slide, 500)])).toEqual([])
  })

  it('one event, one alarm: through every registered detector, a door opening mid-trip raises this alone, and a brake failure at a landing unintended_movement alone', () => {
    const raisedTypes = (inputs: DetectorInput[]) =>
      [...new Set(DETECTORS.flatMap((d) => raised(drive(d, inputs, { until: 15_000 })).map((e) => e.signal.type)))].sort()
    expect(raisedTypes([...departed(), tele(2_000, OPENING), ...beats(2_500, 14_000, { ...RUN, door: 'open' }, 500)])).toEqual(['door_open_while_running'])
    const slide = { ...RUN, speed: 0.5, direction: 'down', door: 'open', floor: '1', floorIndex: 1, position: 3.6 } as const
    expect(raisedTypes([tele(0, { door: 'open', floor: '1', floorIndex: 1, position: 4 }), ...beats(1_000, 14_000, slide, 500)])).toEqual(['unintended_movement'])
  })

  it('an unknown door is no evidence', () => {
    expect(drive(doorOpenWhileRunning, [...departed(), ...beats(2_000, 20_000, { ...RUN, door: 'unknown' }, 500)])).toEqual([])
  })

  it('the debounce is configuration', () => {
    const inputs = [...departed(), tele(2_000, OPENING), ...beats(2_500, 10_000, { ...RUN, door: 'open' }, 500)]
    expect(raised(drive(doorOpenWhileRunning, inputs, { config: { holdMs: 3_000 } })).map((e) => e.frame)).toEqual([5_000])
  })

  it('is watched in every mode but inspection and maintenance, and modes are configuration', () => {
    const inputs = (mode: ControllerState['mode']) => [...departed({ mode }), tele(2_000, { ...OPENING, mode }), tele(6_000, { ...RUN, mode })]
    for (const mode of ['inspection', 'maintenance'] as const) expect(drive(doorOpenWhileRunning, inputs(mode)), mode).toEqual([])
    for (const mode of ['normal', 'fire', 'fireman', 'emergency_power', 'earthquake', 'out_of_service', 'unknown'] as const) {
      expect(raised(drive(doorOpenWhileRunning, inputs(mode))).map((e) => e.frame), mode).toEqual([3_000])
    }
    expect(drive(doorOpenWhileRunning, inputs('fire'), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(doorOpenWhileRunning, [...departed(), tele(2_000, OPENING), availability(2_500, 'offline')])).toEqual([])
    // a sample after a gap shows the car running with the door open: not known to have left closed on this trip
    expect(drive(doorOpenWhileRunning, [...departed(), ...beats(40_000, 60_000, { ...RUN, door: 'open' }, 500)])).toEqual([])
  })

  it('a raised alarm stands across a gap in the data until the door is seen closed', () => {
    const out = drive(doorOpenWhileRunning, [...departed(), ...beats(2_000, 5_000, OPENING, 500), ...beats(50_000, 55_000, OPENING, 500), tele(55_000, RUN)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 3_000], ['cleared', 55_000]])
  })

  it('flapping: door contacts chattering open and closed through a long run are ONE alarm', () => {
    const inputs: DetectorInput[] = [...departed()]
    for (let at = 2_000; at < 300_000; at += 3_000) inputs.push(tele(at, OPENING), tele(at + 1_500, RUN))
    expect(raised(drive(doorOpenWhileRunning, inputs, { until: 300_000 })).length).toBeGreaterThan(5)
    const events = driveAlarms(doorOpenWhileRunning, inputs, { until: 300_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('door_open_while_running.yaml: raised 1 s after the door left closed outside the zone, cleared when the car stops', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'door_open_while_running.yaml'))
    const inputs = scenarioInputs(sc)
    const opened = inputs.find((i) => i.kind === 'telemetry' && i.msg.moving && i.msg.door !== 'closed')!
    const stopped = inputs.find((i) => i.kind === 'telemetry' && i.ts > opened.ts && !i.msg.moving)!
    expect(opened.kind === 'telemetry' && opened.msg.doorZone).toBe(false)
    const out = drive(doorOpenWhileRunning, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.state, e.frame, e.signal.at])).toEqual([['raised', opened.ts - T0 + 1_000, opened.ts], ['cleared', stopped.ts - T0, stopped.ts]])
  })

  describe('every scenario: raised exactly where its alarms list door_open_while_running', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('door_open_while_running')) continue
      it(file, () => {
        const out = drive(doorOpenWhileRunning, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
        expect(raised(out).length > 0).toBe(sc.alarms.includes('door_open_while_running'))
      }, 60_000)
    }
  })
})
