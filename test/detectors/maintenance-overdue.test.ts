import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { maintenanceOverdue } from '../../detectors/maintenance-overdue.ts'
import type { DetectorInput } from '../../detectors/index.ts'
import { SCENARIO_DIR, loadScenario, type Scenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

const MIN = 60_000
const H = 3_600_000
const DAY = 24 * H
// most tests use a 2 h period so that they run in few samples
const SHORT = { periodMs: 2 * H }
const INSPECTION = { mode: 'inspection' as const }

// the 19-day scenario takes seconds to simulate: once per file
const simulated = new Map<string, { sc: Scenario; inputs: DetectorInput[] }>()
function scenario(file: string) {
  let s = simulated.get(file)
  if (!s) {
    const sc = loadScenario(join(SCENARIO_DIR, file))
    s = { sc, inputs: scenarioInputs(sc) }
    simulated.set(file, s)
  }
  return s
}

describe('maintenance-overdue', () => {
  it('raised 15 days after the first sample when no visit was seen, not before', () => {
    const out = drive(maintenanceOverdue, beats(0, 16 * DAY, {}, 20_000), { until: 16 * DAY })
    expect(raised(out)).toMatchObject([{ frame: 15 * DAY, signal: { type: 'maintenance_overdue', at: T0, evidence: { thresholdMs: 15 * DAY } } }])
    expect(drive(maintenanceOverdue, beats(0, 15 * DAY - 100, {}, 20_000), { until: 15 * DAY - 100 })).toEqual([])
  })

  it('a 20-minute inspection session is a visit: the period counts from its end', () => {
    const out = drive(maintenanceOverdue, [...beats(0, 25 * MIN, INSPECTION), ...beats(25 * MIN, 4 * H)], { config: SHORT, until: 4 * H })
    expect(raised(out)).toMatchObject([{ frame: 25 * MIN + 2 * H, signal: { at: T0 + 25 * MIN, evidence: { lastVisitOrFirstSeen: T0 + 25 * MIN } } }])
    // 19 minutes is no visit: counted from the first sample
    const short = drive(maintenanceOverdue, [...beats(0, 19 * MIN, INSPECTION), ...beats(19 * MIN, 4 * H)], { config: SHORT, until: 4 * H })
    expect(raised(short).map((e) => e.frame)).toEqual([2 * H])
  })

  it('inspection then maintenance mode is one session; the visit length is configuration', () => {
    const split = [...beats(0, 10 * MIN, INSPECTION), ...beats(10 * MIN, 25 * MIN, { mode: 'maintenance' }), ...beats(25 * MIN, 4 * H)]
    expect(raised(drive(maintenanceOverdue, split, { config: SHORT, until: 4 * H })).map((e) => e.frame)).toEqual([25 * MIN + 2 * H])
    const brief = [...beats(0, 10 * MIN, INSPECTION), ...beats(10 * MIN, 4 * H)]
    expect(raised(drive(maintenanceOverdue, brief, { config: { ...SHORT, visitMs: 5 * MIN }, until: 4 * H })).map((e) => e.frame)).toEqual([10 * MIN + 2 * H])
  })

  it('clears when a visit completes: the session reaches 20 minutes', () => {
    const inputs = [...beats(0, 3 * H), ...beats(3 * H, 3 * H + 30 * MIN, INSPECTION), ...beats(3 * H + 30 * MIN, 4 * H)]
    const out = drive(maintenanceOverdue, inputs, { config: SHORT, until: 4 * H })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 2 * H], ['cleared', 3 * H + 20 * MIN]])
    expect(cleared(out)[0]!.signal).toMatchObject({ at: T0 + 3 * H + 20 * MIN, evidence: { visitFrom: T0 + 3 * H, mode: 'inspection' } })
  })

  it('watched in every mode by default (the calendar runs whatever the car does); modes are configuration', () => {
    expect(raised(drive(maintenanceOverdue, beats(0, 3 * H, { mode: 'fire' }), { config: SHORT, until: 3 * H }))).toHaveLength(1)
    expect(raised(drive(maintenanceOverdue, beats(0, 3 * H, { mode: 'out_of_service' }), { config: SHORT, until: 3 * H }))).toHaveLength(1)
    expect(drive(maintenanceOverdue, beats(0, 3 * H, { mode: 'fire' }), { config: { ...SHORT, modes: ['normal'] }, until: 3 * H })).toEqual([])
  })

  it('a short gap in the data does not restart the count', () => {
    const out = drive(maintenanceOverdue, [...beats(0, H), ...beats(H + MIN, 3 * H)], { config: SHORT, until: 3 * H })
    expect(raised(out)).toMatchObject([{ frame: 2 * H, signal: { at: T0 } }])
  })

  it('never raises from stale data: silent when the period is up, raised by the first fresh sample after', () => {
    expect(drive(maintenanceOverdue, [tele(0)], { config: SHORT, until: 3 * H })).toEqual([])
    expect(drive(maintenanceOverdue, [...beats(0, H), availability(H, 'offline')], { config: SHORT, until: 3 * H })).toEqual([])
    const out = drive(maintenanceOverdue, [...beats(0, H), ...beats(150 * MIN, 3 * H)], { config: SHORT, until: 3 * H })
    expect(raised(out)).toMatchObject([{ frame: 150 * MIN, signal: { at: T0 } }])
  })

  it('a mode switch flicking every few seconds is one alarm', () => {
    const inputs = [...beats(0, 3 * H), ...Array.from({ length: 120 }, (_, k) => tele(3 * H + k * 5_000, k % 2 ? {} : INSPECTION))]
    const events = driveAlarms(maintenanceOverdue, inputs, { config: SHORT, until: 4 * H })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('an instance resumed with the alarm active keeps it until a visit', () => {
    expect(drive(maintenanceOverdue, beats(0, H), { active: ['maintenance_overdue'] })).toEqual([])
    const out = drive(maintenanceOverdue, [...beats(0, H), ...beats(H, 2 * H, INSPECTION)], { active: ['maintenance_overdue'], until: 2 * H })
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['cleared', H + 20 * MIN]])
  })

  it('maintenance_overdue.yaml: raised 15 days after the 25-minute inspection on day one', () => {
    const { sc, inputs } = scenario('maintenance_overdue.yaml')
    const end = inputs.find((i) => i.kind === 'telemetry' && i.ts > T0 + MIN && i.msg.mode === 'normal')!.ts - T0
    expect(end).toBeGreaterThanOrEqual(1_500_000)
    const out = drive(maintenanceOverdue, inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out).toMatchObject([{ frame: end + 15 * DAY, signal: { state: 'raised', at: T0 + end } }])
  }, 60_000)

  it('every scenario (the long ones of other types skipped): maintenance_overdue exactly where the scenario lists it', () => {
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.includes('maintenance_overdue')) continue
      const out = drive(maintenanceOverdue, scenario(file).inputs, { until: sc.duration * 1000, facts: factsOf(sc) })
      expect(raised(out).length > 0, file).toBe(sc.alarms.includes('maintenance_overdue'))
    }
  }, 120_000)
})
