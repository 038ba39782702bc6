import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  decode, encode, emptyImage, liftwatchRef, validateProfile, areaSizes, DOOR_STATES, DIRECTIONS, MODES,
  POWER_STATES, type ControllerState, type Profile,
} from '../../protocol/index.ts'

const milli = (lo: number, hi: number) => fc.integer({ min: Math.round(lo * 1000), max: Math.round(hi * 1000) }).map((n) => n / 1000)
const tenth = (lo: number, hi: number) => fc.integer({ min: Math.round(lo * 10), max: Math.round(hi * 10) }).map((n) => n / 10)
const label = fc.stringMatching(/^[A-Z0-9]{1,8}$/)

// Every state the reference map can carry: values on its resolution, nulls where it has a sentinel.
export const controllerState: fc.Arbitrary<ControllerState> = fc.record({
  floor: label,
  floorIndex: fc.integer({ min: 0, max: 65535 }),
  position: fc.option(milli(-2_000_000, 2_000_000), { nil: null }),
  speed: fc.option(milli(0, 65.534), { nil: null }),
  direction: fc.constantFrom(...DIRECTIONS),
  moving: fc.boolean(),
  door: fc.constantFrom(...DOOR_STATES),
  doorZone: fc.boolean(),
  occupied: fc.option(fc.boolean(), { nil: null }),
  load: fc.option(tenth(0, 6553.4), { nil: null }),
  alarmButton: fc.boolean(),
  safetyCircuit: fc.boolean(),
  mode: fc.constantFrom(...MODES),
  power: fc.constantFrom(...POWER_STATES),
  upLimit: fc.boolean(),
  downLimit: fc.boolean(),
  faultCode: fc.integer({ min: 0, max: 65535 }),
})
const extras = fc.record({
  landings: fc.integer({ min: 2, max: 200 }),
  ratedSpeed: milli(0.1, 10),
  tripCount: fc.integer({ min: 0, max: 0xffffffff }),
  mainLanding: fc.integer({ min: 0, max: 199 }),
})

describe('liftwatch-ref codec', () => {
  it('is a valid profile', () => {
    expect(validateProfile(liftwatchRef)).toMatchObject({ ok: true })
  })

  it('decode(encode(state)) = state for random states', () => {
    fc.assert(fc.property(controllerState, extras, (state, ex) => {
      const values = { ...state, ...ex }
      expect(decode(liftwatchRef, encode(liftwatchRef, values))).toEqual(values)
    }), { numRuns: 2000 })
  })

  it('lays out registers as docs/register-map.md says', () => {
    const img = encode(liftwatchRef, {
      position: 70.0, speed: 1.75, load: 37.5, door: 'closing', direction: 'down', floor: '12A', tripCount: 0x00012345,
      occupied: null,
    })
    // position 70000 mm = 0x00011170, CDAB: low word first
    expect(img.input.slice(1, 3)).toEqual([0x1170, 0x0001])
    expect(img.input[3]).toBe(1750)
    expect(img.input[4]).toBe(375)
    expect(img.input[5]).toBe(3 | (2 << 3))
    expect(img.input.slice(9, 13)).toEqual([0x3132, 0x4100, 0, 0])
    expect(img.holding.slice(2, 4)).toEqual([0x0001, 0x2345])
    expect(img.discrete[6]).toBe(false)
  })

  it('decodes only what was read, and unknown enum codes as "unknown"', () => {
    const img = emptyImage()
    img.input[6] = 42
    expect(decode(liftwatchRef, img)).toEqual({ mode: 'unknown' })
  })

  it('covers registers 0..31 of the input area in one read', () => {
    expect(areaSizes(liftwatchRef).input).toBeLessThanOrEqual(32)
  })
})

const orders: Profile = {
  name: 'orders', description: 'every type in every order', addressBase: 1,
  points: {
    u32abcd: { area: 'holding', address: 1, type: 'u32', order: 'ABCD' },
    u32cdab: { area: 'holding', address: 3, type: 'u32', order: 'CDAB' },
    i32badc: { area: 'holding', address: 5, type: 'i32', order: 'BADC' },
    i32dcba: { area: 'holding', address: 7, type: 'i32', order: 'DCBA' },
    f32cdab: { area: 'input', address: 1, type: 'f32', order: 'CDAB' },
    u16ba: { area: 'input', address: 3, type: 'u16', order: 'BA' },
    i16: { area: 'input', address: 4, type: 'i16', scale: 0.1, offset: -40 },
    strBa: { area: 'input', address: 5, type: 'string', length: 3, order: 'BA' },
    flag: { area: 'input', address: 8, type: 'bit', bit: 15, invert: true },
    nib: { area: 'input', address: 8, type: 'bits', bit: 4, width: 4 },
    coil: { area: 'coil', address: 10, type: 'bool', invert: true },
  },
}

describe('byte and word orders', () => {
  it('round-trips every order and type, 1-based addresses', () => {
    expect(validateProfile(orders)).toMatchObject({ ok: true })
    fc.assert(fc.property(
      fc.record({
        u32abcd: fc.integer({ min: 0, max: 0xffffffff }),
        u32cdab: fc.integer({ min: 0, max: 0xffffffff }),
        i32badc: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        i32dcba: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        f32cdab: fc.float({ noNaN: true, noDefaultInfinity: true }).map(Math.fround),
        u16ba: fc.integer({ min: 0, max: 0xffff }),
        i16: fc.integer({ min: -32768, max: 32767 }).map((n) => Number((n / 10 - 40).toFixed(1))),
        strBa: fc.stringMatching(/^[a-z]{0,6}$/),
        flag: fc.boolean(),
        nib: fc.integer({ min: 0, max: 15 }),
        coil: fc.boolean(),
      }),
      (v) => {
        const back = decode(orders, encode(orders, v))
        expect(back).toEqual({ ...v, f32cdab: v.f32cdab === 0 ? 0 : v.f32cdab })
      },
    ), { numRuns: 1000 })
  })

  it('places bytes per order', () => {
    const img = encode(orders, { u32abcd: 0x11223344, u32cdab: 0x11223344, i32badc: 0x11223344, i32dcba: 0x11223344 })
    expect(img.holding.slice(0, 8)).toEqual([0x1122, 0x3344, 0x3344, 0x1122, 0x2211, 0x4433, 0x4433, 0x2211])
  })
})

describe('profile validation', () => {
  it('lists every problem with its path', () => {
    const r = validateProfile({
      ...orders,
      points: {
        a: { area: 'coil', address: 0, type: 'u16' },
        b: { area: 'holding', address: 1, type: 'bits', bit: 14, width: 4 },
        c: { area: 'input', address: 1, type: 'u32', order: 'AB' },
        d: { area: 'input', address: 1, type: 'string' },
      },
    })
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.problems.map((p) => p.path).sort()).toEqual(['points.a.address', 'points.a.type', 'points.b.width', 'points.c.order', 'points.d.length'])
  })
})
