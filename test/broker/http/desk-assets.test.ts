// The desk's and the KPI page's files as the broker serves them, and their text: every key the
// pages and scripts use has Chinese and English, and the timers read as the desk sees them.
// (The pages in a browser: test/broker/desk-browser.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { build } from '../../../broker/http/app.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { liveFleet, type LiveFleet } from './fixtures.ts'
import { testAccounts } from './login-fixture.ts'

const UI = resolve('broker/ui')
const read = (f: string) => readFileSync(resolve(UI, f), 'utf8')
// browser modules, loaded as they are (their top level touches no DOM); typed loosely on purpose
const load = (f: string): Promise<Record<string, (...a: unknown[]) => unknown>> => import(pathToFileURL(resolve(UI, f)).href)

let app: FastifyInstance
let fleet: LiveFleet
let accounts: AccountStore
beforeAll(async () => {
  fleet = liveFleet(1)
  accounts = await testAccounts()
  app = build({ view: fleet.view, accounts, log: pino({ level: 'silent' }) })
})
afterAll(async () => {
  await app.close()
  fleet.stop()
  accounts.stop()
})

describe('desk and KPI assets', () => {
  it.each([
    ['/ui/incidents.js', 'text/javascript; charset=utf-8'], ['/ui/incident-panel.js', 'text/javascript; charset=utf-8'],
    ['/ui/kpi.js', 'text/javascript; charset=utf-8'], ['/ui/kpi.html', 'text/html; charset=utf-8'],
  ])('%s is served as %s', async (url, type) => {
    const res = await app.inject(url)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe(type)
    if (type.startsWith('text/html')) expect(res.headers['content-security-policy']).toContain("script-src 'self'")
  })

  it('puts the desk band above the fleet and alarms, links the KPI page, and loads only module scripts of this host', () => {
    const index = read('index.html')
    expect(index.indexOf('<section id="desk"')).toBeGreaterThan(index.indexOf('</header>'))
    expect(index.indexOf('<section id="desk"')).toBeLessThan(index.indexOf('<main>'))
    expect(index).toContain('href="/ui/kpi.html"')
    const kpi = read('kpi.html')
    expect(kpi).toContain('<html lang="zh-CN">')
    expect(kpi).toContain('<script type="module" src="/ui/kpi.js"></script>')
    for (const html of [index, kpi]) expect(html).not.toMatch(/<script(?![^>]*src="\/ui\/)|\sstyle="|\son[a-z]+="/)
    expect(read('style.css')).toMatch(/@media print \{/)
    expect(read('live.js')).toMatch(/KINDS = \[[^\]]*'incident'/)
  })

  it('has Chinese and English for every key the desk, the panel and the KPI page use', async () => {
    const { t } = await load('i18n.js')
    const keys = new Set<string>()
    for (const f of ['index.html', 'kpi.html']) for (const m of read(f).matchAll(/data-t(?:-placeholder)?="(\w+)"/g)) keys.add(m[1]!)
    for (const f of ['incidents.js', 'incident-panel.js', 'kpi.js']) for (const m of read(f).matchAll(/\bt\('(\w+)'/g)) keys.add(m[1]!)
    expect(keys.size).toBeGreaterThan(40)
    const missing = [...keys].filter((k) => t!(k, undefined, 'zh') === k || t!(k, undefined, 'en') === k)
    expect(missing).toEqual([])
    expect(t!('release', { n: 2 }, 'zh')).toBe('已解救 2 人')
  })

  it('reads the timers as the desk sees them: trapped for, and time to the next step with whom it tells', async () => {
    const { mmss, hms } = await load('i18n.js')
    const { timers } = await load('incident-panel.js')
    expect([mmss!(65_000), mmss!(75 * 60_000 + 3_000), mmss!(-5)]).toEqual(['01:05', '75:03', '00:00'])
    expect(hms!(new Date(2025, 0, 2, 3, 4, 5).getTime())).toBe('03:04:05')
    const s = { id: 'i', state: '01', trappedAt: 0, nextStep: { id: 'level2', dueAt: 180_000, roles: ['grid', 'township'] } }
    expect(timers!(s, 65_000)).toEqual(['被困 01:05', '距升级 01:55 (网格员、乡镇)'])
    expect(timers!(s, 190_000)).toEqual(['被困 03:10', '升级已到 00:10 (网格员、乡镇)'])
    expect(timers!({ ...s, nextStep: null }, 65_000)).toEqual(['被困 01:05', ''])
    expect(timers!({ ...s, state: '00' }, 65_000)).toEqual(['被困 01:05', ''])
  })
})
