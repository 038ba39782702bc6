// The broker is down while cars keep moving, long enough for a backlog of more than 50 state
// changes (and at least 10 s): afterwards the subscriber has every state change, in order, each seq
// once, and the gateway's outbox is empty.
import { afterAll, describe, expect, it } from 'vitest'
import { checkDelivery } from '../helpers/delivery.ts'
import { metricUntil, metricValue, startGateway, type GatewayRun } from '../helpers/gateway.ts'
import { startRig, type Rig } from '../helpers/rig.ts'

const MIN_OUTAGE_MS = 10_000
const BACKLOG = 50
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('gateway across a broker outage', () => {
  let rig: Rig | undefined
  let gw: GatewayRun | undefined
  afterAll(async () => {
    await gw?.stop()
    await rig?.close()
  })

  it('delivers every change exactly once, in order, and empties the outbox', async () => {
    rig = await startRig({ seed: 5, open: true, topics: ['lift/v1/+/+/telemetry'], clean: false })
    const { sub, sim, fleet } = rig
    const { dir, configFile } = rig.gatewayConfig({ outbox: { replayPerSecond: 100 } })
    gw = await startGateway(configFile, dir)
    const depth = 'liftwatch_gateway_outbox_depth'
    await sub.waitFor((ms) => ms.length >= 20)

    // outage: the broker and every connection gone; the cars keep moving
    await rig.broker.close()
    const down = performance.now()
    const before = sub.messages.length
    await metricUntil(gw, depth, (d) => d > BACKLOG, `a backlog of more than ${BACKLOG}`, { timeoutMs: 60_000 })
    await delay(MIN_OUTAGE_MS - (performance.now() - down))
    const backlog = metricValue(await gw.metrics(), depth)
    expect(backlog).toBeGreaterThan(BACKLOG)

    // the subscriber back and subscribed before the gateway may reconnect
    const back = sub.messages.length
    await rig.restartBroker()

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
