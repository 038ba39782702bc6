// A car's public page in Debian chromium at 360×740 (a phone), against the HTTP app with the public
// routes over a real complaints service: a resident opens the page from the car's QR, files a
// report → the use unit and the steward have outbox rows; nobody acknowledges within the (shortened)
// limit → the grid and the township are told. Then the steward opens the link from the message and
// taps 已处理. No horizontal scroll at 360 px; screenshots in .tmp/public-360.png (not committed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import { launchChromium } from '../helpers/chromium.ts'
import { COUNTY, LIFT1, runUntil, T0 } from './incidents/fixtures.ts'
import { publicApp, type PublicApp } from './http/public-fixture.ts'

const SHOTS = resolve('.tmp')
const HOUR = 3_600_000

let h: PublicApp
let base: string
let browser: Browser

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  h = await publicApp({ complaints: { ackHours: 1 } })
  base = await h.app.listen({ host: '127.0.0.1', port: 0 })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await h?.close()
})

describe('public page', () => {
  it('at 360 px: a resident files a report → use unit and steward told; late → grid and township; the steward resolves it by link', async () => {
    h.live.set(LIFT1, { availability: 'online', telemetry: { mode: 'normal' } as never, activeAlarms: [] })
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', hasTouch: true, isMobile: true })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
    await page.goto(`${base}/p/${h.rig.complaints.codes.codeFor(LIFT1)}`)
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN')
    expect(await page.locator('#service b').textContent()).toBe('正常运行')
    expect(await page.locator('#rescue-code').textContent()).toBe('33001')
    expect(await page.locator('#call-96333').getAttribute('href')).toBe('tel:96333')
    expect(await context.cookies()).toEqual([])

    await page.locator('#category').selectOption('doors')
    await page.locator('#text').fill('三楼\n电梯门关不严')
    await page.locator('#phone').fill('13912345678')
    await page.locator('#send').tap()
    await expect.poll(() => page.locator('#result').textContent()).toContain('已提交')
    await page.screenshot({ path: join(SHOTS, 'public-360.png'), fullPage: true })
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)

    const [c] = h.rig.complaints.list({}, COUNTY)
    expect(c).toMatchObject({ elevatorId: LIFT1, category: 'doors', text: '三楼 电梯门关不严', phone: '13912345678', state: 'new' })
    const told = h.rig.outbox.forIncident(c!.id)
    expect([...new Set(told.map((i) => i.role))].sort()).toEqual(['property', 'steward'])

    runUntil(h.scheduler, T0 + HOUR)
    const late = h.rig.outbox.forIncident(c!.id).slice(told.length)
    expect(late.map((i) => i.partyName).join('、')).toMatch(/周网格员.*徐干部|徐干部.*周网格员/)

    const link = told.find((i) => i.role === 'steward')!.message.link!
    await page.goto(`${base}/c/${link.split('/c/')[1]}`)
    expect(await page.locator('#complaint-text').textContent()).toBe('三楼 电梯门关不严')
    await page.locator('#note').fill('已通知维保调整门机')
    await page.locator('#resolve').tap()
    await expect.poll(() => h.rig.complaints.get(c!.id, COUNTY)!.state).toBe('resolved')
    await expect.poll(() => page.locator('#state b').textContent()).toContain('已处理')
    await page.screenshot({ path: join(SHOTS, 'public-link-360.png'), fullPage: true })
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)
    expect(h.rig.complaints.get(c!.id, COUNTY)!.timeline.find((t) => t.kind === 'state')?.actor).toMatchObject({ name: '陈楼道长', via: 'link', role: 'steward' })
    expect(errors).toEqual([])
    await context.close()
  }, 60_000)
})
