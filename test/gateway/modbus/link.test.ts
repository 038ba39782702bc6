import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { GatewayErrorCode } from '../../../gateway/errors.ts'
import { ModbusLink, linkReconnectDelay } from '../../../gateway/modbus/link.ts'
import { BAUD, TestUnit, byId, captureLog, linkConfig, rtuOverTcpServer, rtuServer, tcpServer } from './fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

// tests that expect an answer give the loaded CI machine time to give it (the exception test
// once timed out at 300 ms while four test files shared two cores); the timeout tests keep 300 ms
const ANSWERS = { transport: 'tcp', timeoutMs: 3000 } as const

async function tcpLink(units: Record<number, TestUnit>, over: Parameters<typeof linkConfig>[0] = { transport: 'tcp' }) {
  const { server, port } = await tcpServer(byId(units))
  const { log, lines } = captureLog()
  const link = new ModbusLink(linkConfig({ host: '127.0.0.1', port, ...over }), log)
  cleanups.push(() => server.stop(), () => link.stop())
  link.start()
  await once(link, 'up')
  return { link, server, port, lines }
}

async function rtuLink(units: Record<number, TestUnit>, over: Partial<Parameters<typeof linkConfig>[0]> = {}) {
  const rtu = await rtuServer(byId(units))
  const { log } = captureLog()
  const link = new ModbusLink(linkConfig({ transport: 'rtu', path: rtu.path, baudRate: BAUD, ...over }), log, { staleGuardMs: over.timeoutMs })
  cleanups.push(() => rtu.stop(), () => link.stop())
  link.start()
  await once(link, 'up')
  return { link, rtu }
}

const rejection = async (p: Promise<unknown>) => {
  try { await p } catch (err) { return err as { code: string; data: Record<string, unknown> } }
  throw new Error('expected a rejection')
}

