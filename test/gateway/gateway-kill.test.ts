// The gateway is killed with SIGKILL in the middle of a broker outage and started again: every
// message it had written to its outbox reaches the broker, and no seq of its first boot is missing.
import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import pino from 'pino'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { collector, gatedBroker, type TestBroker } from '../helpers/broker.ts'
import { metricUntil, metricValue, startGatewayCli, writeGatewayConfig, type GatewayCliRun } from '../helpers/gateway.ts'

const DEPTH = 'liftwatch_gateway_outbox_depth'

describe('gateway killed with SIGKILL during an outage', () => {
  let broker: TestBroker | undefined
  let sim: Simulator | undefined
  let gw: GatewayCliRun | undefined
  let sub: Awaited<ReturnType<typeof collector>> | undefined
  afterAll(async () => {
    await gw?.cli.stop()
    await sub?.close()
    await sim?.stop()
    await broker?.close()
  })

  it('loses nothing it had written', async () => {
    const gate = { open: true }
    broker = await gatedBroker(0, gate)
    const port = broker.port
    sub = await collector(`mqtt://127.0.0.1:${port}`, ['lift/v1/+/+/telemetry'], { clientId: 'sub', clean: false })
    const fleet = new Fleet({ elevators: 3, region: '330922', seed: 1, traffic: 1 })
    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 100 }, pino({ level: 'silent' }))
    const info = await sim.start()
    const { dir, configFile } = writeGatewayConfig({
      brokerPort: port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 }],
      elevators: fleet.cars.map((c, i) => ({ id: c.elevatorId, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
    })
    gw = await startGatewayCli(configFile, dir)
    await sub.waitFor((ms) => ms.length >= 20)
    const firstBoot = sub.messages[0]!.json.boot as string
    // everything produced so far acknowledged, then the outage until more than 20 messages wait
    const produced = metricValue(await gw.metrics(), 'liftwatch_gateway_messages_total')
    await metricUntil(gw, 'liftwatch_gateway_publish_latency_seconds_count', (n) => n >= produced, 'messages so far acknowledged')
    await broker.close()
    await metricUntil(gw, DEPTH, (d) => d > 20, 'a backlog of more than 20')
    await gw.cli.stop('SIGKILL')

    // what the outbox holds after the kill
    const db = new Database(join(dir, 'outbox.db'), { readonly: true })
    const stored = (db.prepare('SELECT topic, payload FROM outbox').all() as { topic: string; payload: string }[])
      .filter((r) => r.topic.endsWith('/telemetry'))
      .map((r) => ({ topic: r.topic, ...(JSON.parse(r.payload) as { boot: string; seq: number }) }))
    db.close()
    expect(stored.length).toBeGreaterThan(10)
    expect(new Set(stored.map((s) => s.boot))).toEqual(new Set([firstBoot]))

    // a new broker, the subscriber back first, then the gateway restarted on the same outbox
    gate.open = false
    broker = await gatedBroker(port, gate)
    await new Promise<void>((resolve) => broker!.broker.on('subscribe', (_s, client) => { if (client.id === 'sub') resolve() }))
    gate.open = true
    gw = await startGatewayCli(configFile, dir)
    await metricUntil(gw, DEPTH, (d) => d === 0, 'the outbox held at the kill replayed')

    // every telemetry row the outbox held at the kill arrived (acknowledged to the gateway may
    // come a moment before delivered to the subscriber; the expect names what is missing)
    const missing = () => {
      const got = new Set(sub!.messages.map((m) => `${m.topic}|${m.json.boot}|${m.json.seq}`))
      return stored.filter((r) => !got.has(`${r.topic}|${r.boot}|${r.seq}`))
    }
    await sub.waitFor(() => missing().length === 0, 10_000).catch(() => undefined)
    expect(missing()).toEqual([])
    const receivedFirstBoot = sub.messages.filter((m) => m.json.boot === firstBoot)
    for (const c of fleet.cars) {
      const seqs = receivedFirstBoot.filter((m) => m.topic.includes(c.elevatorId)).map((m) => m.json.seq as number)
      const max = Math.max(...seqs)
      // every seq of the first boot from 0 to the last one written, none twice
      expect(new Set(seqs).size, c.elevatorId).toBe(seqs.length)
      expect([...seqs].sort((a, b) => a - b), c.elevatorId).toEqual(Array.from({ length: max + 1 }, (_, i) => i))
    }
    const replayed = receivedFirstBoot.filter((m) => m.json.reason === 'replay')
    expect(replayed.length).toBeGreaterThanOrEqual(stored.length)
    // and the second boot is live again
    await sub.waitFor((ms) => ms.some((m) => m.json.boot !== firstBoot && m.json.reason !== 'replay'))
  }, 120_000)
})
