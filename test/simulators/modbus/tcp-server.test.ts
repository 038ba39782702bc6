import net from 'node:net'
import { once } from 'node:events'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import ModbusSerial from 'modbus-serial'
import { ModbusTcpServer } from '../../../simulators/modbus/tcp-server.ts'
import { ModbusServerErrorCode } from '../../../simulators/modbus/device.ts'
import type { ModbusErrorContext, ModbusServerError } from '../../../simulators/modbus/device.ts'
import { ArrayUnit } from './array-unit.ts'

// modbus-serial is CommonJS: under NodeNext its typed default export is `.default`, which the
// package also sets at run time (module.exports.default = module.exports).
const ModbusRTU = ModbusSerial.default
type ModbusRTU = InstanceType<typeof ModbusRTU>

const units = new Map<number, ArrayUnit>()
const errors: { err: ModbusServerError; ctx: ModbusErrorContext }[] = []
const server = new ModbusTcpServer({ port: 0, resolve: (id) => units.get(id), onError: (err, ctx) => errors.push({ err, ctx }) })
let port = 0
const clients: ModbusRTU[] = []
const sockets: net.Socket[] = []

async function client(unitId = 1, timeoutMs = 2000): Promise<ModbusRTU> {
  const c = new ModbusRTU()
  await c.connectTCP('127.0.0.1', { port })
  c.setID(unitId)
  c.setTimeout(timeoutMs)
  clients.push(c)
  return c
}

/** A raw socket that collects whole MBAP frames, for what modbus-serial cannot send. */
class RawClient {
  readonly socket: net.Socket
  private buf = Buffer.alloc(0)
  private readonly frames: Buffer[] = []
  private waiting: ((frame: Buffer) => void) | undefined

  constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 6 && this.buf.length >= 6 + this.buf.readUInt16BE(4)) {
        const len = 6 + this.buf.readUInt16BE(4)
        this.frames.push(this.buf.subarray(0, len))
        this.buf = this.buf.subarray(len)
      }
      this.deliver()
    })
  }

  static async connect(): Promise<RawClient> {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
    sockets.push(socket)
    await once(socket, 'connect')
    return new RawClient(socket)
  }

  next(): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiting = resolve
      this.deliver()
    })
  }

  private deliver(): void {
    const frame = this.waiting && this.frames.shift()
    if (!frame || !this.waiting) return
    const resolve = this.waiting
    this.waiting = undefined
    resolve(frame)
  }
}

const mbap = (tid: number, unitId: number, pdu: number[]): Buffer =>
  Buffer.from([tid >> 8, tid & 0xff, 0, 0, 0, pdu.length + 1, unitId, ...pdu])
const readHolding = (tid: number, unitId: number, address: number, count: number): Buffer =>
  mbap(tid, unitId, [0x03, address >> 8, address & 0xff, count >> 8, count & 0xff])

beforeAll(async () => {
  port = await server.start()
})
afterAll(async () => {
  await server.stop()
})
beforeEach(() => {
  units.clear()
  units.set(1, new ArrayUnit(100, 1))
  units.set(2, new ArrayUnit(100, 2))
  errors.length = 0
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => new Promise<void>((resolve) => c.close(() => resolve()))))
  for (const s of sockets.splice(0)) s.destroy()
})

describe('ModbusTcpServer with the modbus-serial client', () => {
  it('reads coils, discrete inputs, holding and input registers', async () => {
    const c = await client(2)
    const unit = units.get(2)!
    expect((await c.readCoils(3, 10)).data.slice(0, 10)).toEqual(unit.coils.slice(3, 13))
    expect((await c.readDiscreteInputs(0, 17)).data.slice(0, 17)).toEqual(unit.discrete.slice(0, 17))
    expect((await c.readHoldingRegisters(10, 32)).data).toEqual(unit.holding.slice(10, 42))
    expect((await c.readInputRegisters(90, 10)).data).toEqual(unit.input.slice(90, 100))
  })

  it('writes a coil, a register, several coils and several registers', async () => {
    const c = await client(1)
    const unit = units.get(1)!
    await c.writeCoil(5, !unit.coils[5])
    expect(unit.coils[5]).toBe(!new ArrayUnit(100, 1).coils[5])
    await c.writeRegister(7, 0xfeed)
    expect(unit.holding[7]).toBe(0xfeed)
    const bits = [true, false, true, true, false, false, true, true, true, false, true]
    await c.writeCoils(20, bits)
    expect(unit.coils.slice(20, 31)).toEqual(bits)
    await c.writeRegisters(40, [1, 2, 0xffff])
    expect((await c.readHoldingRegisters(40, 3)).data).toEqual([1, 2, 0xffff])
  })

  it('an address outside the unit map surfaces as modbusCode 2', async () => {
    const c = await client(1)
    await expect(c.readHoldingRegisters(95, 10)).rejects.toMatchObject({ modbusCode: 2 })
    expect(server.stats.exceptions).toBeGreaterThan(0)
  })

  it('an unknown unit is exception 0x0B', async () => {
    const c = await client(9)
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 0x0b })
  })

  it('a unit in exception mode answers that exception to every request', async () => {
    units.get(1)!.behaviour = { mode: 'exception', code: 0x06 }
    const c = await client(1)
    await expect(c.readCoils(0, 1)).rejects.toMatchObject({ modbusCode: 6 })
    await expect(c.writeRegister(0, 1)).rejects.toMatchObject({ modbusCode: 6 })
  })

  it('a silent unit makes the client time out, and the connection still serves afterwards', async () => {
    units.get(1)!.behaviour = { mode: 'silent' }
    const c = await client(1, 300)
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' })
    units.get(1)!.behaviour = { mode: 'ok' }
    expect((await c.readHoldingRegisters(0, 1)).data).toEqual([1000])
  })

  it('a slow unit answers correctly after its delay', async () => {
    units.get(1)!.behaviour = { mode: 'slow', delayMs: 150 }
    const c = await client(1)
    const t0 = performance.now()
    expect((await c.readHoldingRegisters(2, 2)).data).toEqual([1002, 1003])
    // Node timers have millisecond resolution and may fire up to 1 ms early against performance.now.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(149)
  })

  it('a unit that throws is answered 0x04 and reported', async () => {
    units.get(1)!.readRegisters = () => {
      throw new Error('map exploded')
    }
    const c = await client(1)
    await expect(c.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 4 })
    expect(errors.map((e) => [e.err.code, e.ctx.unitId])).toEqual([[ModbusServerErrorCode.UnitFailed, 1]])
  })
})

