// The gateway is killed with SIGKILL in the middle of a broker outage and started again: every
// message it had written to its outbox reaches the broker, and no seq of its first boot is missing.
import { afterAll, describe, expect, it } from 'vitest'
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { metricUntil, metricValue, startGatewayCli, type GatewayCliRun } from '../helpers/gateway.ts'
import { startRig, type Rig } from '../helpers/rig.ts'

const DEPTH = 'liftwatch_gateway_outbox_depth'

describe('gateway killed with SIGKILL during an outage', () => {
  let rig: Rig | undefined
  let gw: GatewayCliRun | undefined
  afterAll(async () => {
    await gw?.cli.stop()
    await rig?.close()
  })

  it('loses nothing it had written', async () => {
    rig = await startRig({ seed: 1, open: true, topics: ['lift/v1/+/+/telemetry'], clean: false })
    const { sub, fleet } = rig
    const { dir, configFile } = rig.gatewayConfig()
    gw = await startGatewayCli(configFile, dir)
    await sub.waitFor((ms) => ms.length >= 20)
    const firstBoot = sub.messages[0]!.json.boot as string
    // everything produced so far acknowledged, then the outage until more than 20 messages wait
    const produced = metricValue(await gw.metrics(), 'liftwatch_gateway_messages_total')
    await metricUntil(gw, 'liftwatch_gateway_publish_latency_seconds_count', (n) => n >= produced, 'messages so far acknowledged')
    await rig.broker.close()
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
    await rig.restartBroker()
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
