// The 96333 desk in Debian chromium (playwright-core) at 360 × 740 against the real HTTP app with a
// real IncidentService (broker/incidents/service.ts) on a temp SQLite file, a real parties directory
// and real accounts: an entrapment alarm opens an incident that the desk sees on top with running
// timers; its panel names every party told with the delivery state (two attempts reported the way
// the dispatcher reports them); 已到达 then 已解救 1 人 closes it (the API says 00); a phone call by
// rescue code opens another that appears in the band; history search finds the closed one; the KPI
// page counts them. No horizontal scroll at 360 px. Screenshots: .tmp/desk-360.png,
// .tmp/desk-panel-360.png, .tmp/desk-call-360.png, .tmp/kpi.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pino from 'pino'
import { asyncScheduler } from 'rxjs'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { AlarmStore } from '../../broker/alarms/store.ts'
import type { AccountStore } from '../../broker/accounts/store.ts'
import { build } from '../../broker/http/app.ts'
import { openResponseDb } from '../../broker/incidents/db.ts'
import { IncidentService } from '../../broker/incidents/service.ts'
import type { IncidentDetail, IncidentSummary } from '../../broker/incidents/types.ts'
import { LiveView } from '../../broker/live-view.ts'
import { Outbox } from '../../broker/notify/outbox.ts'
import { parseParties } from '../../broker/parties/directory.ts'
import { parseRegistry } from '../../broker/registry/registry.ts'
import { DEFAULT_POLICY } from '../../response/index.ts'
import type { AlarmEvent } from '../../protocol/index.ts'
import { loginInPage } from '../helpers/http-login.ts'
import { login, PASSWORD, testAccounts, type Login } from './http/login-fixture.ts'
import { launchChromium } from '../helpers/chromium.ts'

const SHOTS = resolve('.tmp')
const TOWN = '330922100'
const VILLAGE = '330922100001'
const [E1, E2] = ['31103309222024010001', '31103309222024010002']

const registry = parseRegistry({
  elevators: [E1, E2].map((id, k) => ({
    id, registrationCode: id, rescueCode: `3310${k + 1}`, region: '330922', township: TOWN, village: VILLAGE,
    address: `嵊泗县菜园镇沙河路 18 号`, building: `沙河小区 ${k + 1} 幢`, landings: 6, ratedSpeed: 1, gatewayId: 'gw-1',
    maintenance: 'zs-lift', property: 'wy-shahe',
  })),
})
const parties = parseParties({
  organisations: [
    { id: 'zs-lift', kind: 'maintenance', name: '舟山某电梯维保公司', dutyPhone: '0580-5081234', channels: [{ kind: 'webhook', ref: 'hook' }] },
    { id: 'wy-shahe', kind: 'property', name: '沙河路物业服务中心' },
    { id: 'desk-96333', kind: 'desk', name: '96333 平台', dutyPhone: '96333' },
  ],
  people: [
    { id: 'p-wang', name: '王师傅', phone: '13800000001', role: 'maintenance', org: 'zs-lift', channels: [{ kind: 'webhook', ref: 'hook' }] },
    // the property's own endpoint: a group reached by several roles at once gets one message naming them all
    { id: 'p-li', name: '李安全员', phone: '13800000002', role: 'property', org: 'wy-shahe', channels: [{ kind: 'webhook', ref: 'hook-prop' }] },
    { id: 'p-chen', name: '陈楼道长', phone: '13800000003', role: 'steward', region: VILLAGE, channels: [{ kind: 'webhook', ref: 'hook-steward' }] },
    { id: 'p-desk', name: '值班坐席', phone: '13800000006', role: 'desk', org: 'desk-96333', channels: [{ kind: 'webhook', ref: 'hook-desk' }] },
  ],
  endpoints: [{ id: 'hook', kind: 'webhook', url: 'http://127.0.0.1:9/hook' }, { id: 'hook-prop', kind: 'webhook', url: 'http://127.0.0.1:9/hook-prop' },
    { id: 'hook-steward', kind: 'webhook', url: 'http://127.0.0.1:9/hook-steward' }, { id: 'hook-desk', kind: 'webhook', url: 'http://127.0.0.1:9/hook-desk' }],
  elevators: [E1, E2].map((elevatorId) => ({ elevatorId, maintenance: 'zs-lift', property: 'wy-shahe', steward: 'p-chen', village: VILLAGE, township: TOWN })),
})

