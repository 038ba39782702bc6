// The hazard register page (broker/ui/hazards.html) in Debian chromium at 360 × 740 against the real
// HTTP app over a real register: a township officer sees the car's hazard as a card, moves it to
// rectifying with the page's form, registers one by hand; the export link carries the filter.
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AccountStore } from '../../broker/accounts/store.ts'
import { build } from '../../broker/http/app.ts'
import { registerHazardRoutes } from '../../broker/http/hazard-routes.ts'
import { LiveView } from '../../broker/live-view.ts'
import { memoryAccounts } from '../helpers/accounts.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { loginInPage } from '../helpers/http-login.ts'
import { memoryLog } from '../helpers/memory-log.ts'
import { clock, LIFT1, LIFT2, registry } from './incidents/fixtures.ts'
import { TOWN_A } from './http/incident-fixture.ts'
import { hazardRig, tempDir, type HazardRig } from './records/hazard-fixture.ts'

let rig: HazardRig
let app: FastifyInstance
let accounts: AccountStore
let view: LiveView
let browser: Browser
let page: Page
let base: string
const pageErrors: string[] = []

beforeAll(async () => {
  const s = clock()
  rig = hazardRig(tempDir(), s)
  view = new LiveView(registry(), rig.alarms, async () => '', () => ({ ok: true, checks: {} }))
  accounts = await memoryAccounts([TOWN_A])
  app = build({ view, accounts, log: memoryLog('broker').log, routes: [registerHazardRoutes(rig.hazards)] })
  base = await app.listen({ port: 0, host: '127.0.0.1' })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 360, height: 740 } })
  page.on('pageerror', (e) => pageErrors.push(String(e)))
  await loginInPage(page, base, TOWN_A.username, TOWN_A.password)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await app?.close()
  view?.stop()
  accounts?.stop()
  rig?.close()
})

describe('the hazard register page at 360 px', () => {
  it('shows the hazard as a card and moves it to rectifying through the form', async () => {
    const r = rig.hazards.register({ elevatorId: LIFT1, description: '门锁回路短接', grade: 'major', foundBy: 'monitoring' }, { name: 'system', via: 'system' })
    const id = r.ok ? r.value.id : ''
    await page.goto(`${base}/ui/hazards.html#${id}`)
    const row = page.locator(`tr[data-id="${id}"]`)
    await row.waitFor()
    expect(await row.innerText()).toContain('门锁回路短接')
    expect(await row.innerText()).toContain('待整改')
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true)
    expect(await page.locator('#xlsx').getAttribute('href')).toBe('/api/hazards.xlsx?state=open_any')
    await page.locator('.hz-change select[name=kind]').selectOption('state:rectifying')
    await page.locator('.hz-change button[type=submit]').click()
    await page.locator(`tr[data-id="${id}"] .hz-state`, { hasText: '整改中' }).waitFor()
    expect(rig.hazards.get(id, { userId: 0, username: 'x', name: 'x', role: 'admin', scope: { all: true }, via: 'session' })).toMatchObject({ state: 'rectifying', timeline: expect.arrayContaining([expect.objectContaining({ kind: 'state', actor: expect.objectContaining({ name: TOWN_A.name }) })]) })
  })

  it('registers a hazard by hand', async () => {
    await page.locator('#new').click()
    const f = page.locator('#register')
    await f.locator('input[name=elevatorId]').fill(LIFT2)
    await f.locator('textarea[name=description]').fill('轿厢照明损坏')
    await f.locator('select[name=grade]').selectOption('general')
    await f.locator('button[type=submit]').click()
    await page.locator('tr.hz-row', { hasText: '轿厢照明损坏' }).waitFor()
    expect(await page.locator('#count').innerText()).toContain('2')
    expect(pageErrors).toEqual([])
  })
})
