// VictoriaMetrics (standing in for InfluxDB) is stopped for 15 s while a gateway keeps publishing
// through the broker: afterwards every telemetry point published is stored. The sink's retry and
// spool re-send delays are shortened in the configuration, so 15 s takes it through every stage
// (in-memory retries given up, spooled to disk, re-sent after the restart).
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { telemetryTopic } from '../../protocol/index.ts'
import { hashPassword } from '../../broker/mqtt/passwords.ts'
import { startBrokerApp, type BrokerRun } from '../helpers/broker-app.ts'
import { metricValue } from '../helpers/gateway.ts'
import { sampleTelemetry } from '../protocol/fixtures.ts'
import { startVm, type Vm } from './sinks/victoria-metrics.ts'

const OUTAGE_MS = 15_000
const RATE_MS = 10 // up to 100 points/s from one elevator
const ID = '31103309222024019999'

describe('broker with VictoriaMetrics down for 15 s', () => {
  let vm: Vm | undefined
  let broker: BrokerRun | undefined
  afterAll(async () => {
    await broker?.stop()
    await vm?.close()
  })

  it('stores every telemetry point published', async () => {
    vm = await startVm()
    const dir = mkdtempSync(join(tmpdir(), 'lw-vm-outage-'))
    broker = await startBrokerApp({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: { 'gw-vm': { role: 'gateway', hash: await hashPassword('pw') } } },
      registry: { elevators: [{ id: ID, registrationCode: ID, rescueCode: '39999', region: '330922', address: '测试地址', landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId: 'gw-vm' }] },
      alarms: { path: join(dir, 'alarms.db') },
      telemetry: {
        influx: {
          url: vm.url, org: 'county', bucket: 'liftwatch', spillDir: join(dir, 'spill'), flushIntervalMs: 200, timeoutMs: 2000,
          maxRetryTimeMs: 5000, minRetryDelayMs: 250, maxRetryDelayMs: 2000,
        },
      },
    })
    const spooling = async () => metricValue(await broker!.broker.metrics.text(), 'liftwatch_broker_sink_gauges_spooling')
    const client = await mqtt.connectAsync(broker.url, { username: 'gw-vm', password: 'pw', clientId: 'gw-vm' })
    let seq = 0
    const published: number[] = []
    const publishFor = async (ms: number) => {
      const end = Date.now() + ms
      while (Date.now() < end) {
        const ts = Date.now()
        // the floor index changes every message so each point is its own value
        await client.publishAsync(telemetryTopic('330922', ID), JSON.stringify(sampleTelemetry({ ts, seq, gateway: 'gw-vm', floorIndex: seq % 13, floor: String((seq % 13) + 1) })), { qos: 1 })
        published.push(ts)
        seq++
        await new Promise((r) => setTimeout(r, RATE_MS))
      }
    }
    await publishFor(3000)
    await vm.stop()
    await publishFor(OUTAGE_MS)
    // the outage reached the spool on disk, not only the client's memory
    expect(await spooling()).toBe(1)
    await vm.restart()
    await publishFor(3000)
    await client.endAsync()
    const series = await vm.waitForExport(`{__name__="lift_telemetry_floorIndex",elevator="${ID}"}`,
      (s) => new Set(s.flatMap((x) => x.timestamps)).size >= published.length, `all ${published.length} points`, 60_000)
    const stored = new Set(series.flatMap((x) => x.timestamps))
    expect(published.filter((ts) => !stored.has(ts))).toEqual([])
    expect(published.length).toBeGreaterThan(1000)
  }, 120_000)
})
