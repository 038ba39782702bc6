// Modbus TCP server over node:net (Modbus Messaging on TCP/IP Implementation Guide V1.0b).
// Hand-written rather than modbus-serial's ServerTCP for throughput: see docs/modbus-server.md.
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { ModbusException, ModbusServerError, ModbusServerErrorCode } from './device.ts'
import type { ModbusErrorContext, ModbusErrorHandler, ModbusUnit, UnitResolver } from './device.ts'
import { exceptionFrame, isException, respond } from './pdu.ts'

// MBAP header (§3.1.3): transaction id (2), protocol id (2), length (2), unit id (1).
const MBAP_LEN = 7
// The length field counts the unit id plus the PDU: at least a function code, at most a 253-byte PDU.
const MIN_LENGTH = 2
const MAX_LENGTH = 254

export interface ModbusTcpServerOptions {
  host?: string
  port: number
  resolve: UnitResolver
  onError?: ModbusErrorHandler
}

export interface ModbusServerStats {
  requests: number   // well-formed request frames received
  exceptions: number // exception responses sent
  badFrames: number  // frames rejected (the TCP connection is closed)
  connections: number // connections open now
  accepted: number   // connections accepted since start
  unitErrors: number // requests where the unit or resolver threw
}

/** Sends replies in request order even when some of them wait on a timer (`slow` units). */
export class OrderedReplies {
  private readonly queue: { frame: Buffer; ready: boolean }[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly send: (frame: Buffer) => void

  constructor(send: (frame: Buffer) => void) {
    this.send = send
  }

  now(frame: Buffer): void {
    if (this.queue.length === 0) this.send(frame)
    else this.queue.push({ frame, ready: true })
  }

  later(frame: Buffer, delayMs: number): void {
    const entry = { frame, ready: false }
    this.queue.push(entry)
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      entry.ready = true
      this.flush()
    }, delayMs)
    this.timers.add(timer)
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.queue.length = 0
  }

  private flush(): void {
    while (this.queue.length > 0 && this.queue[0]!.ready) this.send(this.queue.shift()!.frame)
  }
}

export function newStats(): ModbusServerStats {
  return { requests: 0, exceptions: 0, badFrames: 0, connections: 0, accepted: 0, unitErrors: 0 }
}

export class ModbusTcpServer {
  readonly stats: ModbusServerStats = newStats()
  private readonly opts: ModbusTcpServerOptions
  private readonly open = new Set<TcpConnection>()
  private server: net.Server | undefined
  private stopping: Promise<void> | undefined

  constructor(opts: ModbusTcpServerOptions) {
    this.opts = opts
  }

