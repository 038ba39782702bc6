// The responder's page in Debian chromium at 360×740 (a phone), against the HTTP app over a real
// incident service: a maintenance worker opens the link from a message, taps 已到达 then 已解救 1 人
// and confirms; the incident is completed with one person released, in the link person's name. The
// page has no horizontal scroll at 360 px; a screenshot goes to .tmp/respond-360.png (not committed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import type { Incident } from '../../response/index.ts'
import { injectLogin } from '../helpers/http-login.ts'
import { DESK, incidentApp, type IncidentApp } from './http/incident-fixture.ts'
import { launchChromium } from '../helpers/chromium.ts'

const SHOTS = resolve('.tmp')

let h: IncidentApp
let base: string
let browser: Browser

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  h = await incidentApp()
  base = await h.app.listen({ host: '127.0.0.1', port: 0 })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await h?.close()
})

describe('responder page', () => {
  it('at 360 px: 已到达, then 已解救 1 人 confirmed → completed with 1 released, by the link\'s person', async () => {
    const desk = await injectLogin(h.app, DESK.username, DESK.password)
    const opened = await h.app.inject({ method: 'POST', url: '/api/incidents', headers: desk.write, payload: { foundBy: 'rescueCode', code: '33001' } })
    const inc = (opened.json() as { incident: Incident }).incident
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', hasTouch: true, isMobile: true })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${base}/r/${h.token(inc.id)}`)
    const state = page.locator('#state')
    await expect.poll(() => state.getAttribute('data-state')).toBe('01')
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN')
    expect(await page.locator('#address').textContent()).toBe('嵊泗县菜园镇沙河路 18 号')
    expect(await page.locator('#rescue-code').textContent()).toBe('33001')
    expect(await page.locator('#car-at').textContent()).toBe('3')
    expect(await page.locator('#trapped').textContent()).toMatch(/^\d\d:\d\d$/)
    // every button a thumb can hit: at least 48 px tall
    for (const b of await page.locator('button.act').all()) {
      if (await b.isVisible()) expect((await b.boundingBox())!.height).toBeGreaterThanOrEqual(48)
    }

    await page.locator('#arrived').tap()
    await expect.poll(() => state.getAttribute('data-state')).toBe('04')
    expect(await page.locator('#arrived').isDisabled()).toBe(true)
    expect(await page.locator('#responded').isDisabled()).toBe(true)
    await expect.poll(() => page.locator('#timeline li').allTextContents()).toContainEqual(expect.stringMatching(/王师傅（维保单位） 已到达现场$/))

    await page.locator('#released').tap()
    await page.locator('#confirm').waitFor({ state: 'visible' })
    expect(await page.locator('#persons').inputValue()).toBe('1')
    await page.screenshot({ path: join(SHOTS, 'respond-confirm-360.png'), fullPage: true })
    await page.locator('#confirm-yes').tap()
    await expect.poll(() => state.getAttribute('data-state')).toBe('00')
    expect(await state.textContent()).toContain('已完成 / completed · 1 人')
    // closed: nothing left to press
    for (const b of await page.locator('.actions button').all()) expect(await b.isDisabled()).toBe(true)
    await page.screenshot({ path: join(SHOTS, 'respond-360.png'), fullPage: true })
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)
    expect(errors).toEqual([])

    const stored = h.service.getForLink({ incidentId: inc.id, partyId: 'p-wang', partyName: '王师傅', role: 'maintenance', expiresAt: 0 })!.incident
    expect(stored).toMatchObject({ state: '00', personsReleased: 1 })
    expect(stored.timeline.filter((e) => e.kind === 'action').map((e) => [e.kind === 'action' && e.action.kind, e.actor])).toEqual([
      ['arrived', { userId: 'p-wang', name: '王师傅', via: 'link', role: 'maintenance' }],
      ['released', { userId: 'p-wang', name: '王师傅', via: 'link', role: 'maintenance' }],
    ])
    await context.close()
  }, 60_000)

  it('a tampered link opens the zh-CN/English refusal page, without horizontal scroll', async () => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
    const page = await context.newPage()
    const res = await page.goto(`${base}/r/bm90LWEtdG9rZW4.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`)
    expect(res!.status()).toBe(403)
    expect(await page.locator('h1').textContent()).toBe('链接无效或已过期，请联系 96333')
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)
    await page.screenshot({ path: join(SHOTS, 'respond-refused-360.png'), fullPage: true })
    await context.close()
  }, 30_000)
})
