// Modbus TCP client for the gateway's `tcp` links (Messaging on TCP/IP Implementation Guide
// V1.0b): MBAP framing and transaction ids, reads only. No timers: the link times requests.
// Written for a low CPU cost per request; see docs/gateway-modbus-client.md.
import net from 'node:net'
import type { Area } from '../../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import type { Client, ClientEvents, Reply } from './transport.ts'

// MBAP header (§3.1.3): transaction id (2), protocol id (2), length (2), unit id (1).
const MBAP_LEN = 7
const REQUEST_LEN = MBAP_LEN + 5
// The length field counts the unit id plus the PDU: a function code at least, a 253-byte PDU at most.
const MIN_LENGTH = 2
const MAX_LENGTH = 254
// Application Protocol V1.1b3 §7: an exception echoes the function code with the high bit set.
const EXCEPTION_FLAG = 0x80
const FUNCTION_CODE: Readonly<Record<Area, number>> = { coil: 0x01, discrete: 0x02, holding: 0x03, input: 0x04 }
// Requests remembered by transaction id, so an answer that comes after the link gave up on its
// request is still recognised as late (modbus-serial keeps as many).
const SLOTS = 256

interface Slot {
  tid: number
  unitId: number
  fc: number
  count: number
  done: ((reply: Reply) => void) | undefined
}

export class ModbusTcpClient implements Client {
  private readonly events: ClientEvents
  private socket: net.Socket | undefined
  private readonly slots: Slot[] = []
  private tid = 0
  // Reused while the socket has nothing queued, i.e. the previous request left in full.
  private readonly request = Buffer.alloc(REQUEST_LEN)
  // Bytes of an answer that has not fully arrived yet.
  private partial: Buffer | undefined
  // 'open' between connect and the first close or error: only then is a loss reported.
  private state: 'new' | 'open' | 'closed' = 'new'

  constructor(events: ClientEvents) {
    this.events = events
  }

  /** Resolves once connected; rejects on the first socket error. */
  async connect(host: string, port: number): Promise<void> {
    const socket = net.connect({ host, port, noDelay: true })
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.lost(err))
    socket.on('close', () => this.lost(new Error('transport closed')))
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error): void => reject(err)
      socket.once('error', failed)
      socket.once('connect', () => {
        socket.off('error', failed)
        if (this.state === 'new') this.state = 'open'
        resolve()
      })
    })
  }

  read(unitId: number, area: Area, address: number, count: number, done: (reply: Reply) => void): void {
    const socket = this.socket
    if (this.state !== 'open' || !socket?.writable) {
      done({ kind: 'closed', err: new Error('socket not open') })
      return
    }
    const tid = (this.tid = (this.tid + 1) & 0xffff)
    const fc = FUNCTION_CODE[area]
    let slot = this.slots[tid % SLOTS]
    if (!slot) this.slots[tid % SLOTS] = slot = { tid, unitId, fc, count, done }
    else {
      slot.tid = tid
      slot.unitId = unitId
      slot.fc = fc
      slot.count = count
      slot.done = done
    }
    const buf = socket.writableLength === 0 ? this.request : Buffer.allocUnsafe(REQUEST_LEN)
    buf.writeUInt16BE(tid, 0)
    buf.writeUInt16BE(0, 2)
    buf.writeUInt16BE(6, 4)
    buf[6] = unitId
    buf[7] = fc
    buf.writeUInt16BE(address, 8)
    buf.writeUInt16BE(count, 10)
    socket.write(buf)
  }

  /** Transaction ids tell answers apart: nothing to purge. */
  purge(): number {
    return 0
  }

  async close(): Promise<void> {
    const socket = this.socket
    this.state = 'closed'
    this.slots.length = 0
    this.partial = undefined
    if (!socket || socket.closed) return
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.destroy()
    await closed
  }

  // Reported once per client (a socket error is followed by its close), and not for a connect
  // that failed: the caller hears of that from connect() itself.
  private lost(err: Error): void {
    if (this.state !== 'open') return
    this.state = 'closed'
    this.events.lost(err)
  }

  private onData(chunk: Buffer): void {
    let buf = chunk
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk])
      this.partial = undefined
    }
    let off = 0
    while (buf.length - off >= 6) {
      const protocolId = buf.readUInt16BE(off + 2)
      const length = buf.readUInt16BE(off + 4)
      // A bad header means the byte stream lost its framing: nothing after it can be trusted.
      if (protocolId !== 0 || length < MIN_LENGTH || length > MAX_LENGTH) {
        this.lost(new GatewayError(GatewayErrorCode.ModbusFrame, 'MBAP header rejected', { protocolId, length }))
        this.socket?.destroy()
        return
      }
      const end = off + 6 + length
      if (buf.length < end) break
      this.answer(buf, off, end)
      off = end
    }
    // Copied: holding a view would pin the whole chunk until the rest arrives.
    if (off < buf.length) this.partial = Buffer.from(buf.subarray(off))
  }

  /** One whole frame `buf[off, end)`, MBAP header included. */
  private answer(buf: Buffer, off: number, end: number): void {
    const tid = buf.readUInt16BE(off)
    const slot = this.slots[tid % SLOTS]
    if (!slot || slot.tid !== tid || !slot.done) {
      this.events.unmatched({ transactionId: tid, unitId: buf[off + 6]!, functionCode: buf[off + MBAP_LEN] })
      return
    }
    const done = slot.done
    slot.done = undefined
    done(this.decode(slot, buf, off, end))
  }

  private decode(slot: Slot, buf: Buffer, off: number, end: number): Reply {
    const unitId = buf[off + 6]!
    const fc = buf[off + MBAP_LEN]
    const pdu = off + MBAP_LEN
    if (unitId !== slot.unitId) return frameError('unit id mismatch', slot, { unitIdAnswered: unitId })
    if (fc === (slot.fc | EXCEPTION_FLAG) && end - pdu === 2) return { kind: 'exception', code: buf[pdu + 1]! }
    if (fc !== slot.fc) return frameError('function code mismatch', slot, { functionCodeAnswered: fc })
    const bits = slot.fc <= 0x02
    const bytes = bits ? (slot.count + 7) >> 3 : slot.count * 2
    if (end - pdu !== 2 + bytes || buf[pdu + 1] !== bytes) return frameError('length mismatch', slot, { byteCount: buf[pdu + 1], length: end - off - 6 })
    const first = pdu + 2
    if (bits) {
      // §6.1/§6.2: LSB of the first byte is the first bit; padding bits past `count` are left out.
      const data: boolean[] = []
      for (let i = 0; i < slot.count; i++) data.push((buf[first + (i >> 3)]! & (1 << (i & 7))) !== 0)
      return { kind: 'data', data }
    }
    const data: number[] = []
    for (let i = 0; i < slot.count; i++) data.push(buf.readUInt16BE(first + 2 * i))
    return { kind: 'data', data }
  }
}

function frameError(message: string, slot: Slot, data: Record<string, unknown>): Reply {
  return { kind: 'frame', err: new GatewayError(GatewayErrorCode.ModbusFrame, message, { unitId: slot.unitId, functionCode: slot.fc, count: slot.count, ...data }) }
}
