// The broker is down for 60 s while cars keep moving: afterwards the subscriber has every state
// change, in order, each seq once, and the gateway's outbox is empty.
import { afterAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { collector, gatedBroker, type TestBroker } from '../helpers/broker.ts'
import { checkDelivery } from '../helpers/delivery.ts'
import { metricValue, startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'

const OUTAGE_MS = 60_000
const silent = pino({ level: 'silent' })

describe('gateway across a 60 s broker outage', () => {
  let broker: TestBroker | undefined
  let sim: Simulator | undefined
  let gw: GatewayRun | undefined
  let sub: Awaited<ReturnType<typeof collector>> | undefined
  afterAll(async () => {
    await gw?.cli.stop()
    await sub?.close()
    await sim?.stop()
    await broker?.close()
  })

  it('delivers every change exactly once, in order, and empties the outbox', async () => {
    const gate = { open: true }
    broker = await gatedBroker(0, gate)
    const port = broker.port
    const url = `mqtt://127.0.0.1:${port}`
    sub = await collector(url, ['lift/v1/+/+/telemetry'], { clientId: 'sub', clean: false })
    const fleet = new Fleet({ elevators: 3, region: '330922', seed: 5, traffic: 1 })
    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 100 }, silent)
    const info = await sim.start()
    const { dir, configFile } = writeGatewayConfig({
      brokerPort: port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 }],
      elevators: fleet.cars.map((c, i) => ({ id: c.elevatorId, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
      outbox: { replayPerSecond: 100 },
    })
    gw = await startGateway(configFile, dir)
    await sub.waitFor((ms) => ms.length >= 20)

    // outage: the broker and every connection gone; the cars keep moving
    await broker.close()
    const before = sub.messages.length
    await new Promise((r) => setTimeout(r, OUTAGE_MS))
    const backlog = metricValue(await gw.metrics(), 'liftwatch_gateway_outbox_depth')
    expect(backlog).toBeGreaterThan(50)

    gate.open = false
    broker = await gatedBroker(port, gate)
    // the subscriber back and subscribed before the gateway may reconnect
    await new Promise<void>((resolve) => broker!.broker.on('subscribe', (_s, client) => { if (client.id === 'sub') resolve() }))
    gate.open = true

    // stop the cars, let the gateway drain, then compare
    await new Promise((r) => setTimeout(r, 3000))
    await sim.stop()
    const drained = async () => metricValue(await gw!.metrics(), 'liftwatch_gateway_outbox_depth') === 0
    for (let i = 0; i < 120 && !(await drained()); i++) await new Promise((r) => setTimeout(r, 500))
    expect(await drained()).toBe(true)
    await new Promise((r) => setTimeout(r, 500))

    const { replayed, live } = checkDelivery(sub.messages, fleet.cars.map((c) => c.elevatorId))
    expect(replayed).toBeGreaterThanOrEqual(backlog * 0.9)
    expect(live).toBeGreaterThan(0)
    expect(sub.messages.length).toBeGreaterThan(before)
  }, 180_000)
})
