import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { decode, liftwatchRef, type Profile } from '../../../protocol/index.ts'
import { GatewayErrorCode } from '../../../gateway/errors.ts'
import { ModbusLink } from '../../../gateway/modbus/link.ts'
import { RETRY_COALESCED_EVERY, readUnit, splitBlocks } from '../../../gateway/modbus/reader.ts'
import { Fleet } from '../../../simulators/fleet.ts'
import { CarUnit } from '../../../simulators/unit.ts'
import type { ModbusUnit } from '../../../simulators/modbus/device.ts'
import { TestUnit, byId, captureLog, linkConfig, tcpServer } from './fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

async function tcpLink(units: Record<number, ModbusUnit>) {
  const { server, port } = await tcpServer(byId(units))
  const link = new ModbusLink(linkConfig({ transport: 'tcp', host: '127.0.0.1', port }), captureLog().log)
  cleanups.push(() => server.stop(), () => link.stop())
  link.start()
  await once(link, 'up')
  return { link, server }
}

/** What the reference profile should decode to for this car: its controller view and parameters. */
function expected(fleet: Fleet, index: number): Record<string, unknown> {
  const src = fleet.source(index)
  const all: Record<string, unknown> = { ...src.state(), ...src.extras() }
  return Object.fromEntries(Object.keys(liftwatchRef.points).map((k) => [k, all[k]]))
}

// Input registers 0…13 only, so a refused address sits inside the one input block.
const inputs: Profile = {
  name: 'inputs', description: '', addressBase: 0,
  points: Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`r${i}`, { area: 'input', address: i, type: 'u16' }])) as Profile['points'],
}

describe('readUnit', () => {
  it('reads the whole liftwatch-ref map of a simulated car in 4 requests and decodes to its state', async () => {
    const fleet = new Fleet({ elevators: 2, region: '330922', seed: 7, traffic: 1 })
    for (let i = 0; i < 600; i++) fleet.advance(0.1)
    const { link } = await tcpLink({ 1: new CarUnit(fleet.source(0)), 2: new CarUnit(fleet.source(1)) })
    for (const [unitId, index] of [[1, 0], [2, 1]] as const) {
      const r = await readUnit(link, unitId, liftwatchRef)
      expect(r.requests).toBeLessThanOrEqual(4)
      expect(r.pointErrors).toEqual([])
      expect(decode(liftwatchRef, r.image)).toEqual(expected(fleet, index))
    }
    expect(link.counters.requests).toBe(8)
  })

  it('reads a refused block point by point, reports the bad point, and remembers the split', async () => {
    const unit = new TestUnit(2)
    unit.refuse.add('input:7')
    const { link } = await tcpLink({ 1: unit })
    const first = await readUnit(link, 1, inputs)
    expect(first.requests).toBe(1 + 14)
    expect(first.pointErrors).toHaveLength(1)
    expect(first.pointErrors[0]).toMatchObject({ point: 'r7', area: 'input', address: 7 })
    expect(first.pointErrors[0]!.err).toMatchObject({ code: GatewayErrorCode.ModbusException, data: { exceptionCode: 2, address: 7, count: 1 } })
    const values = decode(inputs, first.image)
    expect(values.r6).toBe(2506)
    expect(values.r8).toBe(2508)
    expect(values).not.toHaveProperty('r7')
    expect(splitBlocks(link, 1)).toEqual(['input:0+14'])
    // Next poll goes straight to per-point reads: no refused whole-block frame.
    const second = await readUnit(link, 1, inputs)
    expect(second.requests).toBe(14)
    expect(second.pointErrors.map((e) => e.point)).toEqual(['r7'])
  })

  it('tries the whole block again now and then, and keeps it whole once the unit serves it', async () => {
    const unit = new TestUnit(2)
    unit.refuse.add('input:7')
    const { link } = await tcpLink({ 1: unit })
    await readUnit(link, 1, inputs)
    unit.refuse.clear()
    let polls = 0
    while (splitBlocks(link, 1).length > 0) {
      await readUnit(link, 1, inputs)
      if (++polls > RETRY_COALESCED_EVERY + 1) throw new Error('never retried the whole block')
    }
    expect(polls).toBe(RETRY_COALESCED_EVERY + 1)
    const r = await readUnit(link, 1, inputs)
    expect(r.requests).toBe(1)
  })

  it('fails the poll, without splitting, when the unit refuses as a device (04) or times out', async () => {
    const unit = new TestUnit()
    unit.wireMode = { mode: 'exception', code: 4 }
    const { link, server } = await tcpLink({ 1: unit })
    await expect(readUnit(link, 1, liftwatchRef)).rejects.toMatchObject({ code: GatewayErrorCode.ModbusException, data: { exceptionCode: 4 } })
    expect(server.stats.requests).toBe(1)
    unit.wireMode = { mode: 'silent' }
    await expect(readUnit(link, 1, liftwatchRef)).rejects.toMatchObject({ code: GatewayErrorCode.ModbusTimeout })
    expect(server.stats.requests).toBe(2)
  })

  it('fails the poll when every point is refused', async () => {
    const unit = new TestUnit()
    for (let a = 0; a < 14; a++) unit.refuse.add(`input:${a}`)
    const { link } = await tcpLink({ 1: unit })
    await expect(readUnit(link, 1, inputs)).rejects.toMatchObject({ code: GatewayErrorCode.ModbusException, data: { exceptionCode: 2 } })
    expect(splitBlocks(link, 1)).toEqual([])
  })
})
