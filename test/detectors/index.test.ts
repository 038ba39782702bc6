import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { DETECTORS } from '../../detectors/index.ts'
import { alarmIds } from '../../detectors/runtime/alarms.ts'
import { ALARM_TYPES, isAlarmType } from '../../protocol/index.ts'

const DIR = join(import.meta.dirname, '../../detectors')

describe('detector registry', () => {
  it('every registered detector lives in the file named by its id, with unique ids and catalogue types', () => {
    expect(new Set(DETECTORS.map((d) => d.id)).size).toBe(DETECTORS.length)
    for (const d of DETECTORS) {
      expect(existsSync(join(DIR, `${d.id}.ts`)), d.id).toBe(true)
      expect(d.types.length).toBeGreaterThan(0)
      for (const t of d.types) expect(isAlarmType(t)).toBe(true)
    }
    expect(DETECTORS.map((d) => d.id)).toEqual([
      'entrapment', 'safety-circuit-open', 'door-close-fault', 'door-open-fault', 'stop-outside-door-zone', 'unintended-movement',
      'door-open-while-running', 'runtime-limit', 'floor-lost', 'fault-code', 'overtravel-top', 'overtravel-bottom', 'overspeed',
      'power-failure', 'alarm-button', 'door-open-too-long', 'repeated-door-reopen', 'communication-lost', 'long-idle', 'anomaly', 'maintenance-overdue',
    ])
  })

  it('covers every type of the catalogue', () => {
    expect([...new Set(DETECTORS.flatMap((d) => d.types))].sort()).toEqual([...ALARM_TYPES].sort())
  })

  it('every config schema fills in the docs/domain.md defaults from nothing', () => {
    const defaults = Object.fromEntries(DETECTORS.map((d) => [d.id, Value.Default(d.configSchema, {})]))
    const S = 1000
    // docs/domain.md#fault-catalogue, column "default threshold"
    expect(defaults).toMatchObject({
      'entrapment': { outsideDoorZoneMs: 15 * S, insideDoorZoneMs: 90 * S },
      'safety-circuit-open': {},
      'door-close-fault': { holdMs: 20 * S, attempts: 5 },
      'door-open-fault': { holdMs: 20 * S },
      'stop-outside-door-zone': { holdMs: 45 * S },
      'unintended-movement': { holdMs: 1 * S, relevelMaxSpeed: 0.3 },
      'door-open-while-running': { holdMs: 1 * S },
      'runtime-limit': { minLimitMs: 45 * S, travelFactor: 1.5 },
      'floor-lost': { holdMs: 0 },
      'fault-code': { faultCodes: { 81: 'restart_prevented' } },
      'overtravel-top': { toleranceM: 0.15 },
      'overtravel-bottom': { toleranceM: 0.15 },
      'overspeed': { warningFactor: 1.1, criticalFactor: 1.15 },
      'power-failure': { holdMs: 5 * S },
      'alarm-button': { holdMs: 3 * S },
      'door-open-too-long': { holdMs: 120 * S },
      'repeated-door-reopen': { cycles: 20 },
      'communication-lost': { heartbeatMs: 10 * S, missedHeartbeats: 3 },
      'long-idle': { maxIdleMs: 24 * 3600 * S },
      'anomaly': { threshold: 4 },
      'maintenance-overdue': { periodMs: 15 * 24 * 3600 * S, visitMs: 20 * 60 * S },
    })
    for (const d of DETECTORS) expect(Value.Check(d.configSchema, defaults[d.id]), d.id).toBe(true)
  })

  it('inspection is exempt for every data-driven detector except power, overspeed and maintenance visits', () => {
    const watching = DETECTORS.filter((d) => (Value.Default(d.configSchema, {}) as { modes?: string[] }).modes?.includes('inspection')).map((d) => d.id)
    expect(watching.sort()).toEqual(['maintenance-overdue', 'overspeed', 'power-failure'])
  })
})

describe('alarm ids', () => {
  it('are unique and sortable within one millisecond and across a clock that steps back', () => {
    let now = 1_700_000_000_000
    const next = alarmIds(() => now)
    const ids: string[] = []
    for (let i = 0; i < 10_000; i++) ids.push(next())
    now -= 5_000
    for (let i = 0; i < 100; i++) ids.push(next())
    now += 60_000
    ids.push(next())
    expect(new Set(ids).size).toBe(ids.length)
    expect([...ids].sort()).toEqual(ids)
    expect(ids.filter((id) => !/^[0-9A-HJKMNP-TV-Z]{16}$/.test(id))).toEqual([])
  })
})
