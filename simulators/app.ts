// Wires a simulated fleet to its Modbus listeners; opens nothing until start().
import type { Logger } from 'pino'
import type { Fleet } from './fleet.ts'
import { CarUnit } from './unit.ts'
import { ModbusTcpServer } from './modbus/tcp-server.ts'
import { ModbusRtuServer } from './modbus/rtu-server.ts'
import type { ModbusUnit } from './modbus/device.ts'

export const MAX_UNIT_ID = 247 // Modbus: unit ids 1–247 are individual addresses

export interface SimulatorOptions {
  host: string
  /** First TCP port; 0 = every listener on a port the OS picks. */
  port: number
  portPerCar: boolean
  serial?: { path: string; baudRate: number }
  tickMs: number
}

export interface ListenerInfo { transport: 'tcp'; port: number; units: { unitId: number; elevatorId: string }[] }
export interface SimulatorInfo {
  tcp: ListenerInfo[]
  serial?: { path: string; baudRate: number; units: { unitId: number; elevatorId: string }[] }
}

/** Which car each TCP listener serves: one port per car, or 247 unit ids per port. */
export function planListeners(cars: number, portPerCar: boolean): number[][] {
  const perPort = portPerCar ? 1 : MAX_UNIT_ID
  const plan: number[][] = []
  for (let i = 0; i < cars; i += perPort) plan.push(Array.from({ length: Math.min(perPort, cars - i) }, (_, k) => i + k))
  return plan
}

export class Simulator {
  private tcp: { server: ModbusTcpServer; cars: number[] }[] = []
  private rtu: ModbusRtuServer | undefined
  private timer: NodeJS.Timeout | undefined
  private units: CarUnit[] = []
  private started = false

  constructor(readonly fleet: Fleet, private readonly opts: SimulatorOptions, private readonly log: Logger) {}

  async start(): Promise<SimulatorInfo> {
    if (this.started) throw new Error('simulator already started')
    this.started = true
    this.units = this.fleet.cars.map((car) => new CarUnit(this.fleet.source(car.index)))
    const onError = (err: Error, ctx: object) => this.log.warn({ err, ...ctx }, 'modbus request failed')
    const info: SimulatorInfo = { tcp: [] }
    const plan = planListeners(this.fleet.cars.length, this.opts.portPerCar)
    for (const [i, cars] of plan.entries()) {
      const byUnit = (unitId: number): ModbusUnit | undefined => {
        const car = cars[unitId - 1]
        return car === undefined ? undefined : this.units[car]
      }
      const server = new ModbusTcpServer({
        host: this.opts.host, port: this.opts.port === 0 ? 0 : this.opts.port + i, resolve: byUnit, onError,
      })
      this.tcp.push({ server, cars })
      const port = await server.start()
      info.tcp.push({ transport: 'tcp', port, units: cars.map((c, k) => ({ unitId: k + 1, elevatorId: this.fleet.cars[c]!.elevatorId })) })
    }
    if (this.opts.serial) {
      const serialCars = this.fleet.cars.slice(0, MAX_UNIT_ID)
      this.rtu = new ModbusRtuServer({
        path: this.opts.serial.path, baudRate: this.opts.serial.baudRate, onError,
        resolve: (unitId) => (unitId >= 1 && unitId <= serialCars.length ? this.units[unitId - 1] : undefined),
      })
      await this.rtu.start()
      info.serial = { ...this.opts.serial, units: serialCars.map((c, k) => ({ unitId: k + 1, elevatorId: c.elevatorId })) }
    }
    const dt = this.opts.tickMs / 1000
    this.timer = setInterval(() => this.fleet.advance(dt), this.opts.tickMs)
    return info
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    const servers = this.tcp.map((t) => t.server.stop())
    this.tcp = []
    if (this.rtu) servers.push(this.rtu.stop())
    this.rtu = undefined
    await Promise.all(servers)
  }
}
