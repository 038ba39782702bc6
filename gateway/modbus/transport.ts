// A link's client, whichever the transport: Modbus TCP through our own client (tcp-client.ts),
// RTU frames (serial, or tunnelled raw through TCP) through modbus-serial (serial-client.ts).
// The link sees only the Client interface below.
import { isBitArea, type Area } from '../../protocol/index.ts'
import type { LinkConfig } from '../config.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import { SerialClient } from './serial-client.ts'
import { ModbusTcpClient } from './tcp-client.ts'

export type Reply = { kind: 'data'; data: number[] | boolean[] }
  | { kind: 'exception'; code: number }
  | { kind: 'closed'; err: Error }
  | { kind: 'frame'; err: Error }

export interface ClientEvents {
  /** The transport closed or failed after connecting (its own close and error events). */
  lost(err: Error): void
  /** An answer no remembered request waits for (a transaction id long timed out, or unknown): dropped. */
  unmatched(frame: { transactionId: number; unitId: number; functionCode: number | undefined }): void
}

export interface Client {
  /** One read; `done` runs once per answer the client hands over, late ones included. */
  read(unitId: number, area: Area, address: number, count: number, done: (reply: Reply) => void): void
  /** Drops received bytes no request waits for; how many, or undefined when it cannot. */
  purge(): number | undefined
  /** Closes without waiting on a peer that may never answer; never rejects. */
  close(): Promise<void>
}

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

/** Connects a new client for the link's transport within `connectTimeoutMs`. */
export async function openClient(cfg: LinkConfig, connectTimeoutMs: number, events: ClientEvents): Promise<Client> {
  let client: ModbusTcpClient | SerialClient
  let connecting: Promise<void>
  if (cfg.transport === 'tcp') {
    const tcp = new ModbusTcpClient(events)
    client = tcp
    connecting = tcp.connect(cfg.host!, cfg.port!)
  } else {
    const serial = new SerialClient(cfg, events)
    client = serial
    connecting = serial.connect()
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no connection within ${connectTimeoutMs} ms`)), connectTimeoutMs)
  })
  try {
    await Promise.race([connecting, deadline])
    return client
  } catch (err) {
    await client.close()
    throw new GatewayError(GatewayErrorCode.LinkDown, 'could not connect', { link: cfg.id, transport: cfg.transport }, err)
  } finally {
    clearTimeout(timer)
  }
}