describe('ModbusLink over TCP', () => {
  it('reads every area and counts the exchange', async () => {
    const unit = new TestUnit(3)
    const { link } = await tcpLink({ 1: unit }, ANSWERS)
    expect(await link.read(1, 'holding', 10, 3)).toEqual([3010, 3011, 3012])
    expect(await link.read(1, 'input', 0, 2)).toEqual([3500, 3501])
    expect(await link.read(1, 'coil', 0, 5)).toEqual(unit.bits.coil.slice(0, 5))
    expect(await link.read(1, 'discrete', 3, 10)).toEqual(unit.bits.discrete.slice(3, 13))
    expect(link.connected).toBe(true)
    expect(link.counters).toMatchObject({ requests: 4, responses: 4, timeouts: 0, exceptions: 0 })
  })

  it('turns an exception answer into ModbusException with the request', async () => {
    const unit = new TestUnit()
    unit.refuse.add('input:7')
    const { link } = await tcpLink({ 1: unit }, ANSWERS)
    const err = await rejection(link.read(1, 'input', 0, 10))
    expect(err.code).toBe(GatewayErrorCode.ModbusException)
    expect(err.data).toMatchObject({ exceptionCode: 2, unitId: 1, area: 'input', address: 0, count: 10 })
    expect(link.counters.exceptions).toBe(1)
  })

  it('times a silent unit out itself, and refuses reads outside Modbus limits', async () => {
    const unit = new TestUnit()
    unit.wireMode = { mode: 'silent' }
    const { link } = await tcpLink({ 1: unit })
    const t0 = Date.now()
    const err = await rejection(link.read(1, 'holding', 0, 1, 200))
    expect(err.code).toBe(GatewayErrorCode.ModbusTimeout)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195)
    expect(Date.now() - t0).toBeLessThan(400)
    expect((await rejection(link.read(1, 'holding', 0, 126))).code).toBe(GatewayErrorCode.ModbusRequest)
    expect((await rejection(link.read(1, 'coil', 65535, 2))).code).toBe(GatewayErrorCode.ModbusRequest)
  })

  it('does not take a late reply for the answer to the next request (MBAP transaction ids)', async () => {
    const unit = new TestUnit(7)
    unit.wireMode = { mode: 'slow', delayMs: 450 }
    const { link } = await tcpLink({ 1: unit })
    expect((await rejection(link.read(1, 'holding', 0, 2))).code).toBe(GatewayErrorCode.ModbusTimeout)
    unit.wireMode = { mode: 'ok' }
    // Same unit, function and length: only the transaction id tells the two answers apart.
    expect(await link.read(1, 'holding', 20, 2)).toEqual([7020, 7021])
    expect(link.counters.lateReplies).toBe(1)
  })

  it('keeps the link while one unit of several is silent', async () => {
    const units = { 1: new TestUnit(1), 2: new TestUnit(2), 3: new TestUnit(3) }
    const { link } = await tcpLink(units)
    for (const id of [1, 2, 3] as const) await link.read(id, 'holding', 0, 1)
    units[3].wireMode = { mode: 'silent' }
    // Five timeouts in a row, 1.5 s without any answer: still only one unit's silence.
    for (let i = 0; i < 5; i++) expect((await rejection(link.read(3, 'holding', 0, 1))).code).toBe(GatewayErrorCode.ModbusTimeout)
    expect(link.connected).toBe(true)
    expect(link.counters.linkLost).toBe(0)
    expect(await link.read(1, 'holding', 0, 1)).toEqual([1000])
  })

  it('tears down and reconnects a link on which every unit went silent', async () => {
    const units = { 1: new TestUnit(1), 2: new TestUnit(2) }
    const { link, lines } = await tcpLink(units)
    await link.read(1, 'holding', 0, 1)
    await link.read(2, 'holding', 0, 1)
    units[1].wireMode = units[2].wireMode = { mode: 'silent' }
    const down = once(link, 'down')
    const errs = []
    for (const id of [1, 2, 1, 2]) errs.push((await rejection(link.read(id, 'holding', 0, 1))).code)
    const [reason] = await down as [{ code: string; data: Record<string, unknown> }]
    expect(reason.code).toBe(GatewayErrorCode.LinkDown)
    expect(reason.data.timeouts).toBeGreaterThanOrEqual(3)
    expect(errs.slice(0, 3)).toEqual([GatewayErrorCode.ModbusTimeout, GatewayErrorCode.ModbusTimeout, GatewayErrorCode.ModbusTimeout])
    expect(lines.some((l) => l.msg === 'link lost')).toBe(true)
    units[1].wireMode = { mode: 'ok' }
    await once(link, 'up')
    expect(await link.read(1, 'holding', 0, 1)).toEqual([1000])
    expect(link.counters).toMatchObject({ linkLost: 1, reconnects: 1 })
  })

  it('notices a stopped server, fails reads fast, and reconnects with backoff when it returns', async () => {
    const unit = new TestUnit(4)
    const { link, server, port } = await tcpLink({ 1: unit }, { transport: 'tcp', reconnect: { minMs: 100, maxMs: 400 } })
    expect(await link.read(1, 'holding', 1, 1)).toEqual([4001])
    const down = once(link, 'down')
    await server.stop()
    await down
    expect(link.connected).toBe(false)
    expect((await rejection(link.read(1, 'holding', 1, 1))).code).toBe(GatewayErrorCode.LinkDown)
    // Down for 1.5 s: backoff doubling from 100 ms to 400 ms allows a handful of attempts, not a storm.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(link.counters.connectFailures).toBeGreaterThanOrEqual(2)
    expect(link.counters.connectFailures).toBeLessThanOrEqual(8)
    const again = await tcpServer(byId({ 1: unit }), port)
    cleanups.push(() => again.server.stop())
    await once(link, 'up')
    expect(await link.read(1, 'holding', 1, 1)).toEqual([4001])
    expect(link.counters.reconnects).toBe(1)
  })

  it('stops idempotently, failing what waits', async () => {
    const unit = new TestUnit()
    unit.wireMode = { mode: 'silent' }
    const { link } = await tcpLink({ 1: unit })
    const waiting = rejection(link.read(1, 'holding', 0, 1, 5000))
    await Promise.all([link.stop(), link.stop()])
    expect((await waiting).code).toBe(GatewayErrorCode.LinkStopped)
    expect((await rejection(link.read(1, 'holding', 0, 1))).code).toBe(GatewayErrorCode.LinkStopped)
    expect(link.connected).toBe(false)
  })
})

