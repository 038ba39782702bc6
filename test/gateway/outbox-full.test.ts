// Issue 10, "Gateways": with its outbox full the gateway published nothing while its metrics said
// connected, depth 0, drops 0. Now it says so — metric, retained status, log — and publishes live
// telemetry straight away, unstored, until the backlog's replay has freed room. The real gateway
// in-process, the real simulator over Modbus TCP, a real aedes; the outbox file capped
// (`outbox.maxFileBytes`, SQLite max_page_count) so that SQLite itself answers SQLITE_FULL.
import { afterAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { collector, gatedBroker, type Received, type TestBroker } from '../helpers/broker.ts'
import { metricUntil, metricValue, startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'

const silent = pino({ level: 'silent' })
const isStatus = (m: Received) => m.topic.endsWith('/status')
const isLive = (m: Received) => m.topic.endsWith('/telemetry') && m.json.reason !== 'replay'

describe('gateway with a full outbox', () => {
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

  it('keeps live telemetry flowing unstored, and says so in its metrics, its status and its log', async () => {
    const gate = { open: false }
    broker = await gatedBroker(0, gate)
    const url = `mqtt://127.0.0.1:${broker.port}`
    sub = await collector(url, ['lift/v1/+/+/telemetry', 'lift/v1/gateways/+/status'], { clientId: 'sub' })
    const fleet = new Fleet({ elevators: 3, region: '330922', seed: 1, traffic: 1 })
    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 100 }, silent)
    const info = await sim.start()
    const { dir, configFile } = writeGatewayConfig({
      brokerPort: broker.port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 }],
      elevators: fleet.cars.map((c, i) => ({ id: c.elevatorId, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
      outbox: { maxFileBytes: 32_768, replayPerSecond: 5 },
    })
    gw = await startGateway(configFile, dir)

    // the broker refuses the gateway while the cars move: the outbox fills its file
    await metricUntil(gw, 'liftwatch_gateway_outbox_full', (v) => v === 1, 'outbox full')
    const full = await gw.waitFor('outbox full: publishing live messages without storing them')
    expect(full).toMatchObject({ level: 40, path: expect.stringContaining('outbox.db') })
    const stored = metricValue(await gw.metrics(), 'liftwatch_gateway_outbox_depth')
    expect(stored).toBeGreaterThan(0)

    gate.open = true
    // its status says so from the connect on, retained
    await sub.waitFor((ms) => ms.some((m) => isStatus(m) && m.json.state === 'online'))
    expect(sub.messages.find((m) => isStatus(m) && m.json.state === 'online')!.json).toMatchObject({ outbox: 'full' })
    // live samples arrive while the backlog still waits on disk
    const from = sub.messages.length
    await sub.waitFor((ms) => ms.slice(from).filter(isLive).length >= 10)
    const m = await gw.metrics()
    expect(metricValue(m, 'liftwatch_gateway_outbox_bypassed')).toBeGreaterThan(0)
    expect(metricValue(m, 'liftwatch_gateway_outbox_full')).toBe(1)
    expect(metricValue(m, 'liftwatch_gateway_mqtt_connected')).toBe(1)

    // the replay frees room: the outbox stores again, and the status says so
    await sub.waitFor((ms) => ms.some((x) => isStatus(x) && x.json.state === 'online' && x.json.outbox === undefined), 30_000)
    await metricUntil(gw, 'liftwatch_gateway_outbox_full', (v) => v === 0, 'outbox writable again')
    await gw.waitFor('outbox writable again')
    // every live sample is its elevator's next seq or later: none went missing while unstored
    const seqs = new Map<string, number[]>()
    for (const x of sub.messages.filter(isLive)) seqs.set(x.topic, [...(seqs.get(x.topic) ?? []), x.json.seq as number])
    for (const s of seqs.values()) expect(s).toEqual([...s].sort((a, b) => a - b))
  })
})
