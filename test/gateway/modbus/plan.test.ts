import { describe, expect, it } from 'vitest'
import { liftwatchRef, type Point, type Profile } from '../../../protocol/index.ts'
import { GatewayErrorCode } from '../../../gateway/errors.ts'
import { blockKey, distinctSpans, readPlan } from '../../../gateway/modbus/plan.ts'

const profile = (points: Record<string, Point>, addressBase: 0 | 1 = 0): Profile => ({ name: 'test', description: '', addressBase, points })
const u16 = (area: Point['area'], address: number): Point => ({ area, address, type: 'u16' })
const summary = (p: Profile, opts = {}) => readPlan(p, opts).map(blockKey)

describe('readPlan', () => {
  it('reads the whole liftwatch-ref map in one block per area, validIf included', () => {
    const plan = readPlan(liftwatchRef)
    expect(plan.map(blockKey)).toEqual(['coil:0+1', 'discrete:0+7', 'holding:0+5', 'input:0+13'])
    const discrete = plan.find((b) => b.area === 'discrete')!
    expect(discrete.spans).toContainEqual({ point: 'occupied', role: 'validIf', address: 6, count: 1 })
    const input = plan.find((b) => b.area === 'input')!
    expect(input.spans.find((s) => s.point === 'floor')).toMatchObject({ address: 9, count: 4 })
    expect(input.spans.find((s) => s.point === 'position')).toMatchObject({ address: 1, count: 2 })
  })

  it('reads across a gap of up to 8 unused registers, not 9', () => {
    expect(summary(profile({ a: u16('holding', 0), b: u16('holding', 9) }))).toEqual(['holding:0+10'])
    expect(summary(profile({ a: u16('holding', 0), b: u16('holding', 10) }))).toEqual(['holding:0+1', 'holding:10+1'])
    expect(summary(profile({ a: u16('holding', 0), b: u16('holding', 10) }), { registerGap: 9 })).toEqual(['holding:0+11'])
  })

  it('never asks for more than 125 registers or 2000 bits in one read', () => {
    const regs = profile({ a: u16('input', 0), b: { area: 'input', address: 123, type: 'u32' }, c: { area: 'input', address: 124, type: 'u32' } })
    expect(summary(regs, { registerGap: 200 })).toEqual(['input:0+125', 'input:124+2'])
    const bits: Record<string, Point> = {}
    for (let a = 0; a <= 2000; a += 20) bits[`c${a}`] = { area: 'coil', address: a, type: 'bool' }
    expect(summary(profile(bits))).toEqual(['coil:0+1981', 'coil:2000+1'])
  })

  it('keeps areas apart and follows addressBase 1 (vendor numbering)', () => {
    const p = profile({ a: u16('holding', 1), b: u16('input', 1), c: { area: 'discrete', address: 3, type: 'bool', validIf: { area: 'coil', address: 40 } } }, 1)
    expect(summary(p)).toEqual(['coil:39+1', 'discrete:2+1', 'holding:0+1', 'input:0+1'])
  })

  it('reads a register two points share once when split', () => {
    const input = readPlan(liftwatchRef).find((b) => b.area === 'input')!
    const ranges = distinctSpans(input)
    const status = ranges.find((r) => r.address === 5)!
    expect(status.spans.map((s) => s.point).sort()).toEqual(['direction', 'door'])
    expect(ranges).toHaveLength(9)
  })

  it('refuses a point outside the address space as a profile error', () => {
    expect(() => readPlan(profile({ a: { area: 'holding', address: 65535, type: 'u32' } }))).toThrow(expect.objectContaining({ code: GatewayErrorCode.Profile }))
  })
})
