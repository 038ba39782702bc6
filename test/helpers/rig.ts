// What the gateway's outage tests wire around the gateway they test: a real aedes that admits the
// gateway only while the gate is open, a subscriber on it, and three simulated cars behind one
// Modbus TCP port. The broker can be taken down and brought back on the same port, the subscriber
// re-subscribed before the gateway is let in again.
import pino from 'pino'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { collector, gatedBroker, type TestBroker } from './broker.ts'
import { writeGatewayConfig, type TestGatewayConfig } from './gateway.ts'

export type Collector = Awaited<ReturnType<typeof collector>>

export interface RigOptions {
  seed: number
  topics: string[]
  /** the gate at start: closed keeps the gateway out until the test opens it */
  open: boolean
  /** a persistent subscriber session, so it misses nothing while the broker is down */
  clean?: boolean
}

export interface Rig {
  readonly gate: { open: boolean }
  readonly port: number
  broker: TestBroker
  readonly sub: Collector
  readonly fleet: Fleet
  readonly sim: Simulator
  /** a gateway config for the three cars on this broker; `extra` adds outbox, polling… */
  gatewayConfig(extra?: Partial<Pick<TestGatewayConfig, 'outbox' | 'polling' | 'mqtt'>>): { dir: string; configFile: string }
  /** a new broker on the same port, the subscriber back on it, then the gate opened */
  restartBroker(): Promise<void>
  close(): Promise<void>
}

export async function startRig(opts: RigOptions): Promise<Rig> {
  const gate = { open: opts.open }
  const first = await gatedBroker(0, gate)
  const port = first.port
  const sub = await collector(`mqtt://127.0.0.1:${port}`, opts.topics, { clientId: 'sub', ...(opts.clean === false ? { clean: false } : {}) })
  const fleet = new Fleet({ elevators: 3, region: '330922', seed: opts.seed, traffic: 1 })
  const sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 100 }, pino({ level: 'silent' }))
  const info = await sim.start()
  const rig: Rig = {
    gate, port, sub, fleet, sim, broker: first,
    gatewayConfig: (extra = {}) => writeGatewayConfig({
      brokerPort: port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 }],
      elevators: fleet.cars.map((c, i) => ({ id: c.elevatorId, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
      ...extra,
    }),
    async restartBroker() {
      gate.open = false
      const next = await gatedBroker(port, gate)
      rig.broker = next
      await new Promise<void>((resolve) => next.broker.on('subscribe', (_s, client) => { if (client.id === 'sub') resolve() }))
      gate.open = true
    },
    async close() {
      await sub.close()
      await sim.stop()
      await rig.broker.close()
    },
  }
  return rig
}
