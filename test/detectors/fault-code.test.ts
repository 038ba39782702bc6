import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { faultCode } from '../../detectors/fault-code.ts'
import { ALARM_TYPES, liftwatchRef } from '../../protocol/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../simulators/scenario.ts'
import { T0, availability, beats, cleared, drive, driveAlarms, factsOf, raised, scenarioInputs, tele } from './harness.ts'

const FAULT = { floor: '3', floorIndex: 3, position: 10, faultCode: 81 }
const OK = { ...FAULT, faultCode: 0 }

describe('fault-code', () => {
  it('may signal every catalogue type a profile can map, and maps the reference profile by default', () => {
    const own = ['communication_lost', 'anomaly', 'long_idle', 'maintenance_overdue']
    expect([...faultCode.types].sort()).toEqual(ALARM_TYPES.filter((t) => !own.includes(t)).sort())
    expect(Value.Default(faultCode.configSchema, {})).toMatchObject({ faultCodes: liftwatchRef.faultCodes })
    expect(liftwatchRef.faultCodes).toEqual({ 81: 'restart_prevented' })
    // a type a controller cannot report is not a valid mapping
    expect(() => drive(faultCode, [], { config: { faultCodes: { 5: 'long_idle' } } })).toThrow(/bad test config/)
  })

  it('code 81 raises restart_prevented on its first sample, not before', () => {
    const out = drive(faultCode, [...beats(0, 10_000, OK, 100), ...beats(10_000, 60_000, FAULT)])
    expect(out.map((e) => [e.signal.type, e.signal.state, e.frame])).toEqual([['restart_prevented', 'raised', 10_000]])
    expect(out[0]!.signal).toMatchObject({ at: T0 + 10_000, evidence: { faultCode: 81, floor: '3', mode: 'normal' } })
  })

  it('clears when the code goes away, or changes to one that is not mapped', () => {
    const gone = drive(faultCode, [...beats(0, 30_000, FAULT), ...beats(30_000, 60_000, OK)])
    expect(gone.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 30_000]])
    expect(cleared(gone)[0]!.signal).toMatchObject({ type: 'restart_prevented', at: T0 + 30_000, evidence: { faultCode: 0 } })
    const other = drive(faultCode, [...beats(0, 30_000, FAULT), ...beats(30_000, 60_000, { ...FAULT, faultCode: 12 })])
    expect(other.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 30_000]])
  })

  it('a code mapped per configuration raises its type: 42 → door_close_fault', () => {
    expect(drive(faultCode, beats(0, 30_000, { ...FAULT, faultCode: 42 }))).toEqual([])
    const out = drive(faultCode, beats(0, 30_000, { ...FAULT, faultCode: 42 }), { config: { faultCodes: { 42: 'door_close_fault' } } })
    expect(out.map((e) => [e.signal.type, e.signal.state, e.frame])).toEqual([['door_close_fault', 'raised', 0]])
  })

  it('a change from one mapped code to another clears the old type and raises the new one', () => {
    const faultCodes = { 81: 'restart_prevented', 42: 'door_close_fault' }
    const out = drive(faultCode, [...beats(0, 30_000, FAULT), ...beats(30_000, 60_000, { ...FAULT, faultCode: 42 }), tele(60_000, OK)], { config: { faultCodes } })
    expect(out.map((e) => [e.signal.type, e.signal.state, e.frame])).toEqual([
      ['restart_prevented', 'raised', 0], ['restart_prevented', 'cleared', 30_000], ['door_close_fault', 'raised', 30_000], ['door_close_fault', 'cleared', 60_000],
    ])
  })

  it('not in inspection or maintenance (technicians provoke faults); watched under fire service; modes are configuration', () => {
    for (const mode of ['inspection', 'maintenance'] as const) expect(drive(faultCode, beats(0, 60_000, { ...FAULT, mode })), mode).toEqual([])
    expect(raised(drive(faultCode, beats(0, 60_000, { ...FAULT, mode: 'fire' })))).toHaveLength(1)
    expect(drive(faultCode, beats(0, 60_000, { ...FAULT, mode: 'fire' }), { config: { modes: ['normal'] } })).toEqual([])
    // into inspection while raised: the technician has taken over
    const out = drive(faultCode, [...beats(0, 30_000, FAULT), ...beats(30_000, 60_000, { ...FAULT, mode: 'inspection' })])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 30_000]])
  })

  it('a code that comes and goes every few seconds is one alarm', () => {
    const inputs = Array.from({ length: 120 }, (_, k) => tele(k * 5_000, k % 2 ? OK : FAULT))
    const events = driveAlarms(faultCode, inputs, { until: 900_000 })
    expect(new Set(events.filter((e) => e.event.state === 'raised').map((e) => e.event.id)).size).toBe(1)
  })

  it('never raises nor clears from stale data: only a live sample does either', () => {
    expect(drive(faultCode, [tele(0, OK), availability(1_000, 'offline'), availability(2_000, 'online')], { until: 120_000 })).toEqual([])
    const out = drive(faultCode, [tele(0, FAULT), availability(5_000, 'offline'), tele(600_000, OK)])
    expect(out.map((e) => [e.signal.state, e.frame])).toEqual([['raised', 0], ['cleared', 600_000]])
  })

  it('an instance resumed with its type active clears it when the code has gone; other detectors\' types are left alone', () => {
    const out = drive(faultCode, [tele(0, OK)], { active: ['restart_prevented', 'overtravel_top', 'entrapment'] })
    expect(out.map((e) => [e.signal.type, e.signal.state])).toEqual([['restart_prevented', 'cleared']])
    expect(drive(faultCode, beats(0, 30_000, FAULT), { active: ['restart_prevented'] })).toEqual([])
  })

  it('restart_prevented.yaml: raised when the controller shows 81 (20 s), not cleared', () => {
    const sc = loadScenario(join(SCENARIO_DIR, 'restart_prevented.yaml'))
    const out = drive(faultCode, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
    expect(out.map((e) => [e.signal.type, e.signal.state])).toEqual([['restart_prevented', 'raised']])
    expect(out[0]!.frame).toBeGreaterThanOrEqual(20_000)
    expect(out[0]!.frame).toBeLessThan(20_500)
  })

  it('every scenario: the reference map raises exactly the mapped types the scenario lists', () => {
    const mapped = new Set<string>(Object.values(liftwatchRef.faultCodes ?? {}))
    for (const file of readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()) {
      const sc = loadScenario(join(SCENARIO_DIR, file))
      if (sc.duration > 4 * 3600 && !sc.alarms.some((a) => mapped.has(a))) continue
      const out = drive(faultCode, scenarioInputs(sc), { until: sc.duration * 1000, facts: factsOf(sc) })
      expect([...new Set(raised(out).map((e) => e.signal.type))], file).toEqual(sc.alarms.filter((a) => mapped.has(a)))
    }
  }, 60_000)
})