describe('ModbusTcpServer framing', () => {
  it('assembles a request written one byte at a time', async () => {
    const raw = await RawClient.connect()
    for (const byte of readHolding(0x1234, 1, 4, 2)) {
      await new Promise<void>((resolve, reject) => raw.socket.write(Buffer.from([byte]), (err) => (err ? reject(err) : resolve())))
      // One turn of the event loop, so the server (same process) reads this byte on its own.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    expect((await raw.next()).toString('hex')).toBe('123400000007010304' + '03ec03ed')
  })

  it('answers several frames from one chunk, in order', async () => {
    const raw = await RawClient.connect()
    raw.socket.write(Buffer.concat([readHolding(1, 1, 0, 1), readHolding(2, 2, 0, 1), readHolding(3, 7, 0, 1)]))
    const frames = [await raw.next(), await raw.next(), await raw.next()]
    expect(frames.map((f) => f.readUInt16BE(0))).toEqual([1, 2, 3])
    expect(frames.map((f) => f.subarray(6).toString('hex'))).toEqual(['01030203e8', '02030207d0', '07830b'])
  })

  it('keeps pipelined replies in request order behind a slow unit', async () => {
    units.get(1)!.behaviour = { mode: 'slow', delayMs: 80 }
    const raw = await RawClient.connect()
    raw.socket.write(Buffer.concat([readHolding(10, 1, 0, 1), readHolding(11, 2, 0, 1), readHolding(12, 1, 1, 1)]))
    const frames = [await raw.next(), await raw.next(), await raw.next()]
    expect(frames.map((f) => f.readUInt16BE(0))).toEqual([10, 11, 12])
  })

  it('a reply is computed when its request arrives, not when a slow unit sends it', async () => {
    units.get(1)!.behaviour = { mode: 'slow', delayMs: 50 }
    const raw = await RawClient.connect()
    const write = mbap(21, 1, [0x06, 0, 0, 0x00, 0x2a])
    raw.socket.write(Buffer.concat([readHolding(20, 1, 0, 1), write]))
    expect((await raw.next()).subarray(9).toString('hex')).toBe('03e8')
    expect((await raw.next()).readUInt16BE(0)).toBe(21)
    expect(units.get(1)!.holding[0]).toBe(42)
  })

  it.each([
    ['protocol id 1', Buffer.from([0, 1, 0, 1, 0, 6, 1, 3, 0, 0, 0, 1])],
    ['length 1', Buffer.from([0, 1, 0, 0, 0, 1, 1])],
    ['length 255', Buffer.from([0, 1, 0, 0, 0, 255])],
  ])('garbage (%s) closes only that connection and is reported', async (_name, garbage) => {
    const good = await client(1)
    const raw = await RawClient.connect()
    const badBefore = server.stats.badFrames
    const closed = once(raw.socket, 'close')
    raw.socket.write(garbage)
    await closed
    expect(server.stats.badFrames).toBe(badBefore + 1)
    expect(errors.map((e) => e.err.code)).toContain(ModbusServerErrorCode.BadFrame)
    expect(errors.find((e) => e.err.code === ModbusServerErrorCode.BadFrame)?.err.message).toMatch(/MBAP header rejected/)
    expect((await good.readHoldingRegisters(0, 2)).data).toEqual([1000, 1001])
  })
})

describe('ModbusTcpServer lifecycle', () => {
  it('counts connections, and stop destroys them and may be called twice', async () => {
    const own = new ModbusTcpServer({ port: 0, resolve: (id) => units.get(id) })
    await own.stop()
    const ownPort = await own.start()
    expect(ownPort).toBeGreaterThan(0)
    const socket = net.connect({ port: ownPort, host: '127.0.0.1' })
    sockets.push(socket)
    await once(socket, 'connect')
    const r = new RawClient(socket)
    socket.write(readHolding(1, 1, 0, 1))
    await r.next()
    expect(own.stats).toMatchObject({ connections: 1, accepted: 1, requests: 1 })
    const closed = once(socket, 'close')
    await Promise.all([own.stop(), own.stop()])
    await closed
    expect(own.stats.connections).toBe(0)
    await own.stop()
  })

  it('start rejects when the port is taken', async () => {
    const clash = new ModbusTcpServer({ port, resolve: () => undefined })
    await expect(clash.start()).rejects.toMatchObject({ code: 'EADDRINUSE' })
    await clash.stop()
  })
})
