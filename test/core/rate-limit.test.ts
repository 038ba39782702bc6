// core/rate-limit.ts: the token bucket's refill and burst, the log throttle's interval, counts
// and key cap, all on an injected clock.
import { describe, expect, it } from 'vitest'
import { LogThrottle, TokenBucket, capKey } from '../../core/rate-limit.ts'

function clock() {
  let t = 1000
  return { now: () => t, advance: (ms: number) => { t += ms } }
}

describe('TokenBucket', () => {
  it('refills at the rate, never past the burst, and spends what is taken', () => {
    const c = clock()
    const bucket = new TokenBucket(100, 10, c.now)
    bucket.reset(2)
    expect(bucket.available()).toBe(2)
    bucket.take(2)
    expect(bucket.available()).toBe(0)
    c.advance(50)
    expect(bucket.available()).toBe(5)
    c.advance(60_000)
    expect(bucket.available()).toBe(10)
    bucket.take(10)
    c.advance(9)
    expect(bucket.available()).toBe(0)
  })

  it('starts no fuller than the burst', () => {
    const c = clock()
    const bucket = new TokenBucket(1, 3, c.now)
    bucket.reset(100)
    expect(bucket.available()).toBe(3)
  })
})

describe('LogThrottle', () => {
  it('lets one line per key per interval through and counts the held-back ones', () => {
    const c = clock()
    const t = new LogThrottle(60_000, c.now)
    expect(t.take('gw-1')).toBe(0)
    expect(t.take('gw-1')).toBeNull()
    expect(t.take('gw-1')).toBeNull()
    expect(t.take('gw-2')).toBe(0)
    c.advance(59_999)
    expect(t.take('gw-1')).toBeNull()
    c.advance(1)
    expect(t.take('gw-1')).toBe(3)
    expect(t.take('gw-1')).toBeNull()
  })

  it('without a key throttles one condition', () => {
    const c = clock()
    const t = new LogThrottle(10, c.now)
    expect([t.take(), t.take(), t.take()]).toEqual([0, null, null])
    c.advance(10)
    expect(t.take()).toBe(2)
  })

  it('past maxKeys, new keys share one entry so invented keys cannot flood the log', () => {
    const c = clock()
    const t = new LogThrottle(1000, c.now, 2)
    expect(t.take('a')).toBe(0)
    expect(t.take('b')).toBe(0)
    expect(t.take('c')).toBe(0)
    expect(t.take('d')).toBeNull()
    expect(t.take('e')).toBeNull()
    expect(t.take('a')).toBeNull()
  })
})

describe('capKey', () => {
  it('keeps known keys and new ones while there is room, else (other)', () => {
    const table = new Map([['a', 1]])
    expect(capKey(table, 'a', 1)).toBe('a')
    expect(capKey(table, 'b', 1)).toBe('(other)')
    expect(capKey(table, 'b', 2)).toBe('b')
  })
})
