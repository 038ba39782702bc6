import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import {
  validateAlarmEvent, validateAvailability, validateGatewayStatus, validateTelemetry, CATALOGUE,
  registrationCode, isElevatorId, isRegion,
} from '../../protocol/index.ts'
import { renderProfileYaml, renderProtocolDoc, renderRegisterMapDoc } from '../../protocol/docs.ts'
import { liftwatchRef } from '../../protocol/profiles/liftwatch-ref.ts'
import { sampleTelemetry } from './fixtures.ts'

describe('telemetry schema', () => {
  it('accepts a well-formed message', () => {
    expect(validateTelemetry(sampleTelemetry())).toEqual({ ok: true, value: sampleTelemetry() })
  })

  it('reports every problem with its path', () => {
    const bad = { ...sampleTelemetry(), v: 2, ts: -5, door: 'ajar', speed: -1, extra: true } as Record<string, unknown>
    delete bad.seq
    const r = validateTelemetry(bad)
    expect(r.ok).toBe(false)
    if (r.ok) return
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.message]))
    expect(Object.keys(byPath).sort()).toEqual(['door', 'extra', 'seq', 'speed', 'ts', 'v'])
    expect(byPath.door).toMatch(/one of "open", "opening"/)
    expect(byPath.seq).toBe('is required')
    expect(byPath.extra).toBe('unknown property')
  })

  it('refuses non-objects and bad identifiers', () => {
    expect(validateTelemetry('garbage').ok).toBe(false)
    expect(validateTelemetry(null).ok).toBe(false)
    expect(validateTelemetry(sampleTelemetry({ gateway: '../etc' })).ok).toBe(false)
    expect(validateTelemetry(sampleTelemetry({ gateway: 'x'.repeat(65) })).ok).toBe(false)
  })
})

describe('other payloads', () => {
  it('availability, status (and its last will), alarm', () => {
    expect(validateAvailability({ v: 1, ts: 1, state: 'offline', gateway: 'gw', reason: 'timeout' }).ok).toBe(true)
    expect(validateAvailability({ v: 1, ts: 1, state: 'down', gateway: 'gw' }).ok).toBe(false)
    expect(validateGatewayStatus({ v: 1, state: 'offline' }).ok).toBe(true)
    expect(validateGatewayStatus({ v: 1, state: 'online', version: '0.1.0', boot: 'b', elevators: ['E1'] }).ok).toBe(true)
    expect(validateGatewayStatus({ v: 1, state: 'online', elevators: ['bad id'] }).ok).toBe(false)
    const alarm = {
      v: 1, id: 'a1', key: 'E1:entrapment', type: 'entrapment', code: '11', severity: 'critical',
      state: 'raised', elevatorId: 'E1', region: '330922', raisedAt: 5, clearedAt: null,
      evidence: { stoppedFor: 16 }, drill: false,
    }
    expect(validateAlarmEvent(alarm).ok).toBe(true)
    expect(validateAlarmEvent({ ...alarm, type: 'gremlins' }).ok).toBe(false)
    expect(validateAlarmEvent({ ...alarm, region: '33092' }).ok).toBe(false)
  })
})

describe('identifiers', () => {
  it('registration codes are 20-digit strings and valid elevator ids', () => {
    const code = registrationCode('3110', '330922', '202401', 7)
    expect(code).toBe('31103309222024010007')
    expect(isElevatorId(code)).toBe(true)
    expect(isRegion('330922')).toBe(true)
    expect(isRegion('3309')).toBe(false)
  })

  it('the catalogue has the platform codes of docs/domain.md, unique types', () => {
    expect(new Set(CATALOGUE.map((c) => c.type)).size).toBe(CATALOGUE.length)
    expect(CATALOGUE.find((c) => c.type === 'entrapment')?.code).toBe('11')
    expect(CATALOGUE.find((c) => c.type === 'stop_outside_door_zone')?.code).toBe('04')
    expect(CATALOGUE.find((c) => c.type === 'power_failure')?.code).toBe('41')
  })
})

describe('generated docs', () => {
  // `npm run docs` regenerates them; this fails when the code changed and the docs did not.
  it('docs/protocol.md matches protocol/', () => {
    expect(readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')).toBe(renderProtocolDoc())
  })
  it('docs/register-map.md matches the liftwatch-ref profile', () => {
    expect(readFileSync(new URL('../../docs/register-map.md', import.meta.url), 'utf8')).toBe(renderRegisterMapDoc(liftwatchRef))
  })
  it('gateway/profiles/liftwatch-ref.yaml matches the liftwatch-ref profile', () => {
    expect(readFileSync(new URL('../../gateway/profiles/liftwatch-ref.yaml', import.meta.url), 'utf8')).toBe(renderProfileYaml(liftwatchRef))
  })
  it('the protocol doc names every telemetry field', () => {
    const doc = renderProtocolDoc()
    for (const f of Object.keys(sampleTelemetry())) expect(doc).toContain(`| \`${f}\` |`)
  })
})
