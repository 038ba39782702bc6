// Login over the real app (fastify.inject, and a real TLS socket for the Secure flag): 401 for
// every route that is not public, cookie flags, CSRF, API tokens, the Host check, strict bodies,
// and the lockout with its backoff, metrics and audit rows, on a real AccountStore (':memory:').
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { build, type HttpSecurity } from '../../../broker/http/app.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { alarmEvent, liveFleet, type LiveFleet } from './fixtures.ts'
import { as, login, PASSWORD, testAccounts, type Clock } from './login-fixture.ts'
import { SseClient } from './sse-client.ts'
import { sweepStreams } from '../../../broker/http/auth.ts'

const log = pino({ level: 'silent' })
let fleet: LiveFleet
let accounts: AccountStore
let app: FastifyInstance
const clock: Clock = { t: 1_800_000_000_000, now: () => clock.t }

async function start(http: HttpSecurity = {}): Promise<void> {
  app = build({ view: fleet.view, accounts, log, http: { now: clock.now, ...http } })
  await app.ready()
}

beforeEach(async () => {
  clock.t = 1_800_000_000_000
  fleet = liveFleet(2)
  accounts = await testAccounts(clock)
})
afterEach(async () => {
  await app?.close()
  accounts.stop()
  fleet.stop()
})

const example = (url: string) => url.replace(/:id/, 'al-none').replace('*', 'style.css')

describe('anonymous', () => {
  it('gets 401 on every route that is not public, and the public ones answer', async () => {
    await start()
    const routes = app.routeTable.filter((r) => r.method !== 'HEAD')
    expect(routes.length).toBeGreaterThan(8)
    const closed = routes.filter((r) => !r.public)
    expect(closed.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['GET /api/elevators', 'GET /api/alarms', 'GET /api/events', 'POST /api/alarms/:id/ack', 'GET /metrics', 'GET /api/me', 'POST /api/logout']))
    for (const r of closed) {
      const res = await app.inject({ method: r.method as 'GET', url: example(r.url), ...(r.method === 'POST' ? { payload: {} } : {}) })
      if (r.url === '/') {
        expect(res.statusCode).toBe(302)
        expect(res.headers.location).toBe('/login')
      } else {
        expect({ route: `${r.method} ${r.url}`, status: res.statusCode, code: res.json().code }).toEqual({ route: `${r.method} ${r.url}`, status: 401, code: 'LW_ERR_HTTP_UNAUTHENTICATED' })
      }
    }
    expect(app.liveEvents.stats().clients).toBe(0)
    expect((await app.inject('/no/such/route')).statusCode).toBe(401)
    for (const url of ['/login', '/healthz', '/ui/style.css', '/ui/login.js']) expect((await app.inject(url)).statusCode, url).toBe(200)
  })

  it('is logged in on GET / only with autoLogin and only from loopback', async () => {
    await start({ autoLogin: { username: 'desk' } })
    expect((await app.inject({ url: '/', remoteAddress: '192.0.2.7' })).statusCode).toBe(302)
    // a reverse proxy on this machine: loopback address, but the public name in Host
    expect((await app.inject({ url: '/', headers: { host: hostname() } })).statusCode).toBe(302)
    const res = await app.inject('/')
    expect(res.statusCode).toBe(200)
    const cookie = res.cookies.find((c) => c.name === 'lw_session')!
    const me = await app.inject({ url: '/api/me', headers: { cookie: `lw_session=${cookie.value}` } })
    expect(me.json().user.username).toBe('desk')
  })
})