let dir: string
let app: FastifyInstance
let accounts: AccountStore
let service: IncidentService
let outbox: Outbox
let view: LiveView
let alarms: AlarmStore
let browser: Browser
let page: Page
let base: string
let desk: Login
const pageErrors: string[] = []

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  dir = mkdtempSync(join(tmpdir(), 'lw-desk-'))
  const log = pino({ level: 'silent' })
  const db = openResponseDb(join(dir, 'response.db'))
  outbox = new Outbox(db)
  service = new IncidentService({
    db, registry, parties: () => parties, policies: { policies: [DEFAULT_POLICY] }, scheduler: asyncScheduler, log, outbox,
    kick: () => {}, linkBase: 'http://127.0.0.1',
  })
  service.start()
  alarms = new AlarmStore(join(dir, 'alarms.db'))
  alarms.start()
  view = new LiveView(registry, alarms, async () => '', () => ({ ok: true, checks: {} }))
  view.attachIncidents(service.live$)
  accounts = await testAccounts()
  app = build({ view, accounts, log, incidents: service })
  base = await app.listen({ port: 0, host: '127.0.0.1' })
  desk = await login(app)
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  service?.stop()
  view?.stop()
  alarms?.stop()
  accounts?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { headers: { ...desk.headers(), accept: 'application/json' } })
  expect(res.status).toBe(200)
  return await res.json() as T
}

const entrapment = (elevatorId: string, raisedAt: number): AlarmEvent => ({
  v: 1, id: `al-${elevatorId}-${raisedAt}`, key: `${elevatorId}:entrapment`, type: 'entrapment', code: '11', severity: 'critical',
  state: 'raised', elevatorId, region: '330922', raisedAt, detectedAt: raisedAt, clearedAt: null, evidence: {}, drill: false,
})

const noHorizontalScroll = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)
const text = (p: Page, sel: string) => p.locator(sel).first().innerText()