describe('ModbusLink over RTU', () => {
  it('serialises concurrent reads of two units on one port', async () => {
    const units = { 1: new TestUnit(1), 2: new TestUnit(2) }
    const { link } = await rtuLink(units)
    const reads = Array.from({ length: 20 }, (_, i) => link.read(1 + (i % 2), 'holding', i, 1))
    const got = await Promise.all(reads)
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => [(1 + (i % 2)) * 1000 + i]))
    expect(link.counters).toMatchObject({ requests: 20, responses: 20, timeouts: 0 })
  })

  it('notices a vanished serial port from its close event, not from a timeout or isOpen', async () => {
    const { link, rtu } = await rtuLink({ 1: new TestUnit() }, { reconnect: { minMs: 100, maxMs: 400 } })
    expect(await link.read(1, 'holding', 0, 1)).toEqual([1000])
    const down = once(link, 'down')
    const t0 = Date.now()
    await rtu.stop()
    await down
    expect(Date.now() - t0).toBeLessThan(link.cfg.timeoutMs)
    expect((await rejection(link.read(1, 'holding', 0, 1))).code).toBe(GatewayErrorCode.LinkDown)
    expect(link.counters).toMatchObject({ linkLost: 1, timeouts: 0 })
  })

  it('keeps the pause between frames', async () => {
    const { link } = await rtuLink({ 1: new TestUnit() }, { pauseMs: 40 })
    const t0 = Date.now()
    await Promise.all(Array.from({ length: 6 }, () => link.read(1, 'holding', 0, 1)))
    expect(Date.now() - t0).toBeGreaterThanOrEqual(5 * 40)
  })

  it('does not take a late reply for the answer to the next request (no transaction id)', async () => {
    const unit = new TestUnit(5)
    unit.wireMode = { mode: 'slow', delayMs: 450 }
    const { link } = await rtuLink({ 1: unit }, { timeoutMs: 300 })
    expect((await rejection(link.read(1, 'holding', 0, 2))).code).toBe(GatewayErrorCode.ModbusTimeout)
    unit.wireMode = { mode: 'ok' }
    expect(await link.read(1, 'holding', 20, 2)).toEqual([5020, 5021])
    expect(link.counters.lateReplies).toBe(1)
  })

  it('(control) without the quiet interval the late reply would pass as the answer', async () => {
    const unit = new TestUnit(5)
    unit.wireMode = { mode: 'slow', delayMs: 450 }
    const rtu = await rtuServer(byId({ 1: unit }))
    const link = new ModbusLink(linkConfig({ transport: 'rtu', path: rtu.path }), captureLog().log, { staleGuardMs: 0 })
    cleanups.push(() => rtu.stop(), () => link.stop())
    link.start()
    await once(link, 'up')
    await rejection(link.read(1, 'holding', 0, 2))
    unit.wireMode = { mode: 'ok' }
    expect(await link.read(1, 'holding', 20, 2)).toEqual([5000, 5001])
  })

  it('reads through a transparent serial server (rtu-over-tcp: raw RTU frames in TCP)', async () => {
    const unit = new TestUnit(9)
    const peer = await rtuOverTcpServer(byId({ 4: unit }))
    const link = new ModbusLink(linkConfig({ transport: 'rtu-over-tcp', host: '127.0.0.1', port: peer.port }), captureLog().log)
    cleanups.push(() => peer.stop(), () => link.stop())
    link.start()
    await once(link, 'up')
    expect(await link.read(4, 'input', 2, 3)).toEqual([9502, 9503, 9504])
    unit.refuse.add('input:40')
    expect((await rejection(link.read(4, 'input', 40, 1))).data.exceptionCode).toBe(2)
  })
})

describe('linkReconnectDelay', () => {
  it('doubles from minMs up to maxMs, jittered above minMs', () => {
    const r = { minMs: 100, maxMs: 1000 }
    expect([0, 1, 2, 3, 10].map((a) => linkReconnectDelay(a, r, () => 1))).toEqual([200, 400, 800, 1000, 1000])
    expect([0, 5].map((a) => linkReconnectDelay(a, r, () => 0))).toEqual([100, 100])
  })
})
