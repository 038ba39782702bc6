// Issue 12's first acceptance, every peer real: the simulator traps a passenger → the gateway reads
// it over Modbus TCP → MQTT → the broker raises the entrapment and opens an incident → the
// maintenance unit's WeCom robot, the steward's signed DingTalk robot and the desk's signed webhook
// each get one message within 2 s of the alarm (the receivers check each service's request format
// and signature) → nobody responds, so at the shortened response limit the grid worker and the
// township are told → the maintenance unit's responder link, opened in Debian chromium at a phone's
// 360 px, records 已到达 then 已解救 1 人 → the timeline has each step with its time and the
// incident's KPIs are right. Screenshot: .tmp/respond-e2e-360.png (not committed).
import { afterAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pino from 'pino'
import type { Browser } from 'playwright-core'
import { stringify } from 'yaml'
import { Fleet } from '../../../simulators/fleet.ts'
import { Simulator } from '../../../simulators/app.ts'
import { loadScenario, SCENARIO_DIR } from '../../../simulators/scenario.ts'
import { Receivers } from '../../../simulators/notify/receivers.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import type { IncidentDetail, IncidentSummary } from '../../../broker/incidents/types.ts'
import type { Aggregate } from '../../../response/index.ts'
import { startBrokerApp, type BrokerRun } from '../../helpers/broker-app.ts'
import { collector } from '../../helpers/broker.ts'
import { startGateway, writeGatewayConfig, type GatewayRun } from '../../helpers/gateway.ts'
import { elevator, linkIn, partiesFor, ROBOT, TOWNSHIP, writePolicies } from './county.ts'
import { launchChromium } from '../../helpers/chromium.ts'

const LEVEL2_S = 6

describe('simulator → gateway → broker → incident → robots, escalation, responder link, KPIs', () => {
  const recv = new Receivers()
  let broker: BrokerRun | undefined
  let gw: GatewayRun | undefined
  let sim: Simulator | undefined
  let browser: Browser | undefined
  afterAll(async () => {
    await browser?.close()
    await gw?.stop()
    await sim?.stop()
    await broker?.stop()
    await recv.stop()
  })

  it('tells L1 within 2 s, escalates at the response limit, and records arrival and release from the link', async () => {
    await recv.start()
    const dir = mkdtempSync(join(tmpdir(), 'lw-response-e2e-'))
    const fleet = new Fleet({ elevators: 2, region: '330922', seed: 21, traffic: 0, scenario: loadScenario(join(SCENARIO_DIR, 'entrapment.yaml')) })
    const ids = fleet.cars.map((c) => c.elevatorId)
    const partiesFile = join(dir, 'parties.yaml')
    writeFileSync(partiesFile, stringify(partiesFor(recv, ids)))
    const policies = writePolicies(dir, LEVEL2_S / 60, 30)
    broker = await startBrokerApp({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: {
        'gw-test': { role: 'gateway', hash: await hashPassword('gw-secret', { N: 1024, r: 8, p: 1 }) },
        monitor: { role: 'monitor', hash: await hashPassword('monitor-pw', { N: 1024, r: 8, p: 1 }) },
      } },
      registry: { elevators: ids.map((id, i) => elevator(id, i + 1, 'gw-test')) },
      parties: { path: partiesFile },
      alarms: { path: join(dir, 'alarms.db') },
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: 3000 } } },
      response: { policies },
    }, join(dir, 'broker.yaml'))
    const monitor = await collector(broker.url, ['lift/v1/+/+/alarm', 'lift/v1/+/+/incident'], { username: 'monitor', password: 'monitor-pw' })
    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 50 }, pino({ level: 'silent' }))
    const info = await sim.start()
    const cfg = writeGatewayConfig({
      brokerPort: (broker.ports.mqtt as { tcp: number }).tcp, mqtt: { username: 'gw-test', password: 'gw-secret' },
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 }],
      elevators: ids.map((id, i) => ({ id, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
    })
    gw = await startGateway(cfg.configFile, cfg.dir)

    // the alarm, as a subscriber gets it; then one message at each L1 receiver within 2 s of it
    await monitor.waitFor((ms) => ms.some((m) => m.topic.endsWith('/alarm') && m.json.type === 'entrapment'), 60_000)
    const alarm = monitor.messages.find((m) => m.topic.endsWith('/alarm') && m.json.type === 'entrapment')!.json as { detectedAt: number; elevatorId: string }
    expect(alarm.elevatorId).toBe(ids[0])
    const l1 = await Promise.all([ROBOT.maintenance, ROBOT.steward, ROBOT.desk].map((id) => recv.waitFor((r) => r.endpointId === id, 5000)))
    for (const r of l1) expect(r.at - alarm.detectedAt).toBeLessThanOrEqual(2000)
    expect(l1[0]!.text).toContain('困人')
    expect(l1[0]!.text).toContain('33001') // the rescue code
    // the desk's webhook carries the facts, signed (the receiver checked it), with its idempotency key
    expect(l1[2]!.idempotencyKey).toBeTruthy()

    // nobody responds: at the response limit the township's group (grid worker and officer) is told
    const level2 = await recv.waitFor((r) => r.endpointId === ROBOT.township, (LEVEL2_S + 5) * 1000)
    expect(level2.at - alarm.detectedAt).toBeGreaterThanOrEqual(LEVEL2_S * 1000 - 200)
    expect(level2.at - alarm.detectedAt).toBeLessThan((LEVEL2_S + 3) * 1000)
    expect(level2.text).toContain('升级')

    // the maintenance unit's link, on a phone
    const link = linkIn(l1[0]!.text)
    expect(link).toBeDefined()
    const url = new URL(link!)
    browser = await launchChromium()
    const page = await (await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', isMobile: true, hasTouch: true })).newPage()
    await page.goto(`${broker.base}${url.pathname}`)
    await page.locator('#arrived:not([disabled])').waitFor({ timeout: 10_000 })
    const arrivedClick = Date.now()
    await page.locator('#arrived').click()
    await page.locator('#state[data-state="04"]').waitFor({ timeout: 10_000 })
    await page.locator('#released:not([disabled])').waitFor({ timeout: 10_000 })
    await page.locator('#released').click()
    await page.locator('#persons').fill('1')
    const releasedClick = Date.now()
    await page.locator('#confirm-yes').click()
    await page.locator('#state[data-state="00"]').waitFor({ timeout: 10_000 })
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)
    mkdirSync(resolve('.tmp'), { recursive: true })
    await page.screenshot({ path: resolve('.tmp/respond-e2e-360.png'), fullPage: true })

    // the record, as the county's admin reads it
    const admin = await broker.login()
    const { incidents } = await admin.json<{ incidents: IncidentSummary[] }>(`/api/incidents?elevator=${ids[0]}`)
    expect(incidents).toHaveLength(1)
    const d = await admin.json<IncidentDetail>(`/api/incidents/${incidents[0]!.id}`)
    const inc = d.incident
    expect(inc).toMatchObject({ state: '00', personsReleased: 1, drill: false, source: 'alarm', alarmType: 'entrapment' })
    expect(inc.alarmAt).toBe(alarm.detectedAt)
    expect(inc.arrivedAt).toBeGreaterThanOrEqual(arrivedClick)
    expect(inc.releasedAt).toBeGreaterThanOrEqual(releasedClick)
    const kinds = inc.timeline.map((e) => (e.kind === 'notify' ? `notify:${e.step}:${e.role}` : e.kind === 'action' ? `action:${e.action.kind}:${e.actor.via}` : e.kind))
    expect(kinds.slice(0, 2)).toEqual(['opened', 'alarm'])
    for (const k of ['notify:at_once:maintenance', 'notify:at_once:property', 'notify:at_once:steward', 'notify:at_once:desk', 'notify:level2:grid', 'notify:level2:township', 'action:arrived:link', 'action:released:link']) {
      expect(kinds).toContain(k)
    }
    // in time order, each with its time; the link's actor is the maintenance unit
    expect(inc.timeline.every((e, i, all) => i === 0 || e.at >= all[i - 1]!.at)).toBe(true)
    const released = inc.timeline.find((e) => e.kind === 'action' && e.action.kind === 'released')!
    expect(released.actor).toMatchObject({ via: 'link', role: 'maintenance', name: '舟山电梯维保' })
    // four first notices and one to the township's group (grid worker and officer together), each delivered
    expect(inc.timeline.filter((e) => e.kind === 'delivery' && e.ok).length).toBeGreaterThanOrEqual(5)
    // KPIs: from the alarm, by the incident's own times
    expect(d.kpi).toMatchObject({ arrivalMs: inc.arrivedAt! - inc.alarmAt, rescueMs: inc.releasedAt! - inc.alarmAt, onSiteMs: inc.releasedAt! - inc.arrivedAt!, arrivedInLimit: true })
    // responded when arriving, after the 6 s response limit had passed: not in the response limit
    expect(d.kpi.respondedInLimit).toBe(false)
    const { rows } = await admin.json<{ rows: Aggregate[] }>('/api/kpis?by=township')
    expect(rows).toEqual([expect.objectContaining({ key: TOWNSHIP, incidents: 1, responseRate: 0, arrivalInLimitRate: 1, meanArrivalMs: d.kpi.arrivalMs })])
    // the incident topic followed it to the end, naming nobody
    await monitor.waitFor((ms) => ms.some((m) => m.topic.endsWith('/incident') && m.json.state === '00'), 5000)
    expect(monitor.messages.filter((m) => m.topic.endsWith('/incident')).every((m) => !JSON.stringify(m.json).includes('王师傅'))).toBe(true)
    await monitor.close()
  }, 120_000)
})
