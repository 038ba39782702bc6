import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeTelemetry, markReplay, validateTelemetry, type Telemetry } from '../../protocol/index.ts'
import { sampleTelemetry } from './fixtures.ts'

const encode = ({ v: _v, ts, seq, boot, gateway, reason, ...state }: Telemetry): string =>
  encodeTelemetry({ ts, seq, boot, gateway, reason }, state)

afterEach(() => { vi.restoreAllMocks() })

describe('encodeTelemetry', () => {
  it('writes valid v1 telemetry with the envelope first, reason sixth', () => {
    const t = sampleTelemetry({ reason: 'heartbeat', seq: 41 })
    const json = encode(t)
    const back = JSON.parse(json) as Telemetry
    expect(back).toEqual(t)
    expect(validateTelemetry(back)).toMatchObject({ ok: true })
    expect(Object.keys(back).slice(0, 6)).toEqual(['v', 'ts', 'seq', 'boot', 'gateway', 'reason'])
  })
})

describe('markReplay', () => {
  it.each(['change', 'heartbeat'] as const)('marks live telemetry (%s) as replay and changes nothing else', (reason) => {
    const t = sampleTelemetry({ reason })
    expect(markReplay(encode(t))).toBe(encode({ ...t, reason: 'replay' }))
  })

  it('reads what encodeTelemetry wrote without parsing it', () => {
    const parse = vi.spyOn(JSON, 'parse')
    for (let seq = 0; seq < 100; seq++) markReplay(encode(sampleTelemetry({ seq, ts: 1_764_000_000_000 + seq })))
    expect(parse).not.toHaveBeenCalled()
  })

  it('finds the top-level reason behind a boot id that quotes one', () => {
    const t = sampleTelemetry({ boot: 'x\\","reason":"change' })
    expect(JSON.parse(markReplay(encode(t)))).toEqual({ ...t, reason: 'replay' })
  })

  it('marks telemetry another encoder wrote, in any field order', () => {
    const { reason: _reason, ...rest } = sampleTelemetry({ reason: 'heartbeat' })
    const reordered = JSON.stringify({ ...rest, reason: 'heartbeat' })
    expect(JSON.parse(markReplay(reordered))).toEqual({ ...rest, reason: 'replay' })
    const spaced = JSON.stringify(sampleTelemetry(), null, 2)
    expect(JSON.parse(markReplay(spaced))).toEqual(sampleTelemetry({ reason: 'replay' }))
  })

  it('leaves everything that is not live telemetry as it is', () => {
    const already = encode(sampleTelemetry({ reason: 'replay' }))
    const payloads = [
      already,
      // availability carries a free-text reason of its own: never telemetry's
      '{"v":1,"ts":1764000000000,"state":"offline","gateway":"gw-01","reason":"change"}',
      '{"v":1,"state":"offline"}',
      // telemetry-like but not valid v1 telemetry
      '{"v":1,"seq":3,"reason":"change"}',
      'not json',
      '',
    ]
    for (const p of payloads) expect(markReplay(p), p).toBe(p)
  })
})
