// `npm start` (= `liftwatch demo`): the broker, 4 gateways and 20 simulated cars come up as separate
// processes, the page's URL is printed, and Ctrl-C stops them all.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { connect, createServer } from 'node:net'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './helpers/ports.ts'
import { LIFTWATCH } from './helpers/cli.ts'
import { login, sessionCookie } from './helpers/http-login.ts'
import { chromium } from 'playwright-core'

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1')
  s.once('connect', () => { s.destroy(); resolve(false) })
  s.once('error', () => resolve(true))
})

describe('liftwatch demo', () => {
  it('prints the page URL, the receivers and the demo users\' passwords, opens logged in as desk, serves 20 elevators behind 4 gateways, stops cleanly on Ctrl-C', async () => {
    const [http, mqtt, modbus] = [await freePort(), await freePort(), await freePort()]
    const proc = spawn(process.execPath, [LIFTWATCH, 'demo', '--http-port', String(http), '--mqtt-port', String(mqtt), '--modbus-port', String(modbus), '--data', mkdtempSync(join(tmpdir(), 'lw-demo-'))], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (d) => { out += d })
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
    try {
      for (let i = 0; i < 300 && !out.includes(`http://127.0.0.1:${http}/`); i++) await new Promise((r) => setTimeout(r, 100))
      expect(out).toContain(`http://127.0.0.1:${http}/`)
      // the local notification receivers and the KPI page are named (bin/demo-notify.ts)
      expect(out).toMatch(/通知接收 notification receivers: http:\/\/127\.0\.0\.1:\d+ \(企业微信、钉钉、短信、webhook 本地模拟\)/)
      expect(out).toContain(`http://127.0.0.1:${http}/ui/kpi.html`)
      // a browser on this machine opening the page is logged in as the desk user
      const page = await fetch(`http://127.0.0.1:${http}/`, { redirect: 'manual' })
      expect(page.status).toBe(200)
      const cookie = sessionCookie(page.headers.getSetCookie())
      expect(cookie).not.toBeNull()
      const me = await (await fetch(`http://127.0.0.1:${http}/api/me`, { headers: { cookie: cookie! } })).json() as { user: { username: string } }
      expect(me.user.username).toBe('desk')
      // every car reported through its gateway
      let elevators: { availability: string; gatewayId: string }[] = []
      for (let i = 0; i < 60; i++) {
        elevators = (await (await fetch(`http://127.0.0.1:${http}/api/elevators`, { headers: { cookie: cookie! } })).json() as { elevators: typeof elevators }).elevators
        if (elevators.length === 20 && elevators.every((e) => e.availability === 'online')) break
        await new Promise((r) => setTimeout(r, 500))
      }
      expect(elevators.filter((e) => e.availability === 'online')).toHaveLength(20)
      expect(new Set(elevators.map((e) => e.gatewayId)).size).toBe(4)
      // the printed passwords log in; the township officer sees its township's 10 cars only
      for (const user of ['desk', 'township', 'maintenance']) expect(out).toMatch(new RegExp(`^ +${user} +\\S{16} `, 'm'))
      const password = new RegExp('^ +township +(\\S+) ', 'm').exec(out)![1]!
      const township = await login(`http://127.0.0.1:${http}`, 'township', password)
      const theirs = (await township.json<{ elevators: { township?: string }[] }>('/api/elevators')).elevators
      expect(theirs).toHaveLength(10)
      expect(await (await fetch(`http://127.0.0.1:${http}/api/elevators`)).status).toBe(401)
      // and in Debian's chromium at 360 px: the page opens live, as the desk user, with every car
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'] })
      try {
        const tab = await browser.newPage({ viewport: { width: 360, height: 740 }, locale: 'zh-CN' })
        await tab.goto(`http://127.0.0.1:${http}/`)
        await tab.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'live', undefined, { timeout: 15_000 })
        await tab.waitForFunction(() => document.querySelectorAll('#fleet .card').length === 20)
        expect(new URL(tab.url()).pathname).toBe('/')
        expect(await tab.locator('#operator').textContent()).toContain('张敏（演示）')
        mkdirSync('.tmp', { recursive: true })
        await tab.screenshot({ path: join('.tmp', 'demo-auto-login-360.png'), fullPage: false })
      } finally {
        await browser.close()
      }
    } finally {
      proc.kill('SIGINT')
      expect(await exited).toBe(0)
    }
    for (const port of [http, mqtt, modbus]) expect(await refused(port), `port ${port} closed`).toBe(true)
  }, 90_000)

  /** `liftwatch demo …` to its end: exit code and every output line. */
  const runDemo = (args: string[]) => new Promise<{ code: number | null; lines: string[] }>((resolve) => {
    const proc = spawn(process.execPath, [LIFTWATCH, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (d) => { out += d })
    proc.stderr.on('data', (d) => { out += d })
    proc.once('exit', (code) => resolve({ code, lines: out.split('\n').filter((l) => l.trim()) }))
  })

  it.each([
    [['--http-port', 'abc'], /--http-port: .* \/ must be an integer 1–65535, got "abc"/],
    [['--bogus'], /未知选项 \/ unknown option: --bogus/],
    [['--log-level', 'loud'], /unknown option: --log-level/],
  ])('%j: exit 2 with one line, no stack trace', async (args, message) => {
    const { code, lines } = await runDemo(args)
    expect(code).toBe(2)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
  })

  it.each(['mqtt', 'http', 'modbus'] as const)('a taken %s port: exit 1 with one line naming the cause, every other port free again', async (taken) => {
    const ports = { http: await freePort(), mqtt: await freePort(), modbus: await freePort() }
    const holder = createServer()
    await new Promise<void>((r) => holder.listen(ports[taken], '127.0.0.1', () => r()))
    try {
      const { code, lines } = await runDemo(['--http-port', String(ports.http), '--mqtt-port', String(ports.mqtt), '--modbus-port', String(ports.modbus),
        '--data', mkdtempSync(join(tmpdir(), 'lw-demo-'))])
      expect(code).toBe(1)
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(new RegExp(`^liftwatch demo: .*未能启动 / .* did not start: .*EADDRINUSE.*${ports[taken]}`))
      for (const [name, port] of Object.entries(ports)) if (name !== taken) expect(await refused(port), `${name} port ${port}`).toBe(true)
    } finally {
      await new Promise((r) => holder.close(r))
    }
  }, 60_000)
})
