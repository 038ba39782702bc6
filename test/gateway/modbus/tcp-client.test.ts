// The gateway's Modbus TCP client against the simulator's server, and against a raw socket
// server for what a well-behaved server never sends: split and bunched frames, wrong lengths,
// unknown transaction ids, a broken MBAP header.
import net from 'node:net'
import { once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { GatewayErrorCode } from '../../../gateway/errors.ts'
import { ModbusTcpClient } from '../../../gateway/modbus/tcp-client.ts'
import type { ClientEvents, Reply } from '../../../gateway/modbus/transport.ts'
import { TestUnit, byId, tcpServer } from './fixtures.ts'

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

interface Heard { lost: Error[]; unmatched: Parameters<ClientEvents['unmatched']>[0][]; firstLoss: Promise<Error> }

async function connect(port: number): Promise<{ client: ModbusTcpClient; heard: Heard }> {
  let lost: (err: Error) => void = () => undefined
  const heard: Heard = { lost: [], unmatched: [], firstLoss: new Promise((resolve) => { lost = resolve }) }
  const client = new ModbusTcpClient({
    lost: (err) => { heard.lost.push(err); lost(err) },
    unmatched: (f) => heard.unmatched.push(f),
  })
  await client.connect('127.0.0.1', port)
  cleanups.push(() => client.close())
  return { client, heard }
}

const read = (client: ModbusTcpClient, ...args: [number, 'coil' | 'discrete' | 'holding' | 'input', number, number]): Promise<Reply> =>
  new Promise((resolve) => client.read(...args, resolve))

/** A server whose answers the test writes by hand, to the one client that connects. */
async function rawServer(): Promise<{ port: number; requests: Buffer[]; socket: Promise<net.Socket>; nextRequest: () => Promise<Buffer> }> {
  const requests: Buffer[] = []
  let wake: (() => void) | undefined
  const server = net.createServer({ noDelay: true }, (s) => {
    let buf = Buffer.alloc(0)
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      while (buf.length >= 12) { requests.push(buf.subarray(0, 12)); buf = buf.subarray(12) }
      wake?.()
    })
  })
  const socket = once(server, 'connection').then(([s]) => s as net.Socket)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(async () => {
    server.close()
    ;(await Promise.race([socket, undefined]))?.destroy()
  })
  let taken = 0
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    socket,
    nextRequest: async () => {
      while (requests.length <= taken) await new Promise<void>((resolve) => { wake = resolve })
      return requests[taken++]!
    },
  }
}

const answer = (request: Buffer, pdu: number[], unitId = request[6]!): Buffer =>
  Buffer.from([request[0]!, request[1]!, 0, 0, 0, pdu.length + 1, unitId, ...pdu])

