// core/backoff.ts: ceilings, jitter bounds with an injected random, and the retry state.
import { describe, expect, it } from 'vitest'
import { Backoff, backoffDelay } from '../../core/backoff.ts'

const policy = { minMs: 100, maxMs: 1000 }
const at = (r: number) => () => r

describe('backoffDelay', () => {
  it('grows by the factor from minMs and stops at maxMs', () => {
    expect([0, 1, 2, 3, 4, 20].map((n) => backoffDelay(n, policy, at(1)))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect([0, 1, 2].map((n) => backoffDelay(n, { ...policy, factor: 3 }, at(1)))).toEqual([100, 300, 900])
  })

  it('full jitter spans [0, ceiling]; half jitter [ceiling/2, ceiling]; none is exact', () => {
    expect(backoffDelay(3, policy, at(0))).toBe(0)
    expect(backoffDelay(3, { ...policy, jitter: 0.5 }, at(0))).toBe(400)
    expect(backoffDelay(3, { ...policy, jitter: 0.5 }, at(0.5))).toBe(600)
    expect(backoffDelay(3, { ...policy, jitter: 0 }, at(0))).toBe(800)
  })

  it('aboveMin keeps every delay at or over minMs', () => {
    expect(backoffDelay(0, { ...policy, aboveMin: true }, at(0))).toBe(100)
    expect(backoffDelay(2, { ...policy, aboveMin: true }, at(0))).toBe(100)
    expect(backoffDelay(2, { ...policy, aboveMin: true }, at(0.5))).toBe(250)
  })

  it('jitterMs adds a random extra on top', () => {
    expect(backoffDelay(1, { ...policy, jitter: 0, jitterMs: 50 }, at(0))).toBe(200)
    expect(backoffDelay(1, { ...policy, jitter: 0, jitterMs: 50 }, at(0.999))).toBe(250)
  })

  it('spreads real random draws over the whole range, in whole ms', () => {
    const draws = Array.from({ length: 2000 }, () => backoffDelay(3, { ...policy, jitter: 0.5 }))
    expect(draws.every((d) => Number.isInteger(d) && d >= 400 && d <= 800)).toBe(true)
    expect(Math.min(...draws)).toBeLessThan(450)
    expect(Math.max(...draws)).toBeGreaterThan(750)
  })
})

describe('Backoff', () => {
  it('counts attempts, and starts over after reset', () => {
    const b = new Backoff({ ...policy, jitter: 0 })
    expect([b.next(), b.next(), b.next()]).toEqual([100, 200, 400])
    expect(b.attempt).toBe(3)
    b.reset()
    expect(b.attempt).toBe(0)
    expect(b.next()).toBe(100)
  })

  it('uses the random it was given', () => {
    const b = new Backoff(policy, at(0.5))
    expect([b.next(), b.next()]).toEqual([50, 100])
  })
})
