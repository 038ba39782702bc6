// Every route through fastify.inject, logged in as the desk user (login-fixture.ts; auth.test.ts
// covers anonymous callers): valid and bad queries, error bodies, static files.
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest'
import pino from 'pino'
import { throwError } from 'rxjs'
import { Registry } from 'prom-client'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { build } from '../../../broker/http/app.ts'
import type { LiveView } from '../../../broker/live-view.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { alarmEvent, liveFleet, withLive, type LiveFleet } from './fixtures.ts'
import { as, login, testAccounts, type Login } from './login-fixture.ts'

const log = pino({ level: 'silent' })
let fleet: LiveFleet
let view: LiveView
let app: FastifyInstance
let ids: string[]
let queries: MockInstance<LiveView['alarms']>
let accounts: AccountStore
let who: Login
/** a request as the desk user */
const req = (o: InjectOptions | string) => as(app, who, o)
const desk = expect.objectContaining({ username: 'desk', role: 'desk' })

beforeEach(async () => {
  fleet = liveFleet(3, { online: 2 })
  ;({ view, ids } = fleet)
  queries = vi.spyOn(view, 'alarms')
  accounts = await testAccounts()
  app = build({ view, log, accounts })
  await app.ready()
  who = await login(app)
})
afterEach(async () => {
  await app.close()
  accounts.stop()
  fleet.stop()
})

describe('GET /healthz', () => {
  it('is 200 with every check when all pass', async () => {
    const res = await req('/healthz')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ok: true, checks: { mqtt: true, store: true, events: true } })
  })

  it('is 503 naming the failed check', async () => {
    fleet.checks.store = false
    const res = await req('/healthz')
    expect(res.statusCode).toBe(503)
    expect(res.json()).toEqual({ ok: false, checks: { mqtt: true, store: false, events: true } })
  })

  it('is 503 when the live event stream failed', async () => {
    const failed = build({ view: withLive(view, throwError(() => new Error('detector runtime died'))), log, accounts })
    const res = await failed.inject('/healthz')
    expect(res.statusCode).toBe(503)
    expect(res.json().checks.events).toBe(false)
    await failed.close()
  })
})

describe('GET /metrics', () => {
  it("serves the view's Prometheus text plus the HTTP metrics", async () => {
    await req('/api/elevators')
    const res = await req('/metrics')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(res.body).toContain('liftwatch_broker_up 1')
    expect(res.body).toContain('liftwatch_http_requests_total{route="/api/elevators",status="200"} 1')
    expect(res.body).toContain('liftwatch_http_sse_clients 0')
  })

  it('registers on a given registry and does not append it twice', async () => {
    const registry = new Registry()
    const other = liveFleet(1, { metrics: () => registry.metrics() })
    const a = build({ view: other.view, log, registry, accounts })
    await a.ready()
    const body = (await as(a, await login(a), '/metrics')).body
    expect(body.match(/# TYPE liftwatch_http_sse_clients gauge/g)).toHaveLength(1)
    await a.close()
    other.stop()
  })
})

describe('GET /api/elevators', () => {
  it('returns registry, last state, availability and active alarms with the event id', async () => {
    const a = alarmEvent(ids[0]!, 'entrapment')
    fleet.alarm(a)
    const res = await req('/api/elevators')
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.eventId).toMatch(/^[0-9a-z]+:\d+$/)
    expect(body.count).toBe(3)
    const first = body.elevators.find((e: { elevatorId: string }) => e.elevatorId === ids[0])
    expect(first).toMatchObject({ registrationCode: ids[0], region: '330922', availability: 'online', activeAlarms: [a] })
    expect(first.last.floor).toBe('2')
    expect(first.building).toMatch(/幢/)
    const third = body.elevators.find((e: { elevatorId: string }) => e.elevatorId === ids[2])
    expect(third.availability).toBe('offline')
    expect(third.last).toBeUndefined()
  })

  it('rejects unknown parameters with a clear 400', async () => {
    const res = await req('/api/elevators?region=330922')
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'LW_ERR_HTTP_BAD_QUERY', message: "bad query: unknown parameter 'region' (allowed: none)" })
  })
})

