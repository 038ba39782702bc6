// VictoriaMetrics (standing in for InfluxDB) is stopped for 2 minutes while a gateway keeps
// publishing through the broker: afterwards every telemetry point published is stored.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { telemetryTopic } from '../../protocol/index.ts'
import { hashPassword } from '../../broker/mqtt/passwords.ts'
import { startCli, type Cli } from '../helpers/cli.ts'
import { sampleTelemetry } from '../protocol/fixtures.ts'
import { startVm, type Vm } from './sinks/victoria-metrics.ts'

const OUTAGE_MS = 120_000
const RATE_MS = 100 // 10 points/s from one elevator
const ID = '31103309222024019999'

describe('broker with VictoriaMetrics down for 2 minutes', () => {
  let vm: Vm | undefined
  let broker: Cli | undefined
  afterAll(async () => {
    if (broker) expect(await broker.stop()).toBe(0)
    await vm?.close()
  })

  it('stores every telemetry point published', async () => {
    vm = await startVm()
    const dir = mkdtempSync(join(tmpdir(), 'lw-vm-outage-'))
    writeFileSync(join(dir, 'broker.yaml'), stringify({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: { 'gw-vm': { role: 'gateway', hash: await hashPassword('pw') } } },
      http: { host: '127.0.0.1', port: 0 },
      registry: { elevators: [{ id: ID, registrationCode: ID, rescueCode: '39999', region: '330922', address: '测试地址', landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId: 'gw-vm' }] },
      alarms: { path: join(dir, 'alarms.db') },
      telemetry: { influx: { url: vm.url, org: 'county', bucket: 'liftwatch', spillDir: join(dir, 'spill'), flushIntervalMs: 200, timeoutMs: 2000, maxRetryTimeMs: 5000 } },
    }))
    broker = startCli(['broker', '--config', join(dir, 'broker.yaml')])
    const started = await broker.waitFor('broker started') as { mqtt: { tcp: number } }
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${started.mqtt.tcp}`, { username: 'gw-vm', password: 'pw', clientId: 'gw-vm' })
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
    await vm.restart()
    await publishFor(3000)
    await client.endAsync()
    const series = await vm.waitForExport(`{__name__="lift_telemetry_floorIndex",elevator="${ID}"}`,
      (s) => new Set(s.flatMap((x) => x.timestamps)).size >= published.length, `all ${published.length} points`, 60_000)
    const stored = new Set(series.flatMap((x) => x.timestamps))
    expect(published.filter((ts) => !stored.has(ts))).toEqual([])
    expect(published.length).toBeGreaterThan(1000)
  }, 240_000)
})
