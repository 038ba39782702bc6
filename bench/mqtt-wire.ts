// A lean MQTT 3.1.1 client side for load generators: CONNECT, SUBSCRIBE, QoS 1 PUBLISH written
// straight into one buffer per batch, and a parser for what a broker sends back. mqtt.js costs
// several times more CPU per message; on a 2-core machine that CPU would be taken from the broker
// under test. Only what a publisher or a plain subscriber needs; no reconnects, no keepalive.
import net from 'node:net'
import { once } from 'node:events'

export const PUBLISH_QOS1 = 0x32
const CONNECT = 0x10
const SUBSCRIBE = 0x82
const PUBACK = 0x40

/** Bytes the remaining-length varint of `n` takes. */
export const varintLength = (n: number): number => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4)

export function writeVarint(buf: Buffer, off: number, n: number): number {
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    buf[off++] = byte
  } while (n > 0)
  return off
}

const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s
  const out = Buffer.allocUnsafe(2 + b.length)
  out.writeUInt16BE(b.length, 0)
  b.copy(out, 2)
  return out
}

function packet(first: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(1 + varintLength(body.length) + body.length)
  out[0] = first
  body.copy(out, writeVarint(out, 1, body.length))
  return out
}

/** Clean session, keepalive 0 (the broker never times the connection out). */
export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0)
  const parts = [str('MQTT'), Buffer.from([4, flags, 0, 0]), str(clientId)]
  if (username !== undefined) parts.push(str(username))
  if (password !== undefined) parts.push(str(password))
  return packet(CONNECT, Buffer.concat(parts))
}

export function subscribePacket(id: number, filter: string, qos: 0 | 1): Buffer {
  const idBuf = Buffer.allocUnsafe(2)
  idBuf.writeUInt16BE(id, 0)
  return packet(SUBSCRIBE, Buffer.concat([idBuf, str(filter), Buffer.from([qos])]))
}

export function pubackPacket(id: number): Buffer {
  return Buffer.from([PUBACK, 2, id >> 8, id & 0xff])
}

/**
 * Writes one QoS 1 PUBLISH at `off`; `topic` is the length-prefixed topic (str()), `payload` an
 * ASCII string. Returns the new offset. The caller sizes `buf` (1 + 4 + topic + 2 + payload).
 */
export function writePublish(buf: Buffer, off: number, topic: Buffer, id: number, payload: string): number {
  buf[off] = PUBLISH_QOS1
  off = writeVarint(buf, off + 1, topic.length + 2 + payload.length) // ASCII: a byte per character
  off += topic.copy(buf, off)
  buf[off++] = id >> 8
  buf[off++] = id & 0xff
  return off + buf.write(payload, off, 'latin1')
}

export const topicBytes = (topic: string): Buffer => str(topic)

export interface Incoming {
  /** packet type, the high nibble of the first byte */
  type: number
  flags: number
  body: Buffer
}

/** Splits a byte stream into packets; bodies are views into the chunks (copied only across chunk edges). */
export class PacketReader {
  private pending: Buffer | null = null

  push(chunk: Buffer, onPacket: (type: number, flags: number, body: Buffer) => void): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk
    this.pending = null
    let off = 0
    while (off < buf.length) {
      let len = 0
      let mul = 1
      let i = off + 1
      let complete = false
      for (; i < buf.length && i < off + 5; i++) {
        const b = buf[i]!
        len += (b & 0x7f) * mul
        mul *= 128
        if ((b & 0x80) === 0) { complete = true; i++; break }
      }
      if (!complete || i + len > buf.length) break
      onPacket(buf[off]! >> 4, buf[off]! & 0x0f, buf.subarray(i, i + len))
      off = i + len
    }
    if (off < buf.length) this.pending = Buffer.from(buf.subarray(off))
  }
}

/** Connects and waits for CONNACK; rejects on a refusal. */
export async function connectMqtt(port: number, clientId: string, username?: string, password?: string): Promise<{ socket: net.Socket; reader: PacketReader }> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await once(socket, 'connect')
  const reader = new PacketReader()
  socket.write(connectPacket(clientId, username, password))
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => reader.push(chunk, (type, _flags, body) => {
      if (type !== 2) return
      socket.off('data', onData)
      socket.off('close', onClose)
      if (body[1] === 0) resolve()
      else reject(new Error(`${clientId}: CONNACK return code ${body[1]}`))
    })
    const onClose = () => reject(new Error(`${clientId}: connection closed before CONNACK`))
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('error', reject)
  })
  return { socket, reader }
}
