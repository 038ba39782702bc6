import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BaselineWindows, MAD_SCALE, MAX_STORED, driftScore, mad, median } from '../../../detectors/runtime/baseline.ts'

// the obvious computations, to check the stored ones against
const sortedMedian = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
const sortedMad = (xs: number[]): number => {
  const m = sortedMedian(xs)
  return sortedMedian(xs.map((x) => Math.abs(x - m)))
}

const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 })

describe('median and MAD', () => {
  it('equal a sorted computation, odd and even lengths', () => {
    // `+ 0` makes -0 and +0 one value: the sign of a zero median depends on which zero the sort put
    // where ([0, -0, 0]), and no threshold compares differently on it
    fc.assert(fc.property(values, (xs) => {
      expect(median(xs) + 0).toBe(sortedMedian(xs) + 0)
      expect(mad(xs, median(xs)) + 0).toBe(sortedMad(xs) + 0)
    }))
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(mad([1, 1, 2, 2, 4, 6, 9], 2)).toBe(1)
    expect(median([])).toBeNaN()
  })

  it('leave their input alone', () => {
    const xs = [5, 3, 9, 1]
    median(xs)
    mad(xs, 4)
    expect(xs).toEqual([5, 3, 9, 1])
  })

  it('the drift score is in scaled MADs, with the MAD floored', () => {
    expect(driftScore(4000, 3000, 100, 50)).toBeCloseTo(1000 / (MAD_SCALE * 100), 10)
    // a perfectly steady metric: the floor, not a division by zero
    expect(driftScore(3010, 3000, 0, 100)).toBeCloseTo(10 / (MAD_SCALE * 100), 10)
    expect(driftScore(2000, 3000, 100, 0)).toBeLessThan(0)
    expect(driftScore(1, 0, 0, 0)).toBe(Infinity)
    expect(driftScore(5, 5, 0, 0)).toBe(0)
  })
})

/** The same windows as plain arrays: the last `r` pushed, and the learned ones pushed out of them. */
function model(b: number, r: number) {
  const recent: number[] = []
  const baseline: number[] = []
  return {
    recent, baseline,
    push(v: number, learn: boolean): boolean {
      recent.push(v)
      if (recent.length <= r) return false
      const oldest = recent.shift()!
      if (!learn) return false
      baseline.push(oldest)
      if (baseline.length > b) baseline.shift()
      return true
    },
  }
}

describe('BaselineWindows', () => {
  it('keeps the last recentSize observations and learns what they push out, per metric', () => {
    const op = fc.record({ metric: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 0, max: MAX_STORED }), learn: fc.boolean() })
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 300 }), (b, r, ops) => {
      const w = new BaselineWindows(3, b, r)
      const models = [model(b, r), model(b, r), model(b, r)]
      for (const o of ops) expect(w.push(o.metric, o.value, o.learn)).toBe(models[o.metric]!.push(o.value, o.learn))
      models.forEach((m, i) => {
        expect(w.recentValues(i)).toEqual(m.recent)
        expect(w.baselineValues(i)).toEqual(m.baseline)
        expect(w.recentCount(i)).toBe(m.recent.length)
        expect(w.baselineCount(i)).toBe(m.baseline.length)
      })
    }))
  })

  it('stats are the median and MAD of the stored windows, the MAD floored absolutely and relatively', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 12, maxLength: 200 }), fc.integer({ min: 0, max: 500 }),
      fc.double({ min: 0, max: 0.2, noNaN: true }), (xs, minMad, fraction) => {
        const w = new BaselineWindows(1, 32, 5)
        for (const x of xs) w.push(0, x, true)
        const base = w.baselineValues(0)
        const recent = w.recentValues(0)
        const st = w.stats(0, minMad, fraction)!
        const floor = Math.max(minMad, fraction * sortedMedian(base))
        expect(st.baselineMedian).toBe(sortedMedian(base))
        expect(st.recentMedian).toBe(sortedMedian(recent))
        expect(st.mad).toBe(Math.max(sortedMad(base), floor))
        expect(st.baselineCount).toBe(base.length)
        expect(st.score).toBeCloseTo(driftScore(sortedMedian(recent), sortedMedian(base), sortedMad(base), floor), 10)
      }))
  })

  it('has no stats until both windows hold data', () => {
    const w = new BaselineWindows(2, 4, 2)
    expect(w.stats(0, 1)).toBeNull()
    w.push(0, 10, true)
    w.push(0, 11, true)
    expect(w.stats(0, 1)).toBeNull()
    w.push(0, 12, true)
    expect(w.stats(0, 1)).toMatchObject({ baselineMedian: 10, recentMedian: 11.5, baselineCount: 1 })
    expect(w.stats(1, 1)).toBeNull()
  })

  it('stores rounded values clamped to 0…65535', () => {
    const w = new BaselineWindows(1, 4, 4)
    for (const v of [-5, 2.6, 70_000, 1234.4]) w.push(0, v, true)
    expect(w.recentValues(0)).toEqual([0, 3, MAX_STORED, 1234])
  })

  it('state is bounded: 100k observations later it is the same size', () => {
    const w = new BaselineWindows(4, 64, 9)
    const bytes = w.data.byteLength
    expect(bytes).toBe(4 * (64 + 9 + 4) * 2)
    let json = 0
    for (let i = 0; i < 100_000; i++) {
      w.push(i % 4, 10_000 + (i % 1000), i % 3 !== 0)
      if (i === 999) json = JSON.stringify(w).length
    }
    expect(w.data.byteLength).toBe(bytes)
    expect(JSON.stringify(w).length).toBe(json)
    for (let m = 0; m < 4; m++) {
      expect(w.baselineCount(m)).toBe(64)
      expect(w.recentCount(m)).toBe(9)
    }
  })

  it('rejects sizes it cannot count and metrics it does not have', () => {
    expect(() => new BaselineWindows(1, 0, 5)).toThrow(RangeError)
    expect(() => new BaselineWindows(1, 70_000, 5)).toThrow(RangeError)
    expect(() => new BaselineWindows(2, 4, 4).push(2, 1, true)).toThrow(RangeError)
  })
})