describe('the desk on the live page', () => {
  let incidentId: string

  it('an entrapment opens an incident the desk sees on top, with timers that run', async () => {
    service.onAlarm(entrapment(E1, Date.now() - 65_000))
    const [open] = (await api<{ incidents: IncidentSummary[] }>('/api/incidents?open=true')).incidents
    expect(open).toMatchObject({ elevatorId: E1, state: '01' })
    incidentId = open!.id

    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    page = await context.newPage()
    page.on('pageerror', (err) => pageErrors.push(err.message))
    await loginInPage(page, base, 'desk', PASSWORD)
    const row = page.locator(`#incidents li[data-id="${incidentId}"]`)
    await row.waitFor()
    // the band is the first thing on the page, above the fleet and the alarms, and red
    const tops = await page.evaluate(() => ['desk', 'fleet', 'alarms'].map((id) => document.getElementById(id)!.getBoundingClientRect().top))
    expect(tops[0]).toBeLessThan(Math.min(tops[1]!, tops[2]!))
    expect(await page.locator('#desk').getAttribute('class')).toContain('hot')
    expect(await text(page, `#incidents li[data-id="${incidentId}"] .inc-state`)).toBe('已发生')
    expect(await text(page, `#incidents li[data-id="${incidentId}"] .inc-name`)).toContain('沙河小区 1 幢')
    expect(await text(page, `#incidents li[data-id="${incidentId}"] .inc-sub`)).toContain('33101')
    const trapped = await text(page, `#incidents li[data-id="${incidentId}"] .inc-trapped`)
    expect(trapped).toMatch(/^被困 01:0\d$/)
    // the next step is level 2 at 3 min after the alarm: the grid worker and the township
    expect(await text(page, `#incidents li[data-id="${incidentId}"] .inc-step`)).toMatch(/^距升级 01:5\d \(网格员、乡镇\)$/)
    await page.waitForFunction(([id, was]) => document.querySelector(`#incidents li[data-id="${id}"] .inc-trapped`)?.textContent !== was, [incidentId, trapped])
    expect(await noHorizontalScroll(page)).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'desk-360.png'), fullPage: true })
  }, 60_000)

  it('the panel names every party told and its delivery; 已到达 then 已解救 1 人 completes the incident (00)', async () => {
    // the dispatcher's report of two attempts: the maintenance item delivered, the property item failed
    const items = outbox.forIncident(incidentId)
    const maint = items.find((i) => i.role === 'maintenance')!
    const prop = items.find((i) => i.role === 'property')!
    const at = Date.now()
    outbox.delivered(maint.id, { attempts: 1, at, detail: 'HTTP 200' })
    service.onAttempt({ item: maint, attempt: 1, at, state: 'delivered', result: { ok: true, retryable: false, detail: 'HTTP 200' } })
    outbox.failed(prop.id, { attempts: 1, detail: 'HTTP 403' })
    service.onAttempt({ item: prop, attempt: 1, at, state: 'failed', result: { ok: false, retryable: false, detail: 'HTTP 403' } })

    await page.locator(`#incidents li[data-id="${incidentId}"]`).click()
    const panel = page.locator('#inc-panel')
    await panel.locator('.party').first().waitFor()
    const parties = await panel.locator('.party').evaluateAll((ls) => ls.map((l) => [(l as HTMLElement).dataset.party, (l as HTMLElement).dataset.state]))
    expect(parties).toEqual(expect.arrayContaining([['zs-lift', 'delivered'], ['p-li', 'failed']]))
    expect(parties.map(([p]) => p)).toEqual(expect.arrayContaining(['p-chen', 'p-desk']))
    expect(await text(page, '#inc-panel .party[data-party="p-li"] .p-detail')).toBe('HTTP 403')
    expect(await panel.locator('a[href="tel:05805081234"]').count()).toBe(1)
    expect(await text(page, '#ip-trapped')).toMatch(/^被困 01:\d\d$/)
    expect(await panel.locator('.tl').count()).toBeGreaterThan(3)
    expect(await text(page, '#ip-timeline .tl-at')).toMatch(/^\d\d:\d\d:\d\d$/)
    expect(await noHorizontalScroll(page)).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'desk-panel-360.png'), fullPage: true })

    await panel.locator('#ip-role').selectOption('maintenance')
    await panel.locator('button[data-act="arrived"]').click()
    await page.waitForFunction(() => document.getElementById('inc-panel')?.dataset.state === '04')
    // the band hears of it through the live event
    await page.waitForFunction((id) => document.querySelector<HTMLElement>(`#incidents li[data-id="${id}"]`)?.dataset.state === '04', incidentId)
    expect(await text(page, '#ip-release')).toBe('已解救 1 人')
    await panel.locator('#ip-release').click()
    await page.waitForFunction(() => document.getElementById('inc-panel')?.dataset.state === '00')
    const detail = await api<IncidentDetail>(`/api/incidents/${incidentId}`)
    expect(detail.summary.state).toBe('00')
    expect(detail.incident).toMatchObject({ personsReleased: 1 })
    expect(detail.incident.timeline.filter((e) => e.kind === 'action').map((e) => e.actor.name)).toEqual(['值班员 张三', '值班员 张三'])
    await page.locator(`#incidents li[data-id="${incidentId}"]`).waitFor({ state: 'detached' })
    expect(await page.locator('#inc-panel .tl-who').allInnerTexts()).toContain('值班员 张三')
    await panel.locator('#ip-close').click()
  }, 60_000)

  it('a phone call by rescue code opens an incident that appears in the band; history finds the closed one by rescue code', async () => {
    await page.locator('#inc-call-btn').click()
    await page.locator('#call-form input[name="code"]').fill('33102')
    await page.locator('#call-form input[name="caller"]').fill('住户 赵女士')
    await page.locator('#call-form button[type="submit"]').click()
    await page.waitForFunction(() => document.getElementById('inc-panel')?.hasAttribute('open') && document.getElementById('inc-panel')?.dataset.state === '01')
    const id = await page.locator('#inc-panel').getAttribute('data-id')
    const row = page.locator(`#incidents li[data-id="${id}"]`)
    await row.waitFor()
    expect(await row.locator('.inc-name').innerText()).toContain('沙河小区 2 幢')
    const detail = await api<IncidentDetail>(`/api/incidents/${id}`)
    expect(detail.summary).toMatchObject({ elevatorId: E2, source: 'desk', state: '01' })
    expect(detail.incident.timeline.some((e) => e.kind === 'desk_call' && e.caller === '住户 赵女士')).toBe(true)
    await page.locator('#ip-close').click()
    expect(await noHorizontalScroll(page)).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'desk-call-360.png'), fullPage: true })
    // history: every incident of the first elevator, closed ones too, found by its rescue code
    await page.locator('#inc-history-btn').click()
    await page.locator('#history-form input[name="elevator"]').fill('33101')
    await page.locator('#history-form button[type="submit"]').click()
    await page.locator(`#inc-history li[data-id="${incidentId}"][data-state="00"]`).waitFor()
    expect(await page.locator('#inc-history li[data-id]').count()).toBe(1)
  }, 60_000)

  it('the KPI page counts the incidents per township, maintenance unit and month, at 360 px too', async () => {
    await page.goto(`${base}/ui/kpi.html`)
    const row = page.locator(`table[data-by="township"] tr[data-key="${TOWN}"]`)
    await row.waitFor()
    const cells = await row.locator('td').allInnerTexts()
    // both incidents count, the open one too (response/kpi.ts aggregate)
    expect(cells[1]).toBe('2')
    expect(await page.locator('table[data-by="maintenance"] tr[data-key="zs-lift"]').count()).toBe(1)
    expect(await page.locator('table[data-by="month"] tbody tr[data-key]').count()).toBe(1)
    expect(await page.locator('.kpi-note').innerText()).toContain('14–15 分钟')
    expect(await noHorizontalScroll(page)).toBe(true)
    await page.setViewportSize({ width: 1000, height: 740 })
    await page.screenshot({ path: join(SHOTS, 'kpi.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  }, 60_000)
})