describe('login and session', () => {
  it('sets an HttpOnly, SameSite=Strict cookie for / without Secure on plain HTTP; /api/me and logout', async () => {
    await start()
    const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'desk', password: PASSWORD } })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ user: { username: 'desk', name: '值班员 张三', role: 'desk', scope: { region: '330922' } }, csrf: expect.any(String) })
    const c = res.cookies.find((x) => x.name === 'lw_session')!
    expect(c).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' })
    expect(c.secure).toBeUndefined()
    expect(res.body).not.toContain(c.value)
    const who = await login(app, ' Desk ')
    const me = await as(app, who, '/api/me')
    expect(me.json()).toEqual({ user: expect.objectContaining({ username: 'desk' }), via: 'session', csrf: who.csrf })
    expect((await as(app, who, { method: 'POST', url: '/api/logout' })).statusCode).toBe(200)
    expect((await as(app, who, '/api/me')).statusCode).toBe(401)
    expect(accounts.auditLog().map((a) => a.action)).toEqual(['login', 'login', 'logout'])
    expect(accounts.auditLog()[0]).toMatchObject({ actor: 'desk', ip: '127.0.0.1' })
  })

  it('refuses a wrong password with 401, and a session that went idle', async () => {
    await start()
    const bad = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'desk', password: 'wrong' } })
    expect(bad.statusCode).toBe(401)
    expect(bad.json().code).toBe('LW_ERR_HTTP_LOGIN_FAILED')
    expect(bad.cookies).toEqual([])
    const who = await login(app)
    clock.t += 31 * 60_000
    expect((await as(app, who, '/api/elevators')).statusCode).toBe(401)
  })

  it('marks the cookie Secure when served over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-tls-'))
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' })
      await start({ tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) } })
      const addr = await app.listen({ host: '127.0.0.1', port: 0 })
      expect(addr).toMatch(/^https:/)
      const body = JSON.stringify({ username: 'desk', password: PASSWORD })
      const { status, setCookie, hsts } = await new Promise<{ status: number; setCookie: string[]; hsts: unknown }>((resolve, reject) => {
        const req = request(`${addr}/api/login`, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json', host: 'localhost' } }, (res) => {
          res.resume()
          resolve({ status: res.statusCode!, setCookie: res.headers['set-cookie'] ?? [], hsts: res.headers['strict-transport-security'] })
        })
        req.on('error', reject)
        req.end(body)
      })
      expect(status).toBe(200)
      expect(setCookie[0]).toMatch(/^lw_session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/)
      expect(hsts).toMatch(/max-age=\d+/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('event streams and sessions', () => {
  it('keeps the session of an open stream from going idle, and ends the stream with the session, the token or the user', async () => {
    await start()
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const who = await login(app)
    const open = async (headers: Record<string, string>) => {
      const c = await SseClient.connect(`${base}/api/events`, headers)
      await c.next((m) => m.event === 'hello')
      return c
    }
    const stream = await open(who.headers())
    const adminToken = accounts.createToken(accounts.user('admin')!.id, 'wall')
    const admin = await open({ authorization: `Bearer ${adminToken}` })
    const property = await open({ authorization: `Bearer ${accounts.createToken(accounts.user('property')!.id, 'wall')}` })
    for (let minutes = 0; minutes < 60; minutes += 20) {
      clock.t += 20 * 60_000
      sweepStreams(app.liveEvents, accounts)
    }
    // an hour with no request but the open stream: the session is alive
    expect((await as(app, who, '/api/me')).statusCode).toBe(200)
    expect(app.liveEvents.stats().clients).toBe(3)
    clock.t += 12 * 3_600_000 // past the session's absolute maximum
    sweepStreams(app.liveEvents, accounts)
    await stream.ended
    expect((await as(app, who, '/api/me')).statusCode).toBe(401)
    expect(app.liveEvents.principals().map((p) => p.username).sort()).toEqual(['admin', 'property'])
    accounts.disable('property')
    accounts.revokeToken(accounts.listTokens().find((t) => t.username === 'admin')!.id)
    sweepStreams(app.liveEvents, accounts)
    await Promise.all([admin.ended, property.ended])
    expect(app.liveEvents.stats().clients).toBe(0)
  })
})

describe('CSRF and tokens', () => {
  it('refuses a cookie-authenticated write without or with a wrong x-csrf-token', async () => {
    await start()
    const who = await login(app)
    const none = await app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: who.cookie } })
    expect(none.statusCode).toBe(403)
    expect(none.json().code).toBe('LW_ERR_HTTP_CSRF')
    const wrong = await app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: who.cookie, 'x-csrf-token': who.csrf.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) } })
    expect(wrong.statusCode).toBe(403)
    expect((await as(app, who, '/api/me')).statusCode).toBe(200)
  })

  it('accepts a Bearer token without CSRF, and 401 once it is revoked', async () => {
    await start()
    const token = accounts.createToken(accounts.user('admin')!.id, 'integration')
    const auth = { authorization: `Bearer ${token}` }
    const a = fleet.alarm(alarmEvent(fleet.ids[0]!, 'entrapment'))
    const ack = await app.inject({ method: 'POST', url: `/api/alarms/${a.id}/ack`, headers: auth, payload: {} })
    expect(ack.statusCode).toBe(200)
    expect(ack.json().alarm.ackedBy).toBe('Admin')
    expect(accounts.listTokens()[0]!.lastUsed).toBe(clock.t)
    accounts.revokeToken(accounts.listTokens()[0]!.id)
    expect((await app.inject({ url: '/api/elevators', headers: auth })).statusCode).toBe(401)
    expect((await app.inject({ url: '/api/elevators', headers: { authorization: 'Bearer lw_forged' } })).statusCode).toBe(401)
  })
})