describe('GET /api/alarms', () => {
  beforeEach(() => {
    fleet.alarm(alarmEvent(ids[0]!, 'door_open_too_long', { id: 'a1', raisedAt: 1000 }))
    fleet.alarm(alarmEvent(ids[0]!, 'door_open_too_long', { id: 'a1', raisedAt: 1000, state: 'cleared', clearedAt: 5000 }))
    fleet.alarm(alarmEvent(ids[1]!, 'entrapment', { id: 'a2', raisedAt: 2000 }))
    fleet.alarm(alarmEvent(ids[0]!, 'power_failure', { id: 'a3', raisedAt: 3000 }))
  })

  it('defaults to all alarms, newest first, limit 100', async () => {
    const res = await req('/api/alarms')
    expect(res.statusCode).toBe(200)
    expect(res.json().alarms.map((a: { id: string }) => a.id)).toEqual(['a3', 'a2', 'a1'])
    expect(queries).toHaveBeenLastCalledWith({ state: 'all', limit: 100 }, desk)
  })

  it('filters by state, elevator and limit', async () => {
    const active = (await req('/api/alarms?state=active')).json()
    expect(active.alarms.map((a: { id: string }) => a.id)).toEqual(['a3', 'a2'])
    const one = (await req(`/api/alarms?state=all&elevator=${ids[0]}&limit=1`)).json()
    expect(one).toMatchObject({ count: 1, alarms: [{ id: 'a3' }] })
    expect(queries).toHaveBeenLastCalledWith({ state: 'all', elevatorId: ids[0], limit: 1 }, desk)
  })

  it.each([
    ['limit=0', 'bad query: limit: must be >= 1'],
    ['limit=99999', 'bad query: limit: must be <= 5000'],
    ['limit=ten', 'bad query: limit: must be integer'],
    ['elevator=../etc', 'bad query: elevator: not a valid elevator id'],
    ['stat=active', "bad query: unknown parameter 'stat' (allowed: state, elevator, limit)"],
    ['state=open', 'bad query: state: must be one of active, all, visible'],
  ])('%s → 400', async (q, message) => {
    const res = await req(`/api/alarms?${q}`)
    expect(res.statusCode).toBe(400)
    const body = res.json()
    expect(body.code).toBe('LW_ERR_HTTP_BAD_QUERY')
    expect(body.message.startsWith(message)).toBe(true)
  })

  it('reports every problem at once', async () => {
    const body = (await req('/api/alarms?state=x&limit=0')).json()
    expect(body.problems).toHaveLength(2)
  })
})

describe('alarm acknowledgement', () => {
  const post = (id: string, payload: unknown, headers: Record<string, string> = {}, by = who) =>
    as(app, by, { method: 'POST', url: `/api/alarms/${id}/ack`, ...(typeof payload === 'string' ? { payload, headers } : { payload: payload as object }) })
  beforeEach(() => {
    fleet.now = () => 7000
    fleet.alarm(alarmEvent(ids[0]!, 'entrapment', { id: 'trap', raisedAt: 1000 }))
    fleet.alarm(alarmEvent(ids[1]!, 'overspeed', { id: 'fast', raisedAt: 2000 }))
    fleet.alarm(alarmEvent(ids[1]!, 'overspeed', { id: 'fast', raisedAt: 2000, state: 'cleared', clearedAt: 2500 }))
    fleet.alarm(alarmEvent(ids[0]!, 'power_failure', { id: 'power', raisedAt: 3000 }))
    fleet.alarm(alarmEvent(ids[0]!, 'door_open_too_long', { id: 'door', raisedAt: 4000 }))
    fleet.alarm(alarmEvent(ids[0]!, 'door_open_too_long', { id: 'door', raisedAt: 4000, state: 'cleared', clearedAt: 5000 }))
  })
  const visible = async () => (await req('/api/alarms?state=visible')).json() as { keepUntilAcked: string[]; alarms: { id: string; ackState: string }[] }

  it('GET /api/alarms?state=visible: active, and cleared critical until acked; critical first, with ackState', async () => {
    const body = await visible()
    expect(body.keepUntilAcked).toEqual(['critical'])
    expect(body.alarms.map((a) => [a.id, a.ackState])).toEqual([['fast', 'cleared-unacked'], ['trap', 'active-unacked'], ['power', 'active-unacked']])
    expect(queries).toHaveBeenLastCalledWith({ state: 'visible', limit: 100 }, desk)
    // every listing carries the acknowledgement; only the visible one the rule
    const all = (await req('/api/alarms')).json()
    expect(all.keepUntilAcked).toBeUndefined()
    expect(all.alarms[0]).toMatchObject({ id: 'door', ackState: 'cleared-unacked', ackedAt: null, ackedBy: null })
  })

  it('acks an active alarm as the logged-in user, first ack wins; acking a cleared one takes it off the visible list', async () => {
    const res = await post('trap', {})
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ alarm: expect.objectContaining({ id: 'trap', state: 'raised', ackState: 'active-acked', ackedBy: '值班员 张三', ackedAt: 7000 }) })
    fleet.now = () => 9000
    const admin = await login(app, 'admin')
    expect((await post('trap', {}, {}, admin)).json().alarm).toMatchObject({ ackedBy: '值班员 张三', ackedAt: 7000 })
    expect((await post('fast', { note: '已电话联系维保' }, {}, admin)).json().alarm).toMatchObject({ state: 'cleared', ackState: 'cleared-acked', ackedBy: 'Admin' })
    expect((await visible()).alarms.map((a) => [a.id, a.ackState])).toEqual([['trap', 'active-acked'], ['power', 'active-unacked']])
    // a note of 200 characters, counted as characters, not bytes
    expect((await post('power', { note: '张'.repeat(200) })).statusCode).toBe(200)
    expect(accounts.auditLog().filter((a) => a.action === 'alarm.ack').map((a) => [a.actor, a.target])).toEqual([['desk', 'trap'], ['admin', 'trap'], ['admin', 'fast'], ['desk', 'power']])
  })

  it('answers an unknown alarm with 404', async () => {
    const res = await post('nope', {})
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_ALARM', message: 'no alarm with id nope' })
  })

  it.each([
    [{ note: '' }, 'bad body: note: must NOT have fewer than 1 characters; note: must contain a visible character and no control characters'],
    [{ note: 'x'.repeat(201) }, 'bad body: note: must NOT have more than 200 characters'],
    [{ note: '   ' }, 'bad body: note: must contain a visible character and no control characters'],
    [{ note: 'ok\u0007' }, 'bad body: note: must contain a visible character and no control characters'],
    [{ note: ['a', 'b'] }, 'bad body: note: must be string'],
    [{ note: 123 }, 'bad body: note: must be string'],
    // the operator comes from the session: a name in the body is refused, whatever its type
    [{ by: 'desk' }, "bad body: unknown field 'by' (allowed: note)"],
    [{ by: 123 }, "bad body: unknown field 'by' (allowed: note)"],
  ])('%j → 400', async (payload, message) => {
    const res = await post('trap', payload)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'LW_ERR_HTTP_BAD_REQUEST', message })
    expect(fleet.store.get('trap')!.ackedAt).toBeNull()
  })

  it('refuses a body that is not JSON, and an over-long id, with a 4xx', async () => {
    const broken = await post('trap', '{"by":', { 'content-type': 'application/json' })
    expect(broken.statusCode).toBe(400)
    expect(broken.json().code).toBe('LW_ERR_HTTP_BAD_REQUEST')
    const form = await post('trap', 'by=desk', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.statusCode).toBe(415)
    const text = await post('trap', '{}', { 'content-type': 'text/plain' })
    expect(text.statusCode).toBe(415)
    expect(text.json().code).toBe('LW_ERR_HTTP_BAD_REQUEST')
    const long = await post('x'.repeat(65), {})
    expect(long.statusCode).toBe(400)
    expect(long.json().message).toBe('bad params: id: must NOT have more than 64 characters')
  })
})

