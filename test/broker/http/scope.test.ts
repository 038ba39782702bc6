// Scope in every answer, over a real listening broker API, the real LiveView and alarm store and a
// real AccountStore: two townships (A: elevators 0-3, B: 4-7) and two maintenance units; callers
// authenticate with API tokens the store issued (broker/http/auth.ts reads the Bearer header).
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { build } from '../../../broker/http/app.ts'
import { AccountStore } from '../../../broker/accounts/store.ts'
import type { Role } from '../../../broker/accounts/roles.ts'
import type { Scope } from '../../../broker/accounts/scope.ts'
import { EventHub, defaultSseOptions } from '../../../broker/http/sse.ts'
import { HttpMetrics } from '../../../broker/http/metrics.ts'
import { Registry as PromRegistry } from 'prom-client'
import { alarmEvent, liveFleet, telemetry, type LiveFleet } from './fixtures.ts'
import { SseClient } from './sse-client.ts'
import { login } from '../../helpers/http-login.ts'

const log = pino({ level: 'silent' })
const TOWNSHIP_A = '330922100'
const TOWNSHIP_B = '330922101'
const N = 8

let app: FastifyInstance
let fleet: LiveFleet
let accounts: AccountStore
let base: string
const clients: SseClient[] = []
const auth: Record<string, Record<string, string>> = {}

async function user(username: string, name: string, role: Role, scope: Scope): Promise<void> {
  const u = await accounts.addUser({ username, name, role, scope, password: `${username}-password-1` })
  auth[username] = { authorization: `Bearer ${accounts.createToken(u.id, 'scope test')}` }
}

beforeEach(async () => {
  // liveFleet puts elevators 0-6 on gw-001 and 7 on gw-002: gw-001 spans both townships
  fleet = liveFleet(N, {
    place: (k) => {
      const township = k < 4 ? TOWNSHIP_A : TOWNSHIP_B
      return { township, village: `${township}00${1 + (k % 2)}`, maintenance: k % 2 === 0 ? 'maint-even' : 'maint-odd', property: `wy-${k}` }
    },
  })
  accounts = new AccountStore({ path: ':memory:', scrypt: { N: 1024, r: 8, p: 1 } })
  accounts.start()
  await user('admin', '管理员', 'admin', { all: true })
  await user('bureau', '县局 赵六', 'bureau', { region: '330922' })
  await user('twp-a', '菜园镇 张三', 'township', { region: TOWNSHIP_A })
  await user('twp-b', '嵊山镇 李四', 'township', { region: TOWNSHIP_B })
  await user('maint', '维保 王五', 'maintenance', { org: 'maint-even' })
  await user('wy', '物业 钱七', 'property', { org: 'wy-1' })
  app = build({ view: fleet.view, accounts, log, uiDir: false, sse: { maxPerUser: 4 } })
  base = await app.listen({ port: 0, host: '127.0.0.1' })
})

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  // an aborted fetch leaves its socket open until the client's keep-alive timeout; do not wait for it
  app.server.closeAllConnections()
  await app.close()
  fleet.stop()
  accounts.stop()
})

const get = async (who: string, path: string) => {
  const res = await fetch(`${base}${path}`, { headers: auth[who] })
  return { status: res.status, body: await res.json() as Record<string, unknown> }
}
const ack = (who: string, id: string, body: unknown = {}) => fetch(`${base}/api/alarms/${id}/ack`, {
  method: 'POST', headers: { ...auth[who], 'content-type': 'application/json' }, body: JSON.stringify(body),
})
const stream = async (who: string) => {
  const c = await SseClient.connect(`${base}/api/events`, auth[who])
  clients.push(c)
  return c
}
const ids = (list: unknown) => (list as { elevatorId: string }[]).map((x) => x.elevatorId)

