import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { DETECTORS } from '../../detectors/index.ts'
import { alarmIds } from '../../detectors/alarms.ts'
import { isAlarmType } from '../../protocol/index.ts'

const DIR = join(import.meta.dirname, '../../detectors')

describe('detector registry', () => {
  it('every registered detector lives in the file named by its id, with unique ids and catalogue types', () => {
    expect(new Set(DETECTORS.map((d) => d.id)).size).toBe(DETECTORS.length)
    for (const d of DETECTORS) {
      expect(existsSync(join(DIR, `${d.id}.ts`)), d.id).toBe(true)
      expect(d.types.length).toBeGreaterThan(0)
      for (const t of d.types) expect(isAlarmType(t)).toBe(true)
    }
    expect(DETECTORS.map((d) => d.id)).toEqual(['entrapment', 'alarm-button', 'communication-lost'])
  })

  it('every config schema fills in the DOMAIN.md defaults from nothing', () => {
    const defaults = Object.fromEntries(DETECTORS.map((d) => [d.id, Value.Default(d.configSchema, {})]))
    expect(defaults).toEqual({
      'entrapment': { outsideDoorZoneMs: 15_000, insideDoorZoneMs: 90_000, staleAfterMs: 30_000, modes: ['normal'] },
      'alarm-button': { holdMs: 3_000, staleAfterMs: 30_000, modes: ['normal'] },
      'communication-lost': { heartbeatMs: 10_000, missedHeartbeats: 3 },
    })
    for (const d of DETECTORS) expect(Value.Check(d.configSchema, defaults[d.id])).toBe(true)
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