describe('GET /api/events', () => {
  it('rejects a bad query before opening a stream', async () => {
    const res = await req(`/api/events?since=${'9'.repeat(100)}`)
    expect(res.statusCode).toBe(400)
    expect(res.json().message).toMatch(/since: must NOT have more than 64 characters/)
    expect(res.headers['content-type']).toMatch(/json/)
  })

  it('has no HEAD route that would open a bodiless stream', async () => {
    expect((await req({ method: 'HEAD', url: '/api/events' })).statusCode).toBe(404)
  })

  it('refuses more than maxClients streams with 503', async () => {
    const a = build({ view, log, accounts, sse: { maxClients: 0 } })
    const res = await as(a, await login(a), '/api/events')
    expect(res.statusCode).toBe(503)
    expect(res.json().code).toBe('LW_ERR_HTTP_TOO_MANY_STREAMS')
    await a.close()
  })
})

describe('GET /api/catalogue', () => {
  it('serves the fault catalogue in Chinese and English', async () => {
    const body = (await req('/api/catalogue')).json()
    expect(body.types.find((t: { type: string }) => t.type === 'entrapment')).toEqual({ type: 'entrapment', code: '11', zh: '困人', en: 'Passenger trapped', severity: 'critical' })
  })
})

describe('static page', () => {
  it('serves index.html at / with a same-origin CSP and ETag revalidation', async () => {
    const res = await req('/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.headers['content-security-policy']).toContain("default-src 'self'")
    expect(res.body).toContain('<html lang="zh-CN">')
    const again = await req({ url: '/', headers: { 'if-none-match': String(res.headers.etag) } })
    expect(again.statusCode).toBe(304)
  })

  it('serves scripts and styles with their types', async () => {
    expect((await req('/ui/app.js')).headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect((await req('/ui/style.css')).headers['content-type']).toBe('text/css; charset=utf-8')
  })

  it.each(['/ui/../http/app.ts', '/ui/%2e%2e/http/app.ts', '/ui/nope.js', '/ui/app.ts', '/ui/'])('%s → 404', async (url) => {
    const res = await req(url)
    expect(res.statusCode).toBe(404)
    expect(res.json().code).toBe('LW_ERR_HTTP_NOT_FOUND')
  })

  it('serves no page when uiDir is false', async () => {
    const a = build({ view, log, accounts, uiDir: false })
    expect((await as(a, await login(a), '/')).statusCode).toBe(404)
    await a.close()
  })
})

it('answers unknown routes with a JSON 404', async () => {
  const res = await req('/api/nope?x=1')
  expect(res.statusCode).toBe(404)
  expect(res.json()).toMatchObject({ code: 'LW_ERR_HTTP_NOT_FOUND', message: 'no route GET /api/nope' })
})

it('turns a failing view into a 500 without details', async () => {
  view.elevators = () => { throw new Error('registry closed') }
  const res = await req('/api/elevators')
  expect(res.statusCode).toBe(500)
  expect(res.json()).toMatchObject({ code: 'LW_ERR_HTTP_INTERNAL' })
  expect(res.body).not.toContain('registry closed')
})