describe('scope of the API', () => {
  it('a township officer sees only the elevators and alarms of the township', async () => {
    const [a0, , , , b4] = fleet.ids
    fleet.alarm(alarmEvent(a0!, 'entrapment', { id: 'trap-a' }))
    fleet.alarm(alarmEvent(b4!, 'entrapment', { id: 'trap-b' }))
    fleet.alarm(alarmEvent(b4!, 'door_open_while_running', { id: 'old-b', state: 'cleared', clearedAt: Date.now() }))

    expect(ids((await get('twp-a', '/api/elevators')).body.elevators)).toEqual(fleet.ids.slice(0, 4))
    expect(ids((await get('twp-b', '/api/elevators')).body.elevators)).toEqual(fleet.ids.slice(4))
    expect(ids((await get('bureau', '/api/elevators')).body.elevators)).toEqual(fleet.ids)
    for (const state of ['all', 'active', 'visible']) {
      const { body } = await get('twp-a', `/api/alarms?state=${state}`)
      expect((body.alarms as { id: string }[]).map((a) => a.id)).toEqual(['trap-a'])
    }
    // asking for another township's elevator by id gives nothing, not an error that confirms it
    expect((await get('twp-a', `/api/alarms?elevator=${b4}`)).body).toMatchObject({ count: 0, alarms: [] })
    expect((await get('admin', '/api/alarms?state=all')).body.count).toBe(3)
  })

  it('a maintenance unit sees only its contracted elevators', async () => {
    const [e0, e1] = fleet.ids
    fleet.alarm(alarmEvent(e0!, 'entrapment', { id: 'mine' }))
    fleet.alarm(alarmEvent(e1!, 'entrapment', { id: 'theirs' }))
    const { body } = await get('maint', '/api/elevators')
    expect(ids(body.elevators)).toEqual(fleet.ids.filter((_, k) => k % 2 === 0))
    expect(((await get('maint', '/api/alarms')).body.alarms as { id: string }[]).map((a) => a.id)).toEqual(['mine'])
    expect(ids((await get('wy', '/api/elevators')).body.elevators)).toEqual([fleet.ids[1]])
  })

  it("cuts a gateway alarm to the caller's elevators and hides one of a gateway it has none on", async () => {
    fleet.alarm(alarmEvent('gw-001', 'communication_lost', {
      id: 'gw-1-lost', scope: 'gateway', gatewayId: 'gw-001', elevators: fleet.ids.slice(0, 7), evidence: { cause: 'gateway', gatewayId: 'gw-001', elevatorCount: 7 },
    }))
    fleet.alarm(alarmEvent('gw-002', 'communication_lost', { id: 'gw-2-lost', scope: 'gateway', gatewayId: 'gw-002', elevators: [fleet.ids[7]!] }))
    const a = (await get('twp-a', '/api/alarms')).body.alarms as { id: string; elevators: string[]; evidence: { elevatorCount: number } }[]
    expect(a.map((x) => x.id)).toEqual(['gw-1-lost'])
    expect(a[0]).toMatchObject({ elevators: fleet.ids.slice(0, 4), evidence: { elevatorCount: 4 } })
    const b = (await get('twp-b', '/api/alarms')).body.alarms as { id: string; elevators: string[] }[]
    expect(b.map((x) => [x.id, x.elevators])).toEqual([['gw-2-lost', [fleet.ids[7]]], ['gw-1-lost', fleet.ids.slice(4, 7)]])
  })

  it('streams to each principal only the events of its scope', async () => {
    const [a0, a1, , , b4, b5] = fleet.ids
    const ca = await stream('twp-a')
    const cb = await stream('twp-b')
    await ca.next((m) => m.event === 'hello')
    await cb.next((m) => m.event === 'hello')
    // B's events go first, so A's last alarm arriving means every B event was already decided
    fleet.state(b4!, telemetry({ floor: '9' }))
    fleet.availability(b5!, 'offline')
    fleet.alarm(alarmEvent(b4!, 'entrapment', { id: 'trap-b' }))
    fleet.alarm(alarmEvent('gw-001', 'communication_lost', { id: 'gw-lost', scope: 'gateway', gatewayId: 'gw-001', elevators: [a1!, b5!] }))
    fleet.state(a0!, telemetry({ floor: '3' }))
    fleet.alarm(alarmEvent(a0!, 'entrapment', { id: 'trap-a' }))
    await ca.next((m) => m.event === 'alarm' && m.data.includes('trap-a'))
    await cb.next((m) => m.event === 'alarm' && m.data.includes('gw-lost'))
    const seen = (c: SseClient) => c.messages.filter((m) => m.id).map((m) => JSON.parse(m.data) as { kind: string; elevatorId?: string; alarm?: { id: string; elevators?: string[] } })
    expect(seen(ca).map((e) => e.elevatorId ?? e.alarm!.id)).toEqual(['gw-lost', a0, 'trap-a'])
    expect(seen(ca)[0]!.alarm!.elevators).toEqual([a1])
    expect(seen(cb).map((e) => e.elevatorId ?? e.alarm!.id)).toEqual([b4, b5, 'trap-b', 'gw-lost'])
    expect(seen(cb).at(-1)!.alarm!.elevators).toEqual([b5])

    // an acknowledgement goes where the alarm goes
    expect((await ack('twp-b', 'trap-b')).status).toBe(200)
    await cb.next((m) => m.event === 'ack')
    expect((await ack('twp-a', 'trap-a')).status).toBe(200)
    await ca.next((m) => m.event === 'ack')
    expect(ca.events('ack').map((m) => JSON.parse(m.data).alarm.id)).toEqual(['trap-a'])
  })

  it('replays to a resuming stream only what its scope covers', async () => {
    const [a0, , , , b4] = fleet.ids
    const first = await stream('twp-a')
    const hello = JSON.parse((await first.next((m) => m.event === 'hello')).data) as { lastId: string }
    first.close()
    fleet.alarm(alarmEvent(b4!, 'entrapment', { id: 'trap-b' }))
    fleet.alarm(alarmEvent(a0!, 'entrapment', { id: 'trap-a' }))
    const again = await SseClient.connect(`${base}/api/events`, { ...auth['twp-a'], 'last-event-id': hello.lastId })
    clients.push(again)
    await again.next((m) => m.event === 'alarm')
    expect(again.events('alarm').map((m) => JSON.parse(m.data).alarm.id)).toEqual(['trap-a'])
  })
})

