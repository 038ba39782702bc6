// Numbers in v1 payloads have bounds: a JSON number the gateway cannot mean (1e309 is Infinity
// after JSON.parse, 1e300 is no counter) is refused with its path, as any other bad field.
import { describe, expect, it } from 'vitest'
import { validateAvailability, validateTelemetry } from '../../protocol/index.ts'
import { sampleTelemetry } from './fixtures.ts'

const paths = (r: ReturnType<typeof validateTelemetry>) => (r.ok ? [] : [...new Set(r.problems.map((p) => p.path))].sort())
// the text a gateway would send, with `position` and `seq` replaced as written
const wire = (position: string, seq: string): unknown =>
  JSON.parse(JSON.stringify(sampleTelemetry({ position: 0.5, seq: 7 })).replace('"position":0.5', `"position":${position}`).replace('"seq":7', `"seq":${seq}`))

describe('telemetry numeric bounds', () => {
  it('refuses position 1e309 and seq 1e300 as they arrive on the wire, naming each field', () => {
    expect(paths(validateTelemetry(wire('1e309', '1e300')))).toEqual(['position', 'seq'])
  })

  it('refuses non-finite and absurd values of position, speed, load, seq and ts', () => {
    const cases: [string, unknown][] = [
      ['position', Number.NEGATIVE_INFINITY], ['position', 1e6], ['position', -1e6],
      ['speed', Number.POSITIVE_INFINITY], ['speed', 1000],
      ['load', 1e9],
      ['seq', Number.MAX_SAFE_INTEGER + 1],
      ['ts', 1e300], ['ts', 8.64e15 + 1],
    ]
    for (const [field, value] of cases) expect(paths(validateTelemetry({ ...sampleTelemetry(), [field]: value })), `${field}=${value}`).toEqual([field])
    expect(validateAvailability({ v: 1, ts: 1e300, state: 'online', gateway: 'gw-01' }).ok).toBe(false)
  })

  it('still accepts what a real car reports: the pit below the lowest landing, the fastest cars, an overload, the largest safe seq', () => {
    const fine = sampleTelemetry({ position: -2.5, speed: 21, load: 125, seq: Number.MAX_SAFE_INTEGER, ts: 4_102_444_800_000 })
    expect(validateTelemetry(fine)).toEqual({ ok: true, value: fine })
    expect(validateTelemetry(sampleTelemetry({ position: 632, speed: null, load: 0, seq: 0 })).ok).toBe(true)
  })
})
