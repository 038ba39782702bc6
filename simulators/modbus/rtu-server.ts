// Modbus RTU server on a serial port (Modbus over Serial Line V1.02). Frames are found from their
// content (function code, byte count, CRC) because a pty carries no inter-character timing.
import { SerialPort } from 'serialport'
import { ModbusException, ModbusServerError, ModbusServerErrorCode } from './device.ts'
import type { ModbusErrorContext, ModbusErrorHandler, ModbusUnit, UnitResolver } from './device.ts'
import { crc16 } from './crc.ts'
import { FunctionCode, exceptionFrame, isException, respond } from './pdu.ts'
import { OrderedReplies, newStats } from './tcp-server.ts'
import type { ModbusServerStats } from './tcp-server.ts'

// §2.5.1: address (1) + PDU + CRC (2); the smallest frame is address, function code and CRC.
const MIN_FRAME = 4
const MAX_FRAME = 256
const BROADCAST = 0
const EMPTY = Buffer.alloc(0)
// §2.2: individual server addresses are 1–247; a broadcast reaches each of them.
const MAX_UNIT_ID = 247
const WRITES = new Set<number>([
  FunctionCode.WriteSingleCoil,
  FunctionCode.WriteSingleRegister,
  FunctionCode.WriteMultipleCoils,
  FunctionCode.WriteMultipleRegisters,
])

/**
 * t3.5 in milliseconds: 3.5 characters of 11 bits each; above 19200 baud the spec fixes it at
 * 1.75 ms (§2.5.1.1).
 */
export function t35Ms(baudRate: number): number {
  return baudRate > 19200 ? 1.75 : (3.5 * 11 * 1000) / baudRate
}

/**
 * Length of the request frame starting at `buf[off]`, from its function code: 0 when more bytes
 * are needed, -1 when the bytes at `off` cannot start a request.
 */
export function requestLength(buf: Buffer, off: number): number {
  const avail = buf.length - off
  if (avail < 2) return 0
  const fc = buf[off + 1]!
  if (fc >= FunctionCode.ReadCoils && fc <= FunctionCode.WriteSingleRegister) return 8
  if (fc === FunctionCode.WriteMultipleCoils || fc === FunctionCode.WriteMultipleRegisters) {
    if (avail < 7) return 0
    const length = 9 + buf[off + 6]!
    return length <= MAX_FRAME ? length : -1
  }
  // A function code we do not know carries no length: take the shortest span whose CRC holds,
  // so the unit can still answer 0x01 (Application Protocol §7).
  for (let length = MIN_FRAME; length <= Math.min(avail, MAX_FRAME); length++) {
    if (crc16(buf, off, off + length - 2) === buf.readUInt16LE(off + length - 2)) return length
  }
  return avail >= MAX_FRAME ? -1 : 0
}

export interface ModbusRtuServerOptions {
  path: string
  baudRate: number
  resolve: UnitResolver
  onError?: ModbusErrorHandler
  /** Silence after which a partial frame is discarded; defaults to t3.5 for the baud rate. */
  gapMs?: number
}

export class ModbusRtuServer {
  readonly stats: ModbusServerStats = newStats()
  private readonly opts: ModbusRtuServerOptions
  private readonly replies: OrderedReplies
  private port: SerialPort | undefined
  private rx: Buffer = EMPTY
  private chunks = 0
  private gapTimer: NodeJS.Timeout | undefined
  // False while resynchronising, so one burst of noise is reported once rather than per byte.
  private inSync = true

  constructor(opts: ModbusRtuServerOptions) {
    this.opts = opts
    this.replies = new OrderedReplies((frame) => this.port?.write(frame))
  }

