// GatewayClocks (broker/ingest/clock.ts) on hand-made receipt times: the offset follows the least
// delayed message, one bad ts is re-timed without moving it, a step is adopted once confirmed.
import { describe, expect, it } from 'vitest'
import { GatewayClocks } from '../../../broker/ingest/clock.ts'

const T = 1_772_413_200_000
const make = () => new GatewayClocks({ skewMs: 2000, toleranceMs: 5000, stepConfirmations: 3 }, 10)

describe('a gateway clock measured against the broker', () => {
  it('learns the offset from the least delayed message and times samples by it, never after their receipt', () => {
    const c = make()
    // 5 min ahead; the first message took 80 ms, the second 10 ms
    expect(c.live('gw', T + 300_000 - 80, T)).toEqual({ at: T, retimed: false, stepped: false, skewed: true })
    expect(c.live('gw', T + 1000 + 300_000 - 10, T + 1000)).toMatchObject({ at: T + 1000, retimed: false })
    expect(c.offset('gw')).toBe(299_990)
    // a replayed sample: corrected, not measured
    expect(c.corrected('gw', T - 60_000 + 299_990, T + 3000)).toBe(T - 60_000)
    expect(c.offset('gw')).toBe(299_990)
    // a slower one is timed when it was sampled, by the estimate; the estimate creeps towards it
    expect(c.live('gw', T + 2000 + 299_990 - 500, T + 2000)).toMatchObject({ at: T + 1500, retimed: false })
    expect(c.offset('gw')).toBe(299_990 - Math.round(500 / 64))
  })

  it('trusts a clock within the skew bound: the measured delay is not taken for an offset', () => {
    const c = make()
    // in step with ours; the messages spend 40–300 ms in queues on the way (a loaded broker)
    expect(c.live('gw', T, T + 40)).toMatchObject({ at: T, skewed: false })
    expect(c.live('gw', T + 1000, T + 1300)).toMatchObject({ at: T + 1000, retimed: false })
    expect(c.offset('gw')).toBe(-40 - Math.round(260 / 64)) // measured (creeping towards the slower one), not applied
    expect(c.corrected('gw', T - 60_000, T + 2000)).toBe(T - 60_000)
  })

  it('re-times one absurd ts to its receipt and keeps the offset', () => {
    const c = make()
    c.live('gw', T, T)
    const year = 365 * 86_400_000
    expect(c.live('gw', T + 10_000 + year, T + 10_000)).toEqual({ at: T + 10_000, retimed: true, stepped: false, skewed: true })
    expect(c.live('gw', T + 20_000, T + 20_000)).toEqual({ at: T + 20_000, retimed: false, stepped: false, skewed: false })
    expect(c.offset('gw')).toBe(0)
  })

  it('adopts a step once three messages in a row agree on it', () => {
    const c = make()
    c.live('gw', T, T)
    const back = (k: number) => c.live('gw', T + k * 1000 - 180_000, T + k * 1000)
    expect(back(1)).toMatchObject({ at: T + 1000, retimed: true, stepped: false })
    expect(back(2)).toMatchObject({ at: T + 2000, retimed: true, stepped: false })
    expect(back(3)).toMatchObject({ at: T + 3000, retimed: false, stepped: true })
    expect(c.offset('gw')).toBe(-180_000)
    expect(back(4)).toEqual({ at: T + 4000, retimed: false, stepped: false, skewed: true })
  })

  it('does not take two disagreeing bad ts for a step; gateways are measured apart and their number is capped', () => {
    const c = new GatewayClocks({ skewMs: 2000, toleranceMs: 5000, stepConfirmations: 2 }, 2)
    c.live('a', T, T)
    expect(c.live('a', T + 1000 + 60_000, T + 1000)).toMatchObject({ retimed: true })
    expect(c.live('a', T + 2000 - 60_000, T + 2000)).toMatchObject({ retimed: true, stepped: false })
    c.live('b', T + 7000, T)
    c.live('c', T + 9000, T)
    expect(c.offsets()).toEqual({ a: 0, b: 7000 })
  })
})
