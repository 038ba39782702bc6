// /api/events over a real listening socket: a streaming fetch client receives pushed events,
// heartbeats and replays; a client that stops reading is coalesced, then dropped and counted.
// Clients are logged in as the desk user (login-fixture.ts); an anonymous one gets 401 and no slot.
import { afterEach, describe, expect, it } from 'vitest'
import { get, type IncomingMessage } from 'node:http'
import { setImmediate as tick } from 'node:timers/promises'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { build } from '../../../broker/http/app.ts'
import type { SseOptions } from '../../../broker/http/sse.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { as, login, testAccounts, type Login } from './login-fixture.ts'
import { alarmEvent, liveFleet, telemetry, type LiveFleet } from './fixtures.ts'
import { SseClient } from './sse-client.ts'

const log = pino({ level: 'silent' })
let app: FastifyInstance | undefined
let live: LiveFleet | undefined
let accounts: AccountStore | undefined
let who: Login
const clients: SseClient[] = []

async function start(sse: Partial<SseOptions> = {}) {
  const fleet = live = liveFleet(5)
  accounts = await testAccounts()
  // the resume tests hold more streams at once than one user's default share
  app = build({ view: fleet.view, log, accounts, sse: { maxPerUser: 100, ...sse }, uiDir: false })
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  who = await login(app)
  return { fleet, ids: fleet.ids, base, hub: app.liveEvents }
}

async function connect(url: string, headers?: Record<string, string>) {
  const c = await SseClient.connect(url, { ...who.headers(), ...headers })
  clients.push(c)
  await c.next((m) => m.event === 'hello')
  return c
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000) {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const metric = async (name: string) => {
  const text = (await as(app!, who, '/metrics')).body
  const line = text.split('\n').find((l) => l.startsWith(name + ' '))
  return line ? Number(line.split(' ')[1]) : 0
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await app?.close()
  app = undefined
  live?.stop()
  live = undefined
  accounts?.stop()
  accounts = undefined
})