  async start(): Promise<void> {
    if (this.port) return
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate, autoOpen: false })
    this.port = port
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve()))).catch((err: unknown) => {
      this.port = undefined
      throw err
    })
    port.on('data', (chunk: Buffer) => this.onData(chunk))
    port.on('error', (err) => this.report(ModbusServerErrorCode.Transport, 'serial port error', {}, this.context(), err))
    port.on('close', (err?: Error) => {
      // serialport passes an error when the device went away rather than being closed by us.
      if (err) this.report(ModbusServerErrorCode.Transport, 'serial port closed unexpectedly', {}, this.context(), err)
    })
  }

  async stop(): Promise<void> {
    const port = this.port
    this.port = undefined
    this.replies.clear()
    clearTimeout(this.gapTimer)
    this.rx = EMPTY
    if (!port?.isOpen) return
    await new Promise<void>((resolve) =>
      port.close((err) => {
        if (err) this.report(ModbusServerErrorCode.Transport, 'serial port failed to close', {}, this.context(), err)
        resolve()
      }),
    )
  }

  private onData(chunk: Buffer): void {
    this.chunks++
    this.rx = this.rx.length === 0 ? chunk : Buffer.concat([this.rx, chunk])
    this.rx = this.drain(this.rx)
    this.armGapTimer()
  }

  /** Serves every whole frame in `rx` and returns the bytes still waiting for the rest of a frame. */
  private drain(rx: Buffer): Buffer {
    let off = 0
    for (;;) {
      const length = requestLength(rx, off)
      if (length === 0 || (length > 0 && rx.length - off < length)) break
      if (length < 0 || crc16(rx, off, off + length - 2) !== rx.readUInt16LE(off + length - 2)) {
        // §2.5.1.2 leaves resynchronisation to the silent interval; without one, slide a byte.
        this.resync(rx, off)
        off++
        continue
      }
      this.inSync = true
      this.handleFrame(rx, off, length)
      off += length
    }
    return off < rx.length ? rx.subarray(off) : EMPTY
  }

  // A silent interval ends any frame (§2.5.1.1), so what is left cannot be waiting for more bytes:
  // drop its first byte and serve any whole frame behind it. The check runs after setImmediate so
  // that bytes already queued in the event loop are read first: a stalled process is not a gap.
  private armGapTimer(): void {
    clearTimeout(this.gapTimer)
    if (this.rx.length === 0) return
    const seen = this.chunks
    this.gapTimer = setTimeout(() => {
      setImmediate(() => {
        if (this.chunks !== seen) return
        while (this.rx.length > 0) {
          this.resync(this.rx, 0)
          this.rx = this.drain(this.rx.subarray(1))
        }
      })
    }, this.opts.gapMs ?? t35Ms(this.opts.baudRate))
  }

  private resync(rx: Buffer, off: number): void {
    if (!this.inSync) return
    this.inSync = false
    this.stats.badFrames++
    this.report(
      ModbusServerErrorCode.BadFrame,
      'RTU frame rejected (bad CRC, impossible length or cut short by a gap); resynchronising',
      { bytes: rx.subarray(off, off + MAX_FRAME).toString('hex') },
      this.context(),
    )
  }

  private handleFrame(buf: Buffer, off: number, length: number): void {
    this.stats.requests++
    const unitId = buf[off]!
    const start = off + 1
    const end = off + length - 2
    if (unitId === BROADCAST) return this.broadcast(buf, start, end)
    const fc = buf[start]!
    let reply: Buffer
    let delayMs = 0
    try {
      const unit = this.opts.resolve(unitId)
      // Another server on the line may own this address: stay quiet (§2.1).
      if (!unit) return
      const wire = unit.wire()
      if (wire.mode === 'silent') return
      if (wire.mode === 'exception') reply = exceptionFrame(fc, wire.code, 1, 2)
      else {
        reply = respond(unit, buf, start, end, 1, 2)
        if (wire.mode === 'slow') delayMs = wire.delayMs
      }
    } catch (err) {
      this.stats.unitErrors++
      this.report(ModbusServerErrorCode.UnitFailed, 'unit failed to serve a request', { fc }, this.context(unitId), err)
      reply = exceptionFrame(fc, ModbusException.ServerDeviceFailure, 1, 2)
    }
    if (isException(reply, 1)) this.stats.exceptions++
    reply[0] = unitId
    reply.writeUInt16LE(crc16(reply, 0, reply.length - 2), reply.length - 2)
    if (delayMs > 0) this.replies.later(reply, delayMs)
    else this.replies.now(reply)
  }

  // §2.1: broadcast requests are writes, executed by every server, answered by none.
  private broadcast(buf: Buffer, start: number, end: number): void {
    if (!WRITES.has(buf[start]!)) return
    const seen = new Set<ModbusUnit>()
    for (let unitId = 1; unitId <= MAX_UNIT_ID; unitId++) {
      try {
        const unit = this.opts.resolve(unitId)
        if (!unit || seen.has(unit)) continue
        seen.add(unit)
        // A unit that would not answer (silent) or refuses everything (exception) does not act.
        const mode = unit.wire().mode
        if (mode === 'ok' || mode === 'slow') respond(unit, buf, start, end, 0, 0)
      } catch (err) {
        this.stats.unitErrors++
        this.report(ModbusServerErrorCode.UnitFailed, 'unit failed to serve a broadcast', {}, this.context(unitId), err)
      }
    }
  }

  private context(unitId?: number): ModbusErrorContext {
    const ctx: ModbusErrorContext = { transport: 'rtu', path: this.opts.path }
    if (unitId !== undefined) ctx.unitId = unitId
    return ctx
  }

  private report(code: ModbusServerErrorCode, message: string, data: Record<string, unknown>, ctx: ModbusErrorContext, cause?: unknown): void {
    this.opts.onError?.(new ModbusServerError(code, message, data, cause), ctx)
  }
}
