// The broker is down while cars keep moving, long enough for a backlog of more than 50 state
// changes (and at least 10 s): afterwards the subscriber has every state change, in order, each seq
// once, and the gateway's outbox is empty.
import { afterAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { collector, gatedBroker, type TestBroker } from '../helpers/broker.ts'
import { checkDelivery } from '../helpers/delivery.ts'
import { metricUntil, metricValue, startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'

const MIN_OUTAGE_MS = 10_000
const BACKLOG = 50
const silent = pino({ level: 'silent' })
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('gateway across a broker outage', () => {
  let broker: TestBroker | undefined
  let sim: Simulator | undefined
  let gw: GatewayRun | undefined
  let sub: Awaited<ReturnType<typeof collector>> | undefined
  afterAll(async () => {
    await gw?.stop()
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
    const depth = 'liftwatch_gateway_outbox_depth'
    await sub.waitFor((ms) => ms.length >= 20)

    // outage: the broker and every connection gone; the cars keep moving
    await broker.close()
    const down = performance.now()
    const before = sub.messages.length
    await metricUntil(gw, depth, (d) => d > BACKLOG, `a backlog of more than ${BACKLOG}`, { timeoutMs: 60_000 })
    await delay(MIN_OUTAGE_MS - (performance.now() - down))
    const backlog = metricValue(await gw.metrics(), depth)
    expect(backlog).toBeGreaterThan(BACKLOG)

    gate.open = false
    broker = await gatedBroker(port, gate)
    // the subscriber back and subscribed before the gateway may reconnect
    await new Promise<void>((resolve) => broker!.broker.on('subscribe', (_s, client) => { if (client.id === 'sub') resolve() }))
    const back = sub.messages.length
    gate.open = true

    // live changes flow again beside the replay; then the cars stop and the gateway drains
    await sub.waitFor((ms) => ms.slice(back).some((m) => m.json.reason !== 'replay'))
    await sim.stop()
    await metricUntil(gw, depth, (d) => d === 0, 'outbox drained', { timeoutMs: 60_000 })
    // every telemetry message the gateway produced has reached the subscriber
    const m = await gw.metrics()
    const produced = metricValue(m, 'liftwatch_gateway_messages_total', { kind: 'change' }) + metricValue(m, 'liftwatch_gateway_messages_total', { kind: 'heartbeat' })
    await sub.waitFor((ms) => ms.length >= produced)

    const { replayed, live } = checkDelivery(sub.messages, fleet.cars.map((c) => c.elevatorId))
    expect(replayed).toBeGreaterThanOrEqual(backlog * 0.9)
    expect(live).toBeGreaterThan(0)
    expect(sub.messages.length).toBeGreaterThan(before)
  }, 180_000)
})
