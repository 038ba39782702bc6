// modbus-serial for the links whose frames are RTU (a serial port, or RTU tunnelled raw through
// TCP). Its quirks are handled here so link.ts reads plainly.
import ModbusSerial from 'modbus-serial'
import type { Area } from '../../protocol/index.ts'
import type { LinkConfig } from '../config.ts'
import type { Client, ClientEvents, Reply } from './transport.ts'

// modbus-serial is CommonJS: under NodeNext its typed default export is `.default`, which the
// package also sets at run time.
const ModbusRTU = ModbusSerial.default
type ModbusSerialClient = InstanceType<typeof ModbusRTU>

export class SerialClient implements Client {
  private readonly client = new ModbusRTU()
  private readonly cfg: LinkConfig
  private readonly events: ClientEvents

  constructor(cfg: LinkConfig, events: ClientEvents) {
    this.cfg = cfg
    this.events = events
  }

  /** `lost` hears the port's own close and error events: how a dead port is noticed without `isOpen`. */
  async connect(): Promise<void> {
    const { client, cfg, events } = this
    client.on('error', (err) => events.lost(err instanceof Error ? err : new Error(String(err))))
    client.on('close', () => events.lost(new Error('transport closed')))
    // Requests are timed by the link; the library's own timer would only race it.
    client.setTimeout(0)
    if (cfg.transport === 'rtu') {
      await client.connectRTUBuffered(cfg.path!, {
        baudRate: cfg.baudRate, parity: cfg.parity, dataBits: cfg.dataBits, stopBits: cfg.stopBits,
      })
    } else {
      // Raw RTU frames (CRC, no MBAP header) through a transparent serial server. modbus-serial
      // calls this port "telnet"; its connectTcpRTUBuffered sends MBAP headers, i.e. Modbus TCP.
      await client.connectTelnet(cfg.host!, { port: cfg.port! })
    }
  }

  read(unitId: number, area: Area, address: number, count: number, done: (reply: Reply) => void): void {
    const { client } = this
    const cb = (err: unknown, res?: { data: number[] | boolean[] }) => done(err ? classify(err) : { kind: 'data', data: res!.data })
    switch (area) {
      case 'coil': return client.writeFC1(unitId, address, count, cb)
      case 'discrete': return client.writeFC2(unitId, address, count, cb)
      case 'holding': return client.writeFC3(unitId, address, count, cb)
      case 'input': return client.writeFC4(unitId, address, count, cb)
    }
  }

  /**
   * Drops bytes the client buffered while no request was waiting: a late reply sitting there would
   * be taken as the answer to the next request with the same unit, function and length. Returns the
   * bytes dropped, or undefined when this modbus-serial version keeps no such buffer.
   */
  purge(): number | undefined {
    const port = (this.client as unknown as { _port?: { _buffer?: unknown } })._port
    if (!port || !Buffer.isBuffer(port._buffer)) return undefined
    const n = port._buffer.length
    if (n > 0) port._buffer = Buffer.alloc(0)
    return n
  }

  /** Closes without waiting on a peer that may never answer; never rejects. */
  async close(): Promise<void> {
    const client: ModbusSerialClient = this.client
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000)
      const done = () => { clearTimeout(timer); resolve() }
      // modbus-serial's destroy() skips ports without one (the serial port): close those instead.
      // A close error means the port is already gone, which is what we want.
      if (this.cfg.transport === 'rtu') client.close(done)
      else client.destroy(done)
    })
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