describe('headers and bodies', () => {
  it('refuses a Host of another origin (421), and a cross-origin write (403)', async () => {
    await start({ publicOrigin: 'https://lifts.example.gov.cn' })
    const other = await app.inject({ url: '/healthz', headers: { host: 'evil.example.com' } })
    expect(other.statusCode).toBe(421)
    expect(other.json().code).toBe('LW_ERR_HTTP_BAD_HOST')
    const host = { host: 'lifts.example.gov.cn' }
    expect((await app.inject({ url: '/healthz', headers: host })).statusCode).toBe(200)
    const res = await app.inject({ method: 'POST', url: '/api/login', headers: { ...host, origin: 'https://evil.example.com' }, payload: { username: 'desk', password: PASSWORD } })
    expect(res.statusCode).toBe(403)
    const ok = await app.inject({ method: 'POST', url: '/api/login', headers: { ...host, origin: 'https://lifts.example.gov.cn' }, payload: { username: 'desk', password: PASSWORD } })
    expect(ok.statusCode).toBe(200)
    // behind a TLS proxy (an https public origin) the cookie is Secure too
    expect(ok.cookies[0]!.secure).toBe(true)
  })

  it('answers loopback names and refuses others when no public origin is set', async () => {
    await start({ listenHost: '127.0.0.1' })
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080']) expect((await app.inject({ url: '/healthz', headers: { host } })).statusCode, host).toBe(200)
    expect((await app.inject({ url: '/healthz', headers: { host: 'attacker.example:8080' } })).statusCode).toBe(421)
  })

  it('sends helmet headers with the page CSP', async () => {
    await start()
    const res = await app.inject('/healthz')
    expect(res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(res.headers['strict-transport-security']).toBeUndefined()
  })

  it('wants JSON bodies: text/plain is 415, unknown fields and a numeric `by` are 400', async () => {
    await start()
    const plain = await app.inject({ method: 'POST', url: '/api/login', headers: { 'content-type': 'text/plain' }, payload: 'desk' })
    expect(plain.statusCode).toBe(415)
    const extra = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'desk', password: PASSWORD, role: 'admin' } })
    expect(extra.statusCode).toBe(400)
    const numeric = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 123, password: PASSWORD } })
    expect(numeric.statusCode).toBe(400)
    const who = await login(app)
    const a = fleet.alarm(alarmEvent(fleet.ids[0]!, 'entrapment'))
    const by = await as(app, who, { method: 'POST', url: `/api/alarms/${a.id}/ack`, payload: { by: 123 } })
    expect(by.statusCode).toBe(400)
    const text = await as(app, who, { method: 'POST', url: `/api/alarms/${a.id}/ack`, headers: { 'content-type': 'text/plain' }, payload: '{}' })
    expect(text.statusCode).toBe(415)
    expect(fleet.store.get(a.id)!.ackedAt).toBeNull()
  })
})

describe('lockout', () => {
  const attempt = (password: string) => app.inject({ method: 'POST', url: '/api/login', payload: { username: 'desk', password } })

  it('backs off after 5 failures with a growing retryAfter, counts and audits them; a good login after the wait works', async () => {
    await start({ loginsPerMinute: 1000 })
    const waits: number[] = []
    for (let wrong = 0; wrong < 20;) {
      const res = await attempt('wrong password')
      if (res.statusCode === 429) {
        expect(res.json().code).toBe('LW_ERR_HTTP_LOGIN_LOCKED')
        waits.push(res.json().retryAfter)
        expect(res.headers['retry-after']).toBe(String(res.json().retryAfter))
        clock.t += res.json().retryAfter * 1000
        continue
      }
      expect(res.statusCode).toBe(401)
      wrong++
    }
    expect(waits.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 32])
    expect(waits).toHaveLength(15)
    expect(waits.at(-1)).toBe(900)
    // in backoff even with the right password
    const locked = await attempt(PASSWORD)
    expect(locked.statusCode).toBe(429)
    const metrics = (await as(app, await loginAdmin(), '/metrics')).body
    expect(metrics).toContain('liftwatch_broker_login_failures_total{reason="password"} 20')
    expect(metrics).toContain('liftwatch_broker_login_failures_total{reason="locked"} 16')
    expect(metrics).toContain('liftwatch_broker_login_lockouts_total 16')
    const audit = accounts.auditLog().filter((a) => a.target === 'desk' && a.action === 'login.failed')
    expect(audit).toHaveLength(36)
    expect(audit[0]).toMatchObject({ actor: null, ip: '127.0.0.1', detail: { reason: 'password', failures: 1 } })
    clock.t += locked.json().retryAfter * 1000
    expect((await attempt(PASSWORD)).statusCode).toBe(200)
    expect(accounts.failures('desk').count).toBe(0)
  })

  it('limits login attempts per client address', async () => {
    await start({ loginsPerMinute: 3 })
    for (let i = 0; i < 3; i++) expect((await attempt('wrong')).statusCode).toBe(401)
    const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username: 'admin', password: PASSWORD } })
    expect(res.statusCode).toBe(429)
    expect(res.json().code).toBe('LW_ERR_HTTP_TOO_MANY_REQUESTS')
  })
})

const loginAdmin = () => login(app, 'admin')
