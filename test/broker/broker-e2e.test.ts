// End to end with every real peer: simulator → gateway → broker host (aedes, ingest, detectors;
// both built in-process from their configuration, as their CLIs would) → the entrapment alarm on MQTT, in the SQLite alarm store, in VictoriaMetrics
// (written by the InfluxDB client through /api/v2/write) and on the live page in Debian chromium,
// where the desk operator logs in and acknowledges it under their own name.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pino from 'pino'
import { chromium, type BrowserContext } from 'playwright-core'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { loadScenario, SCENARIO_DIR } from '../../simulators/scenario.ts'
import { hashPassword } from '../../broker/mqtt/passwords.ts'
import { startBrokerApp, type BrokerRun } from '../helpers/broker-app.ts'
import { collector } from '../helpers/broker.ts'
import type { TestUser } from '../helpers/accounts.ts'
import { loginInPage } from '../helpers/http-login.ts'
import { startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'
import { startVm, type Vm } from './sinks/victoria-metrics.ts'
import { ARGS, CHROMIUM } from '../helpers/chromium.ts'

const THRESHOLD_MS = 3000 // entrapment outside the door zone, shortened for the test
const DESK: TestUser = { username: 'desk-wang', name: '值班员 王五', role: 'desk', scope: { region: '330922' }, password: 'desk-wang-pw-42' }

describe('simulator → gateway → broker → entrapment alarm everywhere', () => {
  let vm: Vm | undefined
  let broker: BrokerRun | undefined
  let gw: GatewayRun | undefined
  let sim: Simulator | undefined
  let browser: BrowserContext | undefined
  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
    await sim?.stop()
    await broker?.stop()
    await vm?.close()
  })

  it('raises the entrapment within threshold + 2 s and shows it on MQTT, in SQLite, in VictoriaMetrics and on the page', async () => {
    vm = await startVm()
    const dir = mkdtempSync(join(tmpdir(), 'lw-e2e-'))
    const fleet = new Fleet({ elevators: 2, region: '330922', seed: 21, traffic: 0, scenario: loadScenario(join(SCENARIO_DIR, 'entrapment.yaml')) })
    const ids = fleet.cars.map((c) => c.elevatorId)
    broker = await startBrokerApp({
      mqtt: {
        listeners: { tcp: { host: '127.0.0.1', port: 0 } },
        users: { 'gw-test': { role: 'gateway', hash: await hashPassword('gw-secret') }, monitor: { role: 'monitor', hash: await hashPassword('monitor-pw') } },
      },
      http: { host: '127.0.0.1', port: 0 },
      registry: {
        elevators: ids.map((id, i) => ({
          id, registrationCode: id, rescueCode: `3300${i + 1}`, region: '330922', address: '嵊泗县菜园镇测试路 1 号',
          building: `${i + 1}号楼`, landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId: 'gw-test',
        })),
      },
      alarms: { path: join(dir, 'alarms.db') },
      telemetry: { influx: { url: vm.url, org: 'county', bucket: 'liftwatch', spillDir: join(dir, 'spill'), flushIntervalMs: 200 } },
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: THRESHOLD_MS } } },
    }, '(e2e broker config)', [DESK])
    const started = { mqtt: broker.ports.mqtt as { tcp: number }, http: broker.ports.http }
    const url = broker.url
    const sub = await collector(url, ['lift/v1/+/+/alarm', 'lift/v1/+/+/telemetry'], { username: 'monitor', password: 'monitor-pw' })

    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 50 }, pino({ level: 'silent' }))
    const info = await sim.start()
    const cfg = writeGatewayConfig({
      brokerPort: started.mqtt.tcp,
      mqtt: { username: 'gw-test', password: 'gw-secret' },
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 }],
      elevators: ids.map((id, i) => ({ id, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
    })
    gw = await startGateway(cfg.configFile, cfg.dir)

    // the trapped moment: car 1 reports standing still outside the door zone with a passenger
    const trappedAt = async () => {
      await sub.waitFor((ms) => ms.some((m) => m.topic.endsWith(`/${ids[0]}/telemetry`) && m.json.moving === false && m.json.doorZone === false && m.json.occupied === true), 40_000)
      return Date.now()
    }
    const t0 = await trappedAt()
    await sub.waitFor((ms) => ms.some((m) => m.topic.endsWith('/alarm') && m.json.type === 'entrapment'), THRESHOLD_MS + 10_000)
    const t1 = Date.now()
    const alarm = sub.messages.find((m) => m.topic.endsWith('/alarm') && m.json.type === 'entrapment')!
    expect(alarm.topic).toBe(`lift/v1/330922/${ids[0]}/alarm`)
    expect(alarm.json).toMatchObject({ v: 1, type: 'entrapment', code: '11', severity: 'critical', state: 'raised', elevatorId: ids[0], region: '330922', drill: false })
    expect(t1 - t0).toBeLessThanOrEqual(THRESHOLD_MS + 2000)

    // the SQLite alarm store
    const db = new Database(join(dir, 'alarms.db'), { readonly: true })
    const rows = db.prepare('SELECT * FROM alarms').all() as Record<string, unknown>[]
    db.close()
    expect(rows.some((r) => r.id === alarm.json.id)).toBe(true)

    // VictoriaMetrics: the alarm and car 1's telemetry, through the InfluxDB client
    await vm.waitForExport(`{__name__="lift_alarm_raisedAt",elevator="${ids[0]}",type="entrapment"}`, (s) => s.length > 0, 'the entrapment alarm', 20_000)
    const floors = await vm.waitForExport(`{__name__="lift_telemetry_floorIndex",elevator="${ids[0]}"}`, (s) => (s[0]?.values.length ?? 0) > 2, 'car 1 telemetry', 20_000)
    expect(floors[0]!.metric).toMatchObject({ region: '330922', gateway: 'gw-test' })

    // the live page, in Chinese first
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'lw-chromium-')), {
      executablePath: CHROMIUM, args: ARGS, headless: true, locale: 'zh-CN',
    })
    const page = browser.pages()[0] ?? await browser.newPage()
    await loginInPage(page, broker.base, DESK.username, DESK.password)
    await page.getByText('困人').first().waitFor({ timeout: 10_000 })
    // the alarm's elevator, listed once the page has applied the alarm list
    const item = page.locator(`li[data-id="${alarm.json.id as string}"]`)
    await item.waitFor({ timeout: 10_000 })
    expect(await item.getAttribute('data-ack')).toBe('active-unacked')

    // acknowledged on the page: into the SQLite store under the logged-in user's name, still listed
    page.on('dialog', (d) => void d.accept())
    await item.locator('.al-ack-btn').click()
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`li[data-id="${id}"]`)?.dataset.ack === 'active-acked', alarm.json.id as string)
    const acked = new Database(join(dir, 'alarms.db'), { readonly: true })
    expect(acked.prepare('SELECT acked_by, acked_by_user FROM alarms WHERE id = ?').get(alarm.json.id)).toEqual({ acked_by: DESK.name, acked_by_user: DESK.username })
    acked.close()
    await sub.close()
  }, 120_000)
})