  /** Listens and resolves with the bound port (port 0 lets the OS pick). */
  async start(): Promise<number> {
    if (this.server) return (this.server.address() as AddressInfo).port
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket))
    this.server = server
    this.stopping = undefined
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    }).catch((err: unknown) => {
      this.server = undefined
      throw err
    })
    server.on('error', (err) => this.report(ModbusServerErrorCode.Transport, 'listener failed', {}, { transport: 'tcp' }, err))
    return (server.address() as AddressInfo).port
  }

  /** Closes the listener and destroys every connection; safe to call twice or before start. */
  async stop(): Promise<void> {
    const server = this.server
    if (!server) return this.stopping
    this.server = undefined
    for (const conn of this.open) conn.destroy()
    this.stopping = new Promise<void>((resolve) => server.close(() => resolve()))
    return this.stopping
  }

  /** @internal Runs one request frame `buf[off, off + len)` (MBAP included) and queues its reply. */
  handleFrame(conn: TcpConnection, buf: Buffer, off: number, len: number): void {
    this.stats.requests++
    const unitId = buf[off + 6]!
    const fc = buf[off + MBAP_LEN]!
    let reply: Buffer
    let delayMs = 0
    try {
      const unit: ModbusUnit | undefined = this.opts.resolve(unitId)
      // Application Protocol §7: 0x0B, the gateway target device failed to respond.
      if (!unit) reply = exceptionFrame(fc, ModbusException.GatewayTargetFailed, MBAP_LEN, 0)
      else {
        const wire = unit.wire()
        if (wire.mode === 'silent') return
        if (wire.mode === 'exception') reply = exceptionFrame(fc, wire.code, MBAP_LEN, 0)
        else {
          // The answer is computed now, so writes later in the pipeline cannot leak into it.
          reply = respond(unit, buf, off + MBAP_LEN, off + len, MBAP_LEN, 0)
          if (wire.mode === 'slow') delayMs = wire.delayMs
        }
      }
    } catch (err) {
      this.stats.unitErrors++
      this.report(ModbusServerErrorCode.UnitFailed, 'unit failed to serve a request', { fc }, conn.context(unitId), err)
      reply = exceptionFrame(fc, ModbusException.ServerDeviceFailure, MBAP_LEN, 0)
    }
    if (isException(reply, MBAP_LEN)) this.stats.exceptions++
    // §3.1.3: transaction and protocol id are echoed; the length covers unit id and PDU.
    reply[0] = buf[off]!
    reply[1] = buf[off + 1]!
    reply[2] = 0
    reply[3] = 0
    reply.writeUInt16BE(reply.length - 6, 4)
    reply[6] = unitId
    if (delayMs > 0) conn.replies.later(reply, delayMs)
    else conn.replies.now(reply)
  }

  /** @internal */
  badFrame(conn: TcpConnection, protocolId: number, length: number): void {
    this.stats.badFrames++
    this.report(
      ModbusServerErrorCode.BadFrame,
      `MBAP header rejected (protocol id ${protocolId}, must be 0; length ${length}, must be ${MIN_LENGTH}..${MAX_LENGTH}); connection closed`,
      { protocolId, length },
      conn.context(),
    )
  }

  /** @internal */
  report(code: ModbusServerErrorCode, message: string, data: Record<string, unknown>, ctx: ModbusErrorContext, cause?: unknown): void {
    this.opts.onError?.(new ModbusServerError(code, message, data, cause), ctx)
  }

  /** @internal */
  closed(conn: TcpConnection): void {
    if (this.open.delete(conn)) this.stats.connections--
  }

  private accept(socket: net.Socket): void {
    if (!this.server) {
      socket.destroy()
      return
    }
    const conn = new TcpConnection(this, socket)
    this.open.add(conn)
    this.stats.connections++
    this.stats.accepted++
    conn.listen()
  }
}

class TcpConnection {
  readonly replies: OrderedReplies
  private readonly server: ModbusTcpServer
  private readonly socket: net.Socket
  private readonly remote: string
  // Bytes of a frame that has not fully arrived yet.
  private pending: Buffer | undefined

  constructor(server: ModbusTcpServer, socket: net.Socket) {
    this.server = server
    this.socket = socket
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`
    this.replies = new OrderedReplies((frame) => this.write(frame))
  }

  listen(): void {
    this.socket.setNoDelay(true)
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk))
    // A client that pipelines without reading must not make us buffer without bound.
    this.socket.on('drain', () => this.socket.resume())
    this.socket.on('error', (err) => {
      this.server.report(ModbusServerErrorCode.Transport, 'socket error', {}, this.context(), err)
    })
    this.socket.on('close', () => {
      this.replies.clear()
      this.server.closed(this)
    })
  }

  context(unitId?: number): ModbusErrorContext {
    return unitId === undefined ? { transport: 'tcp', remote: this.remote } : { transport: 'tcp', remote: this.remote, unitId }
  }

  destroy(): void {
    this.replies.clear()
    this.socket.destroy()
  }

  private write(frame: Buffer): void {
    if (this.socket.destroyed) return
    if (!this.socket.write(frame)) this.socket.pause()
  }

  private onData(chunk: Buffer): void {
    let buf = chunk
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk])
      this.pending = undefined
    }
    let off = 0
    // Six bytes are enough to judge a header, so garbage is refused before its body arrives.
    while (buf.length - off >= 6) {
      const protocolId = buf.readUInt16BE(off + 2)
      const length = buf.readUInt16BE(off + 4)
      if (protocolId !== 0 || length < MIN_LENGTH || length > MAX_LENGTH) {
        this.server.badFrame(this, protocolId, length)
        this.destroy()
        return
      }
      const total = 6 + length
      if (buf.length - off < total) break
      this.server.handleFrame(this, buf, off, total)
      if (this.socket.destroyed) return
      off += total
    }
    if (off < buf.length) this.pending = buf.subarray(off)
  }
}