describe('ModbusTcpClient', () => {
  it('reads every area from the simulator, bits without the padding of their last byte', async () => {
    const unit = new TestUnit(3)
    const { server, port } = await tcpServer(byId({ 1: unit }))
    cleanups.push(() => server.stop())
    const { client, heard } = await connect(port)
    expect(await read(client, 1, 'holding', 10, 3)).toEqual({ kind: 'data', data: [3010, 3011, 3012] })
    expect(await read(client, 1, 'input', 0, 2)).toEqual({ kind: 'data', data: [3500, 3501] })
    expect(await read(client, 1, 'coil', 0, 11)).toEqual({ kind: 'data', data: unit.bits.coil.slice(0, 11) })
    expect(await read(client, 1, 'discrete', 3, 16)).toEqual({ kind: 'data', data: unit.bits.discrete.slice(3, 19) })
    unit.refuse.add('holding:4')
    expect(await read(client, 1, 'holding', 0, 8)).toEqual({ kind: 'exception', code: 2 })
    expect(heard).toMatchObject({ lost: [], unmatched: [] })
  })

  it('matches answers by transaction id: out of order, several in one chunk, one split byte by byte', async () => {
    const raw = await rawServer()
    const { client } = await connect(raw.port)
    const socket = await raw.socket
    const a = read(client, 1, 'holding', 0, 1)
    const b = read(client, 2, 'holding', 0, 1)
    const c = read(client, 3, 'input', 0, 2)
    const [ra, rb, rc] = [await raw.nextRequest(), await raw.nextRequest(), await raw.nextRequest()]
    expect(new Set([ra, rb, rc].map((r) => r.readUInt16BE(0))).size).toBe(3)
    // c and a in one write, in that order; then b a byte at a time.
    socket.write(Buffer.concat([answer(rc, [0x04, 4, 0, 7, 0, 8]), answer(ra, [0x03, 2, 0x12, 0x34])]))
    expect(await c).toEqual({ kind: 'data', data: [7, 8] })
    expect(await a).toEqual({ kind: 'data', data: [0x1234] })
    for (const byte of answer(rb, [0x03, 2, 0xab, 0xcd])) {
      socket.write(Buffer.from([byte]))
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
    expect(await b).toEqual({ kind: 'data', data: [0xabcd] })
  })

  it('rejects answers that do not fit their request as frame errors, and reports unknown transaction ids', async () => {
    const raw = await rawServer()
    const { client, heard } = await connect(raw.port)
    const socket = await raw.socket
    const cases: [number[], number | undefined, string][] = [
      [[0x03, 4, 0, 1, 0, 2], undefined, 'length mismatch'], // two registers for one asked
      [[0x03, 2, 0, 1], 9, 'unit id mismatch'],
      [[0x04, 2, 0, 1], undefined, 'function code mismatch'],
    ]
    for (const [pdu, unitId, message] of cases) {
      const reply = read(client, 1, 'holding', 0, 1)
      socket.write(answer(await raw.nextRequest(), pdu, unitId))
      const got = await reply
      expect(got.kind).toBe('frame')
      expect(got.kind === 'frame' && got.err).toMatchObject({ code: GatewayErrorCode.ModbusFrame, message })
    }
    // While a read waits: an id that shares its slot but was never sent, a second answer to an
    // id already answered, then the real answer.
    const last = raw.requests.at(-1)!
    const ok = read(client, 1, 'holding', 0, 1)
    const req = await raw.nextRequest()
    const alias = (req.readUInt16BE(0) + 256) & 0xffff
    socket.write(Buffer.from([alias >> 8, alias & 0xff, 0, 0, 0, 5, 1, 0x03, 2, 0, 1]))
    socket.write(answer(last, [0x03, 2, 0, 1]))
    socket.write(answer(req, [0x03, 2, 0, 42]))
    expect(await ok).toEqual({ kind: 'data', data: [42] })
    expect(heard.unmatched).toEqual([
      { transactionId: alias, unitId: 1, functionCode: 3 },
      { transactionId: last.readUInt16BE(0), unitId: 1, functionCode: 3 },
    ])
    expect(heard.lost).toEqual([])
  })

  it('drops the connection on a broken MBAP header, reports the loss once, and then refuses to send', async () => {
    const raw = await rawServer()
    const { client, heard } = await connect(raw.port)
    const socket = await raw.socket
    const closed = once(socket, 'close')
    socket.write(Buffer.from([0, 1, 0, 7, 0, 5, 1, 0x03, 2, 0, 1])) // protocol id 7
    await closed
    expect(heard.lost).toHaveLength(1)
    expect(heard.lost[0]).toMatchObject({ code: GatewayErrorCode.ModbusFrame, data: { protocolId: 7, length: 5 } })
    expect(await read(client, 1, 'holding', 0, 1)).toMatchObject({ kind: 'closed' })
  })

  it('reports a peer that closes as lost, once', async () => {
    const raw = await rawServer()
    const { client, heard } = await connect(raw.port)
    const socket = await raw.socket
    socket.destroy()
    await heard.firstLoss
    await client.close()
    expect(heard.lost.map((e) => e.message)).toEqual(['transport closed'])
  })
})
