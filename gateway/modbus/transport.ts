// modbus-serial, kept behind four functions: open a client for a link's transport, send one
// read, classify what came back, close. Its quirks are handled here so link.ts reads plainly.
import ModbusSerial from 'modbus-serial'
import { isBitArea, type Area } from '../../protocol/index.ts'
import type { LinkConfig } from '../config.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'

// modbus-serial is CommonJS: under NodeNext its typed default export is `.default`, which the
// package also sets at run time.
const ModbusRTU = ModbusSerial.default
export type Client = InstanceType<typeof ModbusRTU>

/** RTU frames (serial, or tunnelled raw through TCP) carry no transaction id to match answers by. */
export const isRtuFramed = (transport: LinkConfig['transport']): boolean => transport !== 'tcp'

// Application Protocol V1.1b3 §6.1–§6.4 quantity limits. On a serial line unit 0 is broadcast,
// which no unit answers (Serial Line V1.02 §2.2); Modbus TCP devices may use 0 or 255.
export function invalidRead(transport: LinkConfig['transport'], unitId: number, area: Area, address: number, count: number, timeoutMs: number): string | undefined {
  const max = isBitArea(area) ? 2000 : 125
  const minUnit = isRtuFramed(transport) ? 1 : 0
  if (!Number.isInteger(unitId) || unitId < minUnit || unitId > 255) return `unit id must be ${minUnit}…255`
  if (!Number.isInteger(count) || count < 1 || count > max) return `quantity must be 1…${max}`
  if (!Number.isInteger(address) || address < 0 || address + count > 0x10000) return 'address range outside 0…65535'
  if (!(timeoutMs > 0)) return 'timeout must be positive'
  return undefined
}

/**
 * Connects a new client. `onLost` hears the transport's own close and error events, which are
 * how a dead port or socket is noticed without asking `isOpen`.
 */
export async function openClient(cfg: LinkConfig, connectTimeoutMs: number, onLost: (err: Error) => void): Promise<Client> {
  const client = new ModbusRTU()
  client.on('error', (err) => onLost(err instanceof Error ? err : new Error(String(err))))
  client.on('close', () => onLost(new Error('transport closed')))
  // Requests are timed by the link; the library's own timer would only race it.
  client.setTimeout(0)
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs)
  })
  try {
    await Promise.race([connect(client, cfg), deadline])
    return client
  } catch (err) {
    await closeClient(client, cfg.transport)
    throw new GatewayError(GatewayErrorCode.LinkDown, 'could not connect', { link: cfg.id, transport: cfg.transport }, err)
  } finally {
    clearTimeout(timer)
  }
}

async function connect(client: Client, cfg: LinkConfig): Promise<void> {
  switch (cfg.transport) {
    case 'tcp':
      return await client.connectTCP(cfg.host!, { port: cfg.port! })
    case 'rtu':
      return await client.connectRTUBuffered(cfg.path!, {
        baudRate: cfg.baudRate, parity: cfg.parity, dataBits: cfg.dataBits, stopBits: cfg.stopBits,
      })
    case 'rtu-over-tcp':
      // Raw RTU frames (CRC, no MBAP header) through a transparent serial server. modbus-serial
      // calls this port "telnet"; its connectTcpRTUBuffered sends MBAP headers, i.e. Modbus TCP.
      return await client.connectTelnet(cfg.host!, { port: cfg.port! })
  }
}

/** Closes without waiting on a peer that may never answer; never rejects. */
export async function closeClient(client: Client, transport: LinkConfig['transport']): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000)
    const done = () => { clearTimeout(timer); resolve() }
    // modbus-serial's destroy() skips ports without one (the serial port): close those instead.
    // A close error means the port is already gone, which is what we want.
    if (transport === 'rtu') client.close(done)
    else client.destroy(done)
  })
}

/**
 * Drops bytes the client buffered while no request was waiting: a late reply sitting there would
 * be taken as the answer to the next request with the same unit, function and length. Returns the
 * bytes dropped, or undefined when this modbus-serial version keeps no such buffer.
 */
export function purgeReceived(client: Client): number | undefined {
  const port = (client as unknown as { _port?: { _buffer?: unknown } })._port
  if (!port || !Buffer.isBuffer(port._buffer)) return undefined
  const n = port._buffer.length
  if (n > 0) port._buffer = Buffer.alloc(0)
  return n
}

export type Reply = { kind: 'data'; data: number[] | boolean[] }
  | { kind: 'exception'; code: number }
  | { kind: 'closed'; err: Error }
  | { kind: 'frame'; err: Error }

/** One read; `done` runs once per answer the library hands over, late ones included. */
export function sendRead(client: Client, unitId: number, area: Area, address: number, count: number, done: (reply: Reply) => void): void {
  const cb = (err: unknown, res?: { data: number[] | boolean[] }) => done(err ? classify(err) : { kind: 'data', data: res!.data })
  switch (area) {
    case 'coil': return client.writeFC1(unitId, address, count, cb)
    case 'discrete': return client.writeFC2(unitId, address, count, cb)
    case 'holding': return client.writeFC3(unitId, address, count, cb)
    case 'input': return client.writeFC4(unitId, address, count, cb)
  }
}

function classify(err: unknown): Reply {
  const e = err instanceof Error ? err : Object.assign(new Error(String((err as { message?: unknown })?.message ?? err)), { cause: err })
  const code = (err as { modbusCode?: unknown }).modbusCode
  if (typeof code === 'number') return { kind: 'exception', code }
  // modbus-serial refuses to write once its port flag dropped (socket error, port closed).
  if ((err as { name?: unknown }).name === 'PortNotOpenError') return { kind: 'closed', err: e }
  return { kind: 'frame', err: e }
}
