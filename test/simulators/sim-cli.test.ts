// `liftwatch sim` as a real process, read by Debian's mbpoll (a Modbus client nobody here wrote)
// and by modbus-serial over a socat pty pair (RTU).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import ModbusSerial from 'modbus-serial'
import { decode, emptyImage, encode, liftwatchRef, type RegisterImage } from '../../protocol/index.ts'
import { Fleet } from '../../simulators/fleet.ts'
import { freePort } from '../helpers/ports.ts'
import { run, startCli, type Cli } from '../helpers/cli.ts'
import { ptyPair, type PtyPair } from '../helpers/socat.ts'

// modbus-serial is CommonJS; under NodeNext its typed constructor is `.default`.
const ModbusRTU = ModbusSerial.default
const SEED = 7
// The same fleet the CLI builds, in this process: with no traffic its cars stay parked, so the
// state the CLI serves is the one this fleet starts in.
const expected = (unit: number) => {
  const fleet = new Fleet({ elevators: 3, region: '330922', seed: SEED, traffic: 0 })
  const src = fleet.source(unit - 1)
  return { ...src.state(), ...src.extras() }
}

/** mbpoll prints one `[ref]: value` line per value. */
function parseMbpoll(stdout: string): number[] {
  return [...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => Number(m[2]))
}

async function mbpoll(args: string[]): Promise<number[]> {
  const r = await run('mbpoll', ['-1', '-o', '2', ...args])
  if (r.code !== 0) throw new Error(`mbpoll ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`)
  return parseMbpoll(r.stdout)
}

async function readWithMbpoll(target: string[], unit: number): Promise<RegisterImage> {
  const img = emptyImage()
  img.coil = (await mbpoll([...target, '-a', String(unit), '-t', '0', '-c', '16'])).map((v) => v === 1)
  img.discrete = (await mbpoll([...target, '-a', String(unit), '-t', '1', '-c', '16'])).map((v) => v === 1)
  img.input = await mbpoll([...target, '-a', String(unit), '-t', '3:hex', '-c', '32'])
  img.holding = await mbpoll([...target, '-a', String(unit), '-t', '4:hex', '-c', '32'])
  return img
}

describe('liftwatch sim over Modbus TCP, read by mbpoll', () => {
  let sim: Cli
  let port: number
  beforeAll(async () => {
    port = await freePort()
    sim = startCli(['sim', '--elevators', '3', '--port', String(port), '--traffic', '0', '--seed', String(SEED)])
    await sim.waitFor('simulator listening')
  })
  afterAll(async () => { expect(await sim.stop()).toBe(0) })

  it.each([1, 2, 3])('unit %i: mbpoll values decode to the simulated car', async (unit) => {
    const img = await readWithMbpoll(['-m', 'tcp', '-p', String(port), '127.0.0.1'], unit)
    const want = expected(unit)
    expect(decode(liftwatchRef, img)).toEqual(want)
    // and register for register, what docs/register-map.md lays out
    const raw = encode(liftwatchRef, want)
    raw.input.forEach((r, i) => expect(img.input[i], `input ${i}`).toBe(r ?? 0))
    expect(img.input.slice(13)).toEqual(new Array(19).fill(0))
  })

  it('answers exception 02 past the map and 0x0B for a unit that is not there', async () => {
    const past = await run('mbpoll', ['-1', '-o', '1', '-m', 'tcp', '-p', String(port), '-a', '1', '-t', '3', '-r', '32', '-c', '2', '127.0.0.1'])
    expect(past.stdout + past.stderr).toMatch(/Illegal data address/i)
    const absent = await run('mbpoll', ['-1', '-o', '1', '-m', 'tcp', '-p', String(port), '-a', '4', '-t', '3', '-c', '1', '127.0.0.1'])
    expect(absent.stdout + absent.stderr).toMatch(/Target device failed to respond|gateway/i)
  })

  it('keeps serving after garbage on the wire', async () => {
    const { createConnection } = await import('node:net')
    await new Promise<void>((resolve) => {
      const s = createConnection(port, '127.0.0.1', () => s.end(Buffer.from('GET / HTTP/1.1\r\n\r\n')))
      s.on('close', () => resolve())
      s.on('error', () => resolve())
    })
    expect(await mbpoll(['-m', 'tcp', '-p', String(port), '-a', '2', '-t', '3', '-c', '1', '127.0.0.1'])).toHaveLength(1)
  })
})

describe('liftwatch sim over Modbus RTU on a socat pty pair', () => {
  let sim: Cli
  let pty: PtyPair
  beforeAll(async () => {
    pty = await ptyPair()
    sim = startCli(['sim', '--elevators', '3', '--port', '0', '--serial', pty.a, '--baud', '19200', '--traffic', '0', '--seed', String(SEED)])
    await sim.waitFor('simulator listening')
  })
  afterAll(async () => {
    expect(await sim.stop()).toBe(0)
    await pty.close()
  })

  it('a modbus-serial RTU client reads the same values for two units on one link', async () => {
    const client = new ModbusRTU()
    await client.connectRTUBuffered(pty.b, { baudRate: 19200 })
    client.setTimeout(2000)
    try {
      for (const unit of [1, 2]) {
        client.setID(unit)
        const img = emptyImage()
        img.coil = (await client.readCoils(0, 16)).data
        img.discrete = (await client.readDiscreteInputs(0, 16)).data
        img.input = (await client.readInputRegisters(0, 32)).data
        img.holding = (await client.readHoldingRegisters(0, 32)).data
        expect(decode(liftwatchRef, img)).toEqual(expected(unit))
      }
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()))
    }
  })

  it('mbpoll reads the same over RTU', async () => {
    const img = await readWithMbpoll(['-m', 'rtu', '-b', '19200', '-P', 'none', pty.b], 3)
    expect(decode(liftwatchRef, img)).toEqual(expected(3))
  })
})

describe('liftwatch sim options', () => {
  it('lists every bad option and exits 2', async () => {
    const r = await run(process.execPath, [new URL('../../bin/liftwatch.js', import.meta.url).pathname, 'sim', '--elevators', 'x', '--region', '12', '--traffic', '2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--elevators: must be an integer/)
    expect(r.stderr).toMatch(/--region: must be a 6-digit/)
    expect(r.stderr).toMatch(/--traffic: must be a number/)
  })
})
