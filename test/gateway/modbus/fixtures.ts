// Real peers for the gateway's Modbus tests: the simulator's TCP and RTU servers (RTU on a socat
// pty pair), a unit whose wire and refused addresses a test controls, a pino logger whose JSON
// lines a test reads, and a recorder that lets tests wait for poller events.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import type { Area, RegisterImage } from '../../../protocol/index.ts'
import type { LinkConfig } from '../../../gateway/config.ts'
import type { GatewayError } from '../../../gateway/errors.ts'
import type { PointError } from '../../../gateway/modbus/reader.ts'
import type { PollerEvents } from '../../../gateway/modbus/link-poller.ts'
import { ModbusException, type BitArea, type ModbusExceptionCode, type ModbusUnit, type RegisterArea, type UnitResolver, type WireBehaviour } from '../../../simulators/modbus/device.ts'
import { ModbusTcpServer } from '../../../simulators/modbus/tcp-server.ts'
import { ModbusRtuServer } from '../../../simulators/modbus/rtu-server.ts'
import { ptyPair, type PtyPair } from '../../helpers/socat.ts'
import { freePort } from '../../helpers/ports.ts'

export const BAUD = 115200

export function linkConfig(over: Partial<LinkConfig> & Pick<LinkConfig, 'transport'>): LinkConfig {
  return {
    id: 'test-link', baudRate: BAUD, parity: 'none', dataBits: 8, stopBits: 1, timeoutMs: 300, pauseMs: 0,
    reconnect: { minMs: 100, maxMs: 800 }, ...over,
  }
}

/** A unit on plain arrays: value = seed × 1000 + address; `refuse` addresses answer exception 02. */
export class TestUnit implements ModbusUnit {
  wireMode: WireBehaviour = { mode: 'ok' }
  readonly refuse = new Set<string>()
  readonly reads: { area: Area; address: number; count: number }[] = []
  readonly regs: Record<RegisterArea, number[]>
  readonly bits: Record<BitArea, boolean[]>

  constructor(readonly seed = 1, size = 64) {
    this.regs = {
      holding: Array.from({ length: size }, (_, i) => seed * 1000 + i),
      input: Array.from({ length: size }, (_, i) => seed * 1000 + 500 + i),
    }
    this.bits = {
      coil: Array.from({ length: size }, (_, i) => (i + seed) % 3 === 0),
      discrete: Array.from({ length: size }, (_, i) => (i + seed) % 2 === 0),
    }
  }

  private refused(area: Area, address: number, count: number): boolean {
    for (let a = address; a < address + count; a++) if (this.refuse.has(`${area}:${a}`)) return true
    return false
  }

  readBits(area: BitArea, address: number, count: number): boolean[] | ModbusExceptionCode {
    this.reads.push({ area, address, count })
    if (address + count > this.bits[area].length || this.refused(area, address, count)) return ModbusException.IllegalDataAddress
    return this.bits[area].slice(address, address + count)
  }

  readRegisters(area: RegisterArea, address: number, count: number): number[] | ModbusExceptionCode {
    this.reads.push({ area, address, count })
    if (address + count > this.regs[area].length || this.refused(area, address, count)) return ModbusException.IllegalDataAddress
    return this.regs[area].slice(address, address + count)
  }

  writeCoils(): ModbusExceptionCode { return ModbusException.IllegalFunction }
  writeRegisters(): ModbusExceptionCode { return ModbusException.IllegalFunction }
  wire(): WireBehaviour { return this.wireMode }
}

export const byId = (units: Record<number, ModbusUnit>): UnitResolver => (id) => units[id]

export async function tcpServer(resolve: UnitResolver, port = 0): Promise<{ server: ModbusTcpServer; port: number }> {
  const server = new ModbusTcpServer({ port, resolve })
  return { server, port: await server.start() }
}

export async function rtuServer(resolve: UnitResolver): Promise<{ server: ModbusRtuServer; pty: PtyPair; path: string; stop(): Promise<void> }> {
  const pty = await ptyPair()
  const server = new ModbusRtuServer({ path: pty.b, baudRate: BAUD, resolve })
  await server.start()
  return { server, pty, path: pty.a, async stop() { await server.stop(); await pty.close() } }
}

/** A transparent serial server: socat bridges a TCP port to a pty the RTU server listens on. */
export async function rtuOverTcpServer(resolve: UnitResolver): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort()
  const path = join(mkdtempSync(join(tmpdir(), 'lw-rot-')), 'tty')
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${path}`, `tcp-listen:${port},bind=127.0.0.1,reuseaddr`], { stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolveUp, reject) => {
    let log = ''
    socat.once('error', (err) => reject(new Error(`socat could not start (apt-get install socat): ${err.message}`)))
    socat.once('exit', (code) => reject(new Error(`socat exited ${code}: ${log}`)))
    // socat opens the pty first, then logs "listening on" for the TCP side.
    socat.stderr!.on('data', (d) => { log += d; if (/listening on/.test(log) && existsSync(path)) resolveUp() })
  })
  const server = new ModbusRtuServer({ path, baudRate: BAUD, resolve })
  await server.start()
  return {
    port,
    async stop() {
      await server.stop()
      if (socat.exitCode === null) { const gone = new Promise((r) => socat.once('exit', r)); socat.kill('SIGTERM'); await gone }
    },
  }
}

/** A logger whose JSON lines the test reads (pino's own tests do the same). */
export function captureLog(level = 'debug'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const log = pino({ level }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } })
  return { log, lines }
}

export interface PollEvent { key: string; ok: boolean; at: number; durationMs: number }

/** Records poller events and resolves waiters as they arrive. */
export class Recorder implements PollerEvents {
  readonly samples: { key: string; image: RegisterImage; at: number; pointErrors: PointError[] }[] = []
  readonly failures: { key: string; err: GatewayError; consecutive: number; at: number }[] = []
  readonly polls: PollEvent[] = []
  private waiters: { check: () => boolean; resolve: () => void }[] = []

  sample(key: string, image: RegisterImage, at: number, pointErrors: PointError[]): void {
    this.samples.push({ key, image, at, pointErrors })
    this.wake()
  }
  failure(key: string, err: GatewayError, consecutive: number): void {
    this.failures.push({ key, err, consecutive, at: Date.now() })
    this.wake()
  }
  polled(key: string, ok: boolean, durationMs: number): void {
    this.polls.push({ key, ok, at: Date.now(), durationMs })
    this.wake()
  }

  count(key: string, from: number, to = Infinity): number {
    return this.polls.filter((p) => p.key === key && p.ok && p.at >= from && p.at < to).length
  }

  /** Resolves when `check` holds after some event; rejects after `timeoutMs`. */
  until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiters = this.waiters.filter((w) => w !== waiter); reject(new Error(`timed out waiting for ${what}`)) }, timeoutMs)
      const waiter = { check, resolve: () => { clearTimeout(timer); resolve() } }
      this.waiters.push(waiter)
    })
  }

  private wake(): void {
    for (const w of [...this.waiters]) if (w.check()) { this.waiters = this.waiters.filter((x) => x !== w); w.resolve() }
  }
}

/** A measured window (the one place a test sleeps on purpose). */
export const elapse = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