describe('acknowledgement by the principal', () => {
  it('records the user, refuses a role that may not and hides another scope’s alarm', async () => {
    const [a0, a1, , , b4] = fleet.ids
    fleet.alarm(alarmEvent(a0!, 'entrapment', { id: 'trap-a' }))
    fleet.alarm(alarmEvent(a1!, 'entrapment', { id: 'trap-a1' }))
    fleet.alarm(alarmEvent(b4!, 'entrapment', { id: 'trap-b' }))

    const refused = await ack('wy', 'trap-a1')
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ code: 'LW_ERR_HTTP_FORBIDDEN' })
    const other = await ack('twp-a', 'trap-b')
    const missing = await ack('twp-a', 'no-such-alarm')
    expect([other.status, missing.status]).toEqual([404, 404])
    expect((await other.json()).code).toBe((await missing.json()).code)
    expect(fleet.store.get('trap-b')!.ackedAt).toBeNull()

    const ok = await ack('twp-a', 'trap-a', { note: '已电话联系维保' })
    expect(ok.status).toBe(200)
    expect((await ok.json()).alarm).toMatchObject({ id: 'trap-a', ackedBy: '菜园镇 张三', ackedByUser: 'twp-a', ackNote: '已电话联系维保', ackState: 'active-acked' })
    expect(fleet.store.get('trap-a')).toMatchObject({ ackedBy: '菜园镇 张三', ackedByUser: 'twp-a' })

    const log = (await get('bureau', '/api/audit')).body.entries as { actor: string; action: string; target: string; detail: Record<string, unknown> }[]
    expect(log.filter((e) => e.action.startsWith('alarm.ack')).map((e) => [e.actor, e.action, e.target])).toEqual([
      ['wy', 'alarm.ack.denied', 'trap-a1'], ['twp-a', 'alarm.ack', 'trap-a'],
    ])
    expect(log.find((e) => e.action === 'alarm.ack')!.detail).toMatchObject({ elevatorId: a0, first: true, note: '已电话联系维保' })
  })

  it('takes no operator from the body: `by`, a number or an array is a 400', async () => {
    fleet.alarm(alarmEvent(fleet.ids[0]!, 'entrapment', { id: 'trap' }))
    for (const body of [{ by: '张三' }, { note: 123 }, { note: ['a'] }, { note: ' ' }, [], 'x']) {
      const res = await ack('twp-a', 'trap', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
    }
    expect((await (await ack('twp-a', 'trap', { by: '张三' })).json()).message).toBe("bad body: unknown field 'by' (allowed: note)")
    expect((await (await ack('twp-a', 'trap', { note: 123 })).json()).message).toBe('bad body: note: must be string')
    expect((await (await ack('twp-a', 'trap', { note: ' ' })).json()).message).toBe('bad body: note: must contain a visible character and no control characters')
    expect(fleet.store.get('trap')!.ackedAt).toBeNull()
    // no body at all is an acknowledgement without a note
    const bare = await fetch(`${base}/api/alarms/trap/ack`, { method: 'POST', headers: auth['twp-a'] })
    expect(bare.status).toBe(200)
    expect((await bare.json()).alarm).toMatchObject({ ackedByUser: 'twp-a' })
  })
})

