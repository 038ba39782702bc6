import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import ModbusSerial from 'modbus-serial'
import { SerialPort } from 'serialport'
import { ModbusRtuServer, requestLength, t35Ms } from '../../../simulators/modbus/rtu-server.ts'
import { crc16 } from '../../../simulators/modbus/crc.ts'
import { ModbusServerErrorCode } from '../../../simulators/modbus/device.ts'
import type { ModbusServerError } from '../../../simulators/modbus/device.ts'
import { ArrayUnit } from './array-unit.ts'

// modbus-serial is CommonJS: under NodeNext its typed default export is `.default`, which the
// package also sets at run time (module.exports.default = module.exports).
const ModbusRTU = ModbusSerial.default
type ModbusRTU = InstanceType<typeof ModbusRTU>

const BAUD = 19200
const dir = mkdtempSync(join(tmpdir(), 'lw-rtu-'))
const socats: ChildProcess[] = []
const units = new Map<number, ArrayUnit>()
const errors: ModbusServerError[] = []
let errorSeen: (() => void) | undefined

/** Starts a socat pty pair and resolves once both links exist (docs/architecture.md#real-peers: RTU over a socat pty pair). */
async function ptyPair(name: string): Promise<{ server: string; client: string }> {
  const server = join(dir, `${name}-a`)
  const client = join(dir, `${name}-b`)
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${server}`, `pty,raw,echo=0,link=${client}`])
  socats.push(socat)
  await new Promise<void>((resolve, reject) => {
    let log = ''
    socat.once('error', (err) =>
      reject(new Error(`socat could not start (${err.message}); install it: apt-get install socat`, { cause: err })),
    )
    socat.once('exit', (code) => reject(new Error(`socat exited with ${code}: ${log}`)))
    // With -d -d socat logs this line once both ptys and their links are in place.
    socat.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString()
      if (log.includes('starting data transfer loop')) resolve()
    })
  })
  if (!existsSync(server) || !existsSync(client)) throw new Error(`socat did not create ${server} and ${client}`)
  return { server, client }
}

const withCrc = (bytes: number[]): Buffer => {
  const frame = Buffer.from([...bytes, 0, 0])
  frame.writeUInt16LE(crc16(frame, 0, frame.length - 2), frame.length - 2)
  return frame
}

/** A raw serial client, for what modbus-serial cannot send: broadcasts, garbage, unknown codes. */
class RawPort {
  readonly port: SerialPort
  private rx = Buffer.alloc(0)
  private want: { length: number; resolve: (b: Buffer) => void } | undefined

  constructor(path: string) {
    this.port = new SerialPort({ path, baudRate: BAUD, autoOpen: false })
    this.port.on('data', (chunk: Buffer) => {
      this.rx = Buffer.concat([this.rx, chunk])
      this.deliver()
    })
  }

  read(length: number): Promise<Buffer> {
    return new Promise((resolve) => {
      this.want = { length, resolve }
      this.deliver()
    })
  }

  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.port.write(bytes, (err) => (err ? reject(err) : this.port.drain(() => resolve()))))
  }

  private deliver(): void {
    if (!this.want || this.rx.length < this.want.length) return
    const { length, resolve } = this.want
    this.want = undefined
    const out = this.rx.subarray(0, length)
    this.rx = this.rx.subarray(length)
    resolve(out)
  }
}

const rtuServers: ModbusRtuServer[] = []
const client = new ModbusRTU()
let raw: RawPort

beforeAll(async () => {
  const [main, second] = await Promise.all([ptyPair('main'), ptyPair('raw')])
  for (const path of [main.server, second.server]) {
    const server = new ModbusRtuServer({
      path,
      baudRate: BAUD,
      resolve: (id) => units.get(id),
      onError: (err) => {
        errors.push(err)
        errorSeen?.()
      },
    })
    await server.start()
    rtuServers.push(server)
  }
  await client.connectRTUBuffered(main.client, { baudRate: BAUD })
  client.setTimeout(1000)
  raw = new RawPort(second.client)
  await new Promise<void>((resolve, reject) => raw.port.open((err) => (err ? reject(err) : resolve())))
})

afterAll(async () => {
  await new Promise<void>((resolve) => (client.isOpen ? client.close(() => resolve()) : resolve()))
  if (raw?.port.isOpen) await new Promise<void>((resolve) => raw.port.close(() => resolve()))
  await Promise.all(rtuServers.map((s) => s.stop()))
  await Promise.all(rtuServers.map((s) => s.stop()))
  await Promise.all(
    socats.map(async (s) => {
      if (s.exitCode !== null || s.signalCode !== null) return
      const exited = once(s, 'exit')
      s.kill('SIGTERM')
      await exited
    }),
  )
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(() => {
  units.clear()
  units.set(1, new ArrayUnit(100, 1))
  units.set(2, new ArrayUnit(100, 2))
  errors.length = 0
})

describe('ModbusRtuServer with the modbus-serial client on a pty pair', () => {
  it('serves units 1 and 2 on the same link', async () => {
    client.setID(1)
    expect((await client.readHoldingRegisters(0, 3)).data).toEqual([1000, 1001, 1002])
    expect((await client.readCoils(0, 6)).data.slice(0, 6)).toEqual(units.get(1)!.coils.slice(0, 6))
    client.setID(2)
    expect((await client.readInputRegisters(5, 2)).data).toEqual([2505, 2506])
    expect((await client.readDiscreteInputs(1, 9)).data.slice(0, 9)).toEqual(units.get(2)!.discrete.slice(1, 10))
  })

  it('writes registers and coils on one unit only', async () => {
    client.setID(2)
    await client.writeRegisters(10, [7, 8, 9])
    await client.writeCoil(3, true)
    await client.writeRegister(0, 0xabcd)
    await client.writeCoils(50, [true, true, false])
    expect(units.get(2)!.holding.slice(10, 13)).toEqual([7, 8, 9])
    expect(units.get(2)!.holding[0]).toBe(0xabcd)
    expect(units.get(2)!.coils.slice(50, 53)).toEqual([true, true, false])
    expect(units.get(1)!.holding.slice(10, 13)).toEqual([1010, 1011, 1012])
  })

  it('answers exceptions: outside the map (02) and a unit in exception mode', async () => {
    client.setID(1)
    await expect(client.readHoldingRegisters(99, 2)).rejects.toMatchObject({ modbusCode: 2 })
    units.get(2)!.behaviour = { mode: 'exception', code: 0x06 }
    client.setID(2)
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 6 })
  })

  it('a silent unit times out, and the next request to another unit still works', async () => {
    units.set(3, new ArrayUnit(10, 3))
    units.get(3)!.behaviour = { mode: 'silent' }
    client.setID(3)
    client.setTimeout(300)
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' })
    client.setID(9) // no such unit: silent as well, another device might own the address
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' })
    client.setID(1)
    client.setTimeout(1000)
    expect((await client.readHoldingRegisters(4, 1)).data).toEqual([1004])
  })

  it('a slow unit answers after its delay', async () => {
    units.get(1)!.behaviour = { mode: 'slow', delayMs: 120 }
    client.setID(1)
    const t0 = performance.now()
    expect((await client.readHoldingRegisters(1, 1)).data).toEqual([1001])
    expect(performance.now() - t0).toBeGreaterThanOrEqual(119)
  })
})

describe('ModbusRtuServer framing', () => {
  it('skips garbage before a frame and reports it once', async () => {
    const before = rtuServers[1]!.stats.badFrames
    await raw.write(Buffer.concat([Buffer.from([0x55, 0x01, 0x03, 0xff]), withCrc([1, 3, 0, 2, 0, 1])]))
    expect((await raw.read(7)).toString('hex')).toBe(withCrc([1, 3, 2, 0x03, 0xea]).toString('hex'))
    expect(rtuServers[1]!.stats.badFrames).toBe(before + 1)
    expect(errors.map((e) => e.code)).toEqual([ModbusServerErrorCode.BadFrame])
  })

  it('assembles a frame split across writes and serves back-to-back frames', async () => {
    const fc16 = withCrc([2, 0x10, 0, 4, 0, 2, 4, 0, 1, 0, 2])
    await raw.write(fc16.subarray(0, 5))
    await raw.write(Buffer.concat([fc16.subarray(5), withCrc([2, 6, 0, 6, 0, 9])]))
    expect((await raw.read(8)).toString('hex')).toBe(withCrc([2, 0x10, 0, 4, 0, 2]).toString('hex'))
    expect((await raw.read(8)).toString('hex')).toBe(withCrc([2, 6, 0, 6, 0, 9]).toString('hex'))
    expect(units.get(2)!.holding.slice(4, 7)).toEqual([1, 2, 9])
  })

  it('answers an unknown function code with exception 01', async () => {
    await raw.write(withCrc([1, 0x2b, 0x0e, 0x01, 0x00]))
    expect((await raw.read(5)).toString('hex')).toBe(withCrc([1, 0xab, 0x01]).toString('hex'))
  })

  it('executes a broadcast write on every unit and answers nothing', async () => {
    await raw.write(withCrc([0, 6, 0, 8, 0x12, 0x34]))
    // The next addressed request is answered first: nothing came back for the broadcast.
    await raw.write(withCrc([1, 3, 0, 8, 0, 1]))
    expect((await raw.read(7)).toString('hex')).toBe(withCrc([1, 3, 2, 0x12, 0x34]).toString('hex'))
    expect(units.get(2)!.holding[8]).toBe(0x1234)
  })

  it('drops a partial frame after a silent interval', async () => {
    const reported = new Promise<void>((resolve) => (errorSeen = resolve))
    await raw.write(withCrc([1, 3, 0, 0, 0, 1]).subarray(0, 5))
    // Waiting is the point here: the gap itself is under test.
    await reported
    errorSeen = undefined
    expect(errors.map((e) => e.code)).toEqual([ModbusServerErrorCode.BadFrame])
    await raw.write(withCrc([1, 3, 0, 1, 0, 1]))
    expect((await raw.read(7)).toString('hex')).toBe(withCrc([1, 3, 2, 0x03, 0xe9]).toString('hex'))
  })
})

describe('RTU helpers', () => {
  it('t3.5 is 3.5 eleven-bit characters, fixed at 1.75 ms above 19200 baud', () => {
    expect(t35Ms(9600)).toBeCloseTo(4.010, 3)
    expect(t35Ms(19200)).toBeCloseTo(2.005, 3)
    expect(t35Ms(115200)).toBe(1.75)
  })

  it('requestLength derives the length from the function code and byte count', () => {
    expect(requestLength(Buffer.from([1]), 0)).toBe(0)
    expect(requestLength(Buffer.from([1, 3]), 0)).toBe(8)
    expect(requestLength(Buffer.from([1, 0x10, 0, 0, 0, 1]), 0)).toBe(0)
    expect(requestLength(Buffer.from([1, 0x10, 0, 0, 0, 1, 2]), 0)).toBe(11)
    expect(requestLength(Buffer.from([1, 0x0f, 0, 0, 0, 1, 250]), 0)).toBe(-1)
    expect(requestLength(withCrc([1, 0x2b, 0x0e]), 0)).toBe(5)
  })
})
