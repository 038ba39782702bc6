// `liftwatch probe` as a real process against real Modbus servers: the simulator (liftwatch-ref)
// and, in this process, an I/O module serving the io-retrofit map (addressBase 1).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { encode, liftwatchRef, type RegisterImage } from '../../../protocol/index.ts'
import { loadProfile } from '../../../gateway/profiles.ts'
import { Fleet } from '../../../simulators/fleet.ts'
import { ModbusTcpServer } from '../../../simulators/modbus/tcp-server.ts'
import { ModbusException, type ModbusUnit } from '../../../simulators/modbus/device.ts'
import { freePort } from '../../helpers/ports.ts'
import { LIFTWATCH, run, startCli, type Cli } from '../../helpers/cli.ts'

const probe = (args: string[], timeoutMs = 20_000) => run(process.execPath, [LIFTWATCH, 'probe', ...args], timeoutMs)

interface Row { name: string; area: string; address: number; raw: number[] | boolean | null; value: unknown; error?: { text: string; exceptionCode?: number } }
interface ProbeJson { unit: number; fresh: boolean; values: Record<string, unknown>; points: Row[] }

describe('liftwatch probe against liftwatch sim', () => {
  let sim: Cli
  let port: number
  // the same fleet the simulator builds: with no traffic its cars stay as they start
  const expected = (unit: number) => {
    const src = new Fleet({ elevators: 2, region: '330922', seed: 1, traffic: 0 }).source(unit - 1)
    return { ...src.state(), ...src.extras() }
  }
  beforeAll(async () => {
    port = await freePort()
    sim = startCli(['sim', '--elevators', '2', '--port', String(port), '--traffic', '0'])
    await sim.waitFor('simulator listening')
  })
  afterAll(async () => { expect(await sim.stop()).toBe(0) })

  it.each([1, 2])('--once --json, unit %i: decoded values are the simulated car, raw registers its encoding', async (unit) => {
    const r = await probe(['--host', '127.0.0.1', '--port', String(port), '--unit', String(unit), '--once', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const snap = JSON.parse(r.stdout) as ProbeJson
    const want = expected(unit)
    expect(snap.values).toEqual(want)
    expect(snap.points.map((p) => p.name)).toEqual(Object.keys(liftwatchRef.points))
    const image = encode(liftwatchRef, want)
    for (const p of snap.points) {
      const point = liftwatchRef.points[p.name]!
      const raw = point.area === 'coil' || point.area === 'discrete'
        ? image[point.area][point.address] ?? false
        : (image[point.area] as RegisterImage['input']).slice(point.address, point.address + (Array.isArray(p.raw) ? p.raw.length : 1)).map((w) => w ?? 0)
      expect(p.raw, p.name).toEqual(raw)
      expect(p.error).toBeUndefined()
    }
  })

  it('--once without --json prints the table: name, area, address, raw hex, decoded value', async () => {
    const r = await probe(['--host', '127.0.0.1', '--port', String(port), '--once', '--lang', 'en'])
    expect(r.code, r.stderr).toBe(0)
    const floor = expected(1).floorIndex
    expect(r.stdout).toMatch(new RegExp(`floorIndex\\s+input\\s+0\\s+0x${floor.toString(16).toUpperCase().padStart(4, '0')}\\s+${floor}\\b`))
    expect(r.stdout).toMatch(/door\s+input\s+5\s+0x0004 b2\.\.0=100\s+"closed"/)
    expect(r.stdout).toMatch(/position\s+input\s+1–2\s+0x[0-9A-F]{4} 0x[0-9A-F]{4}\s/)
  })

  it('--scan finds exactly units 1 and 2', async () => {
    const r = await probe(['--host', '127.0.0.1', '--port', String(port), '--scan', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const scan = JSON.parse(r.stdout) as { scanned: number; responders: { unitId: number; status: string }[]; gatewayAnswered: number[] }
    expect(scan.scanned).toBe(247)
    expect(scan.responders.map((x) => [x.unitId, x.status])).toEqual([[1, 'answered'], [2, 'answered']])
    // the simulator answers 0B for ids it does not serve: a gateway speaking for nobody
    expect(scan.gatewayAnswered).toHaveLength(245)
  })

  it('--scan in text lists the responders', async () => {
    const r = await probe(['--host', '127.0.0.1', '--port', String(port), '--scan', '--from', '1', '--to', '4', '--lang', 'en'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/2 unit\(s\) answered on tcp 127\.0\.0\.1:\d+, ids 1…4/)
    expect(r.stdout).toMatch(/^\s+1\s+answered/m)
    expect(r.stdout).toMatch(/^\s+2\s+answered/m)
  })
})

describe('liftwatch probe: failures', () => {
  it('exits 1 with a message in both languages when the link cannot be reached', async () => {
    const closed = await freePort()
    const r = await probe(['--host', '127.0.0.1', '--port', String(closed), '--once', '--connect-timeout', '1000'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(new RegExp(`无法连接 tcp 127\\.0\\.0\\.1:${closed}`))
    expect(r.stderr).toMatch(new RegExp(`cannot reach tcp 127\\.0\\.0\\.1:${closed}`))
    expect(r.stderr).toMatch(/ECONNREFUSED/)
    expect(r.stdout).toBe('')
  })

  it('lists every bad option and exits 2', async () => {
    const r = await probe(['--unit', '0', '--interval', 'x', '--parity', 'mark', '--serial', '/dev/null', '--lang', 'fr'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--unit: must be an integer 1…255/)
    expect(r.stderr).toMatch(/--interval: must be an integer/)
    expect(r.stderr).toMatch(/--parity: must be one of/)
    expect(r.stderr).toMatch(/--lang: must be one of zh, en, both/)
  })
})

/** An I/O module: 16 discrete inputs and 2 input registers; other areas refused. */
function ioModule(image: RegisterImage): ModbusUnit {
  return {
    readBits: (area, address, count) => area !== 'discrete' ? ModbusException.IllegalFunction
      : address + count > 16 ? ModbusException.IllegalDataAddress
      : Array.from({ length: count }, (_, i) => image.discrete[address + i] ?? false),
    readRegisters: (area, address, count) => area !== 'input' ? ModbusException.IllegalFunction
      : address + count > 2 ? ModbusException.IllegalDataAddress
      : Array.from({ length: count }, (_, i) => image.input[address + i] ?? 0),
    writeCoils: () => ModbusException.IllegalFunction,
    writeRegisters: () => ModbusException.IllegalFunction,
    wire: () => ({ mode: 'ok' }),
  }
}

describe('liftwatch probe on an io-retrofit I/O module (addressBase 1)', () => {
  const profile = loadProfile('io-retrofit')
  const state = {
    doorClosed: true, doorOpenLimit: false, doorZone: true, occupied: false, alarmButton: false, safetyCircuit: true,
    upLimit: false, downLimit: true, moving: false, runUp: false, runDown: false, inspection: true, mainsPresent: true, position: 3.0,
  }
  let server: ModbusTcpServer
  let port: number
  beforeAll(async () => {
    const unit = ioModule(encode(profile, state))
    server = new ModbusTcpServer({ host: '127.0.0.1', port: 0, resolve: (id) => (id === 7 ? unit : undefined) })
    port = await server.start()
  })
  afterAll(async () => { await server.stop() })

  it('reads DI1… as discrete 0…, decodes the NC limits inverted and the 4–20 mA position in metres', async () => {
    const r = await probe(['--host', '127.0.0.1', '--port', String(port), '--unit', '7', '--profile', 'io-retrofit', '--once', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const snap = JSON.parse(r.stdout) as ProbeJson
    expect(snap.values).toEqual(state)
    const row = (n: string) => snap.points.find((p) => p.name === n)!
    expect(row('doorClosed')).toMatchObject({ area: 'discrete', address: 1, raw: true })
    expect(row('downLimit')).toMatchObject({ address: 8, raw: false, value: true })
    // 3.0 m = 4000 µA (4 mA) + (3.0 + 1.2) / 0.00375 µA
    expect(row('position')).toMatchObject({ area: 'input', address: 1, raw: [4000 + 1120], value: 3 })
  })

  it('shows a refused point in its own row (exception 02) and still decodes the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-probe-'))
    const file = join(dir, 'io-with-ai3.yaml')
    writeFileSync(file, stringify({
      ...profile, name: 'io-with-ai3',
      points: { ...profile.points, ai3: { area: 'input', address: 3, type: 'u16', description: 'not on this module' } },
    }))
    const r = await probe(['--host', '127.0.0.1', '--port', String(port), '--unit', '7', '--profile', file, '--once', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const snap = JSON.parse(r.stdout) as ProbeJson
    expect(snap.values).toEqual(state)
    expect(snap.points.find((p) => p.name === 'ai3')).toMatchObject({
      raw: null, value: null, error: { exceptionCode: 2, text: 'exception 02 illegal data address' },
    })
    const text = await probe(['--host', '127.0.0.1', '--port', String(port), '--unit', '7', '--profile', file, '--once', '--lang', 'en'])
    expect(text.stdout).toMatch(/ai3\s+input\s+3\s+—\s+✗ exception 02 illegal data address/)
  })
})