describe('audit log', () => {
  it('is for admin and bureau, as JSON and as CSV with a BOM', async () => {
    fleet.alarm(alarmEvent(fleet.ids[0]!, 'entrapment', { id: 'trap' }))
    await ack('twp-a', 'trap', { note: '=HYPERLINK("x"), 已处理' })
    expect((await get('twp-a', '/api/audit')).status).toBe(403)
    expect((await fetch(`${base}/api/audit.csv`, { headers: auth.maint })).status).toBe(403)
    const json = await get('admin', '/api/audit?limit=1')
    expect(json.body.count).toBe(1)
    const res = await fetch(`${base}/api/audit.csv`, { headers: auth.bureau })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const lines = new TextDecoder().decode(bytes.slice(3)).trimEnd().split('\r\n')
    expect(lines[0]).toBe('id,at,time,actor,actorName,role,via,action,target,detail,ip')
    const row = lines.find((l) => l.includes(',alarm.ack,'))!
    expect(row).toContain(',twp-a,菜园镇 张三,township,token,alarm.ack,trap,')
    // the note inside the JSON detail is quoted, never a bare formula
    expect(row).toMatch(/,"\{""elevatorId""/)
    expect((await get('admin', '/api/audit')).body.entries).toContainEqual(expect.objectContaining({ action: 'audit.export', actor: 'bureau' }))
  })
})

describe('event stream slots', () => {
  it("refuses a user's fifth stream with 429 while another user still connects", async () => {
    const mine = await Promise.all([1, 2, 3, 4].map(() => stream('twp-a')))
    for (const c of mine) expect(c.status).toBe(200)
    const fifth = await stream('twp-a')
    expect(fifth.status).toBe(429)
    expect(fifth.headers?.get('retry-after')).toBe('10')
    const other = await stream('twp-b')
    expect(other.status).toBe(200)
    await other.next((m) => m.event === 'hello')
    // a closed stream gives its slot back
    mine[0]!.close()
    const end = Date.now() + 5000
    while (app.liveEvents.stats().clients > 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
    const again = await stream('twp-a')
    expect(again.status).toBe(200)
  })

  it("ends a session's streams at its logout, and only those", async () => {
    const session = await login(base, 'twp-a', 'twp-a-password-1')
    const viaCookie = await SseClient.connect(`${base}/api/events`, { cookie: session.cookie })
    clients.push(viaCookie)
    await viaCookie.next((m) => m.event === 'hello')
    const viaToken = await stream('twp-a')
    await viaToken.next((m) => m.event === 'hello')
    expect((await session.post('/api/logout')).status).toBe(200)
    await Promise.race([viaCookie.ended, new Promise((_r, reject) => setTimeout(() => reject(new Error('the stream outlived its session')), 5000))])
    expect(app.liveEvents.stats().clients).toBe(1)
    fleet.alarm(alarmEvent(fleet.ids[0]!, 'entrapment', { id: 'after-logout' }))
    await viaToken.next((m) => m.event === 'alarm')
    expect(viaCookie.events('alarm')).toEqual([])
  })

  it('gives an anonymous client 401 and no slot', async () => {
    const res = await fetch(`${base}/api/events`)
    expect(res.status).toBe(401)
    await res.body?.cancel()
    expect(app.liveEvents.stats().clients).toBe(0)
  })
})

describe('EventHub without the HTTP guard', () => {
  let server: Server | undefined
  afterEach(async () => { await new Promise((r) => server?.close(r)) })

  it('refuses a stream without a principal itself', async () => {
    const hub = new EventHub({ ...defaultSseOptions }, new HttpMetrics(new PromRegistry()), log)
    hub.start(fleet.view.live$, (e, p) => fleet.view.visibleTo(e, p))
    server = createServer((_req, res) => hub.attach(res, undefined, null))
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    const { port } = server.address() as { port: number }
    const res = await fetch(`http://127.0.0.1:${port}/`)
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('unauthenticated')
    expect(hub.stats().clients).toBe(0)
    hub.stop()
  })
})