describe('GET /api/events', () => {
  it('streams state, availability and alarm events with ids, after a hello', async () => {
    const { fleet, ids, base } = await start()
    const c = await connect(`${base}/api/events`)
    expect(c.status).toBe(200)
    expect(c.headers?.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const hello = JSON.parse(c.messages[0]!.data)
    expect(hello).toMatchObject({ stream: expect.any(String), heartbeatMs: 15000 })

    fleet.state(ids[0]!, telemetry({ floor: '7', direction: 'up', moving: true }))
    fleet.availability(ids[1]!, 'offline')
    const alarm = alarmEvent(ids[2]!, 'entrapment')
    fleet.alarm(alarm)

    const got = await c.next((m) => m.event === 'alarm')
    expect(JSON.parse(got.data)).toEqual({ kind: 'alarm', alarm: { ...alarm, ackedAt: null, ackedBy: null, ackState: 'active-unacked' } })
    const [state, avail] = [c.events('state')[0]!, c.events('availability')[0]!]
    expect(JSON.parse(state.data)).toMatchObject({ kind: 'state', elevatorId: ids[0], telemetry: { floor: '7', direction: 'up' } })
    expect(JSON.parse(avail.data)).toEqual({ kind: 'availability', elevatorId: ids[1], state: 'offline' })
    const seqs = [state, avail, got].map((m) => Number(m.id!.split(':')[1]))
    expect(seqs).toEqual([seqs[0], seqs[0]! + 1, seqs[0]! + 2])
    expect(got.id!.split(':')[0]).toBe(hello.stream)
  })

  it('pushes an acknowledgement made over the API as one ack event, to every client', async () => {
    const { fleet, ids, base } = await start()
    fleet.alarm(alarmEvent(ids[0]!, 'entrapment', { id: 'trap-ack' }))
    const [a, b] = [await connect(`${base}/api/events`), await connect(`${base}/api/events`)]
    const ack = (by: Login) => fetch(`${base}/api/alarms/trap-ack/ack`, { method: 'POST', headers: { 'content-type': 'application/json', ...by.headers(true) }, body: '{}' })
    expect((await ack(who)).status).toBe(200)
    for (const c of [a, b]) {
      const got = await c.next((m) => m.event === 'ack')
      expect(got.id).toMatch(/^[0-9a-z]+:\d+$/)
      expect(JSON.parse(got.data)).toMatchObject({ kind: 'ack', alarm: { id: 'trap-ack', state: 'raised', ackedBy: '值班员 张三', ackState: 'active-acked' } })
    }
    // a second acknowledgement changes nothing, so it tells nobody
    expect((await ack(await login(app!, 'admin'))).status).toBe(200)
    fleet.alarm(alarmEvent(ids[1]!, 'power_failure', { id: 'marker' }))
    await a.next((m) => m.event === 'alarm' && m.data.includes('marker'))
    expect(a.events('ack')).toHaveLength(1)
  })

  it('answers an anonymous client 401 before it takes a slot', async () => {
    const { base, hub } = await start({ maxClients: 1 })
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base}/api/events`, { headers: { accept: 'text/event-stream' } })
      expect(res.status).toBe(401)
      expect((await res.json()).code).toBe('LW_ERR_HTTP_UNAUTHENTICATED')
    }
    expect(hub.stats().clients).toBe(0)
    // the one slot is still free for the desk
    const c = await connect(`${base}/api/events`)
    expect(c.status).toBe(200)
  })

  it('sends heartbeat comments', async () => {
    const { base } = await start({ heartbeatMs: 50 })
    const c = await connect(`${base}/api/events`)
    const hb = await c.next((m) => m.event === 'comment')
    expect(hb.comment).toMatch(/^heartbeat \d+$/)
  })

  it('resumes from Last-Event-ID or ?since=, and tells the client to reload when it cannot', async () => {
    const { fleet, ids, base } = await start({ replay: 8 })
    const first = await connect(`${base}/api/events`)
    fleet.state(ids[0]!, telemetry({ floor: '3' }))
    const seen = await first.next((m) => m.event === 'state')
    first.close()
    fleet.state(ids[0]!, telemetry({ floor: '4' }))
    fleet.alarm(alarmEvent(ids[0]!, 'power_failure'))

    for (const c of [await connect(`${base}/api/events`, { 'last-event-id': seen.id! }), await connect(`${base}/api/events?since=${seen.id}`)]) {
      await c.next((m) => m.event === 'alarm')
      expect(c.messages.filter((m) => m.id).map((m) => m.event)).toEqual(['state', 'alarm'])
      expect(JSON.parse(c.events('state')[0]!.data).telemetry.floor).toBe('4')
    }
    // the header wins over the query (EventSource updates the header when it reconnects)
    const both = await connect(`${base}/api/events?since=${seen.id}`, { 'last-event-id': JSON.parse(first.messages[0]!.data).lastId })
    await both.next((m) => m.event === 'alarm')

    const stream = seen.id!.split(':')[0]
    for (const id of ['nonsense', 'zzz:1', `${stream}:999999`]) {
      const c = await connect(`${base}/api/events?since=${id}`)
      expect(JSON.parse((await c.next((m) => m.event === 'reset')).data).lastId).toMatch(/:\d+$/)
    }
    for (let i = 0; i < 10; i++) fleet.state(ids[1]!, telemetry({ floor: String(i + 1) }))
    const gap = await connect(`${base}/api/events?since=${seen.id}`)
    await gap.next((m) => m.event === 'reset')
    expect(await metric('liftwatch_http_sse_resets_total')).toBe(4)
  })

  it('cleans up when the client goes away', async () => {
    const { fleet, ids, base, hub } = await start()
    const c = await connect(`${base}/api/events`)
    expect(hub.stats().clients).toBe(1)
    expect(await metric('liftwatch_http_sse_clients')).toBe(1)
    c.close()
    await until(() => hub.stats().clients === 0, 'the server to see the disconnect')
    fleet.state(ids[0]!, telemetry()) // publishing after the close must not throw
    expect((await as(app!, who, '/metrics')).body).toContain('liftwatch_http_sse_closed_total{reason="client"} 1')
  })

  it('ends open streams when the app closes', async () => {
    const { base } = await start()
    const c = await connect(`${base}/api/events`)
    const t0 = Date.now()
    await app!.close()
    app = undefined
    await c.ended
    expect(Date.now() - t0).toBeLessThan(2000)
  })
})

// A client that stops reading: node's http client pauses the socket once `res` is paused, so
// the server's socket buffer fills and the hub has to queue.
function slowClient(url: string): Promise<{ res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { headers: who.headers() }, (res) => {
      res.pause()
      res.on('error', () => {}) // destroyed by the test itself
      resolve({ res })
    })
    req.on('error', reject)
  })
}

async function fillUntilBehind(fleet: LiveFleet, id: string, hub: FastifyInstance['liveEvents']) {
  const blob = 'x'.repeat(64 * 1024)
  for (let i = 0; i < 3000; i++) {
    fleet.alarm(alarmEvent(id, 'anomaly', { evidence: { blob } }))
    if ((hub.stats().pending[0] ?? 0) > 0) return
    await tick()
  }
  throw new Error('the client never fell behind')
}

describe('a slow client', () => {
  it('gets state coalesced per elevator, then catches up with the latest state', async () => {
    const { fleet, ids, base, hub } = await start({ replay: 16, maxBacklog: 100_000 })
    const { res } = await slowClient(`${base}/api/events`)
    await until(() => hub.stats().clients === 1, 'the client')
    await fillUntilBehind(fleet, ids[0]!, hub)
    const behind = hub.stats().pending[0]!
    for (let i = 0; i < 5000; i++) fleet.state(ids[i % 5]!, telemetry({ floor: String(i) }))
    // 5000 state events, at most one per elevator queued
    expect(hub.stats().pending[0]).toBeLessThanOrEqual(behind + 5)
    expect(await metric('liftwatch_http_sse_coalesced_total')).toBeGreaterThanOrEqual(4995)

    const latest = new Map<string, string>()
    res.setEncoding('utf8')
    let buf = ''
    res.on('data', (chunk: string) => {
      buf += chunk
      for (let end; (end = buf.indexOf('\n\n')) >= 0; buf = buf.slice(end + 2)) {
        const block = buf.slice(0, end)
        if (!block.includes('event: state')) continue
        const e = JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6))
        latest.set(e.elevatorId, e.telemetry.floor)
      }
    })
    res.resume()
    await until(() => latest.get(ids[4]!) === '4999', 'the latest state after the backlog')
    expect([...latest.values()]).toEqual(['4995', '4996', '4997', '4998', '4999'])
    expect(hub.stats().pending[0]).toBe(0)
    res.destroy()
  })

  it('is dropped and counted when its alarm backlog is full', async () => {
    const { fleet, ids, base, hub } = await start({ replay: 16, maxBacklog: 20 })
    const slow = await slowClient(`${base}/api/events`)
    await until(() => hub.stats().clients === 1, 'the slow client')
    await fillUntilBehind(fleet, ids[0]!, hub)
    const fast = await connect(`${base}/api/events`)
    for (let i = 0; i < 25; i++) fleet.alarm(alarmEvent(ids[1]!, 'door_open_too_long', { id: `small-${i}` }))
    // the server lets go at once; the paused client cannot even see the close yet
    expect(hub.stats()).toMatchObject({ clients: 1, pending: [0] })
    expect((await as(app!, who, '/metrics')).body).toContain('liftwatch_http_sse_closed_total{reason="slow"} 1')
    // the reader that keeps up is not affected
    await fast.next((m) => m.event === 'alarm' && m.data.includes('small-24'))
    expect(fast.events('alarm')).toHaveLength(25)
    slow.res.destroy()
  })

  it('is dropped when it has not drained for maxStallMs', async () => {
    const { fleet, ids, base, hub } = await start({ replay: 16, maxBacklog: 100_000, heartbeatMs: 50, maxStallMs: 200 })
    const slow = await slowClient(`${base}/api/events`)
    await until(() => hub.stats().clients === 1, 'the client')
    await fillUntilBehind(fleet, ids[0]!, hub)
    await until(() => hub.stats().clients === 0, 'the stalled client to be dropped')
    expect((await as(app!, who, '/metrics')).body).toContain('liftwatch_http_sse_closed_total{reason="stalled"} 1')
    slow.res.destroy()
  })
})
