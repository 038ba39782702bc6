// The demo's auto-login (http.autoLogin, bin/demo.ts) on a real broker over real HTTP: a browser
// on this machine (loopback peer, loopback Host) gets the desk user's session on GET /; a reverse
// proxy on the same machine forwarding the public name (loopback peer, public Host) does not.
import { afterEach, describe, expect, it } from 'vitest'
import { request } from 'node:http'
import { startBrokerApp, type BrokerRun } from '../helpers/broker-app.ts'
import type { TestUser } from '../helpers/accounts.ts'
import { sessionCookie } from '../helpers/http-login.ts'
import { hashPassword } from '../../broker/mqtt/passwords.ts'
import { REGISTRY } from './mqtt/fixtures.ts'

const DESK: TestUser = { username: 'desk', name: '值班员 赵六', role: 'desk', scope: { region: '330922' }, password: 'desk-auto-pw-1' }

/** GET `path` with exactly this Host header (fetch would not send ours). */
function get(port: number, path: string, host: string, cookie?: string): Promise<{ status: number; location?: string; cookie: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...(cookie ? { cookie } : {}) } }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => resolve({ status: res.statusCode!, ...(res.headers.location ? { location: res.headers.location } : {}), cookie: sessionCookie(res.headers['set-cookie'] ?? []), body }))
    })
    req.once('error', reject)
    req.end()
  })
}

async function brokerWith(http: Record<string, unknown>): Promise<BrokerRun> {
  return await startBrokerApp({
    mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: { monitor: { role: 'monitor', hash: await hashPassword('monitor-pw', { N: 1024, r: 8, p: 1 }) } } },
    http: { host: '127.0.0.1', port: 0, ...http },
    registry: REGISTRY,
    alarms: { path: ':memory:' },
  }, '(auto-login test)', [DESK])
}

describe('auto-login as the demo desk', () => {
  let run: BrokerRun | undefined
  afterEach(async () => { await run?.stop() })

  it('a browser on this machine opening / is logged in as desk, audited as an automatic login', async () => {
    run = await brokerWith({ autoLogin: { username: 'desk' } })
    for (const host of [`127.0.0.1:${run.ports.http}`, `localhost:${run.ports.http}`]) {
      const page = await get(run.ports.http, '/', host)
      expect(page.status, host).toBe(200)
      expect(page.cookie, host).not.toBeNull()
      const me = await get(run.ports.http, '/api/me', host, page.cookie!)
      expect(JSON.parse(me.body).user).toMatchObject({ username: 'desk', name: DESK.name })
    }
    // only the page: the API answers 401 to the same anonymous caller
    expect((await get(run.ports.http, '/api/elevators', `127.0.0.1:${run.ports.http}`)).status).toBe(401)
    const admin = await run.login()
    const { entries } = await admin.json<{ entries: { action: string; actor: string; detail: Record<string, unknown> | null }[] }>('/api/audit')
    expect(entries.filter((e) => e.action === 'login' && e.actor === 'desk').map((e) => e.detail)).toEqual([{ auto: true }, { auto: true }])
  })

  it('not through a proxy on this machine that forwards the public name, nor without autoLogin', async () => {
    run = await brokerWith({ autoLogin: { username: 'desk' }, publicOrigin: 'http://lifts.example.gov.cn' })
    const proxied = await get(run.ports.http, '/', 'lifts.example.gov.cn')
    expect(proxied.status).toBe(302)
    expect(proxied.location).toBe('/login')
    expect(proxied.cookie).toBeNull()
    await run.stop()
    run = await brokerWith({})
    const plain = await get(run.ports.http, '/', `127.0.0.1:${run.ports.http}`)
    expect([plain.status, plain.location, plain.cookie]).toEqual([302, '/login', null])
  })
})
