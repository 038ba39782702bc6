// The patrol page in Debian chromium at 360×740 (a phone), against the HTTP app over the real patrol
// service and hazard register: a grid administrator opens their personal link, picks the overdue
// lift, answers the ten items with one 异常 and a photo taken (a small real PNG), submits; a hazard
// exists with that photo. Then logged in, the same page through the session. No horizontal scroll
// at 360 px; screenshots go to .tmp/patrol-360.png (not committed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { readPhoto } from '../../broker/records/photos.ts'
import { PATROL_ITEMS } from '../../broker/records/types.ts'
import { launchChromium } from '../helpers/chromium.ts'
import { COUNTY, LIFT1, LIFT2 } from './incidents/fixtures.ts'
import { GRID, patrolApp, type PatrolApp } from './http/patrol-app.ts'
import { png } from './records/patrol-fixture.ts'

const SHOTS = resolve('.tmp')

let h: PatrolApp
let base: string
let browser: Browser

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  h = await patrolApp()
  base = await h.app.listen({ host: '127.0.0.1', port: 0 })
  browser = await launchChromium()
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await h?.close()
})

const phone = () => browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'zh-CN', hasTouch: true, isMobile: true })

/** Answers every item 正常 except `bad` (异常, with a note and, if given, a photo); waits for the upload. */
async function answer(page: Page, bad: string, photo?: Buffer): Promise<void> {
  for (const it of PATROL_ITEMS) {
    const li = page.locator(`li.item[data-item="${it.id}"]`)
    await li.locator(`label:has(input[value="${it.id === bad ? 'bad' : 'ok'}"])`).tap()
  }
  const li = page.locator(`li.item[data-item="${bad}"]`)
  await li.locator('textarea').fill('报警按钮按下无反应')
  if (photo) {
    await page.setInputFiles(`#photo-${bad}`, { name: 'alarm.png', mimeType: 'image/png', buffer: photo })
    await expect.poll(() => li.locator('.photo-state').getAttribute('data-state')).toBe('done')
  }
}

describe('patrol page', () => {
  it('at 360 px through the personal link: one failed item with a photo → a hazard with the photo', async () => {
    const { url } = h.rig.patrols.linkFor('p-zhou')!
    const context = await phone()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${base}${new URL(url).pathname}`)
    await page.locator('#cars button').first().waitFor()
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN')
    expect(await page.locator('#person').textContent()).toBe('周网格员（网格员）')
    const cars = page.locator('#cars button')
    expect(await cars.evaluateAll((bs) => bs.map((b) => [(b as HTMLElement).dataset.elevator, (b as HTMLElement).dataset.overdue]))).toEqual([[LIFT1, 'true'], [LIFT2, 'true']])
    await cars.nth(1).tap()
    await page.locator('#form').waitFor({ state: 'visible' })
    expect(await page.locator('#car-building').textContent()).toBe('1号楼 2单元')
    expect(await page.locator('#submit').isDisabled()).toBe(true)

    const image = png(32, 32)
    await answer(page, 'alarm', image)
    // every control a thumb can hit: at least 48 px tall
    for (const b of await page.locator('.choice label, .photo-label:visible, button:visible').all()) {
      expect((await b.boundingBox())!.height).toBeGreaterThanOrEqual(48)
    }
    await page.screenshot({ path: join(SHOTS, 'patrol-form-360.png'), fullPage: true })
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)
    await page.locator('#submit').tap()
    await page.locator('#result').waitFor({ state: 'visible' })
    expect(await page.locator('#result-text').textContent()).toContain('已登记隐患 1 项')
    await page.screenshot({ path: join(SHOTS, 'patrol-360.png'), fullPage: true })
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(360)
    expect(errors).toEqual([])

    const hazardId = await page.locator('#result-hazards li').getAttribute('data-hazard')
    const hz = h.rig.hazards.get(hazardId!, COUNTY)!
    expect(hz).toMatchObject({ elevatorId: LIFT2, foundBy: 'patrol', grade: 'major', rule: 'patrol:alarm', state: 'open' })
    expect(hz.description).toContain('报警按钮按下无反应')
    expect(hz.photos).toHaveLength(1)
    expect(readPhoto(h.rig.dir, hz.photos[0]!, h.rig.db)).toEqual({ type: 'image/png', bytes: image })
    const patrol = h.rig.patrols.list({ elevatorId: LIFT2 }, COUNTY)[0]!
    expect(patrol.by).toEqual({ name: '周网格员', userId: 'p-zhou', via: 'link', role: 'grid' })
    // back on the list, the lift just patrolled is no longer overdue
    await page.locator('#next').tap()
    await expect.poll(() => cars.evaluateAll((bs) => bs.map((b) => (b as HTMLElement).dataset.overdue))).toEqual(['true', 'false'])
    await context.close()
  })

  it('logged in: the same page through the session and its csrf token', async () => {
    const context = await phone()
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    const res = await page.request.post(`${base}/api/login`, { data: { username: GRID.username, password: GRID.password } })
    expect(res.status()).toBe(200)
    await page.goto(`${base}/ui/patrol.html`)
    await page.locator(`#cars button[data-elevator="${LIFT1}"]`).tap()
    await answer(page, 'rules')
    await page.locator('#submit').tap()
    await page.locator('#result').waitFor({ state: 'visible' })
    const p = h.rig.patrols.list({ elevatorId: LIFT1 }, COUNTY)[0]!
    expect(p.by).toMatchObject({ name: GRID.name, via: 'desk', role: 'grid' })
    expect(h.rig.hazards.get(p.hazardIds[0]!, COUNTY)).toMatchObject({ grade: 'general', rule: 'patrol:rules' })
    expect(errors).toEqual([])
    await context.close()
  })
})
