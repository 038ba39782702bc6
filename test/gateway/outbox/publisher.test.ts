// The publisher against a real aedes: last will and retained status, PUBACK before delete,
// the in-flight window, backoff, and a throughput figure.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Client, PublishPacket } from 'aedes'
import { mqttReconnectDelay } from '../../../gateway/outbox/mqtt-options.ts'
import { captureLog, payload, startBroker, subscribe, tempDir, topicOf, until, type Subscriber, type TestBroker } from './fixtures.ts'
import { GATEWAY, OFFLINE, ONLINE, STATUS, startPair, type Pair } from './harness.ts'

const cleanup: (() => Promise<void>)[] = []
afterEach(async () => { for (const c of cleanup.splice(0).reverse()) await c() })
const track = <T extends TestBroker | Subscriber | Pair>(x: T): T => {
  cleanup.push(() => ('publisher' in x ? x.stop() : x.close()))
  return x
}

describe('Publisher', () => {
  it('(d) the broker publishes the retained offline will when the socket dies; a reconnect republishes online', async () => {
    const broker = track(await startBroker())
    const clients = new Map<string, Client>()
    broker.aedes.on('client', (c) => clients.set(c.id, c))
    const sub = track(await subscribe(broker.url, [STATUS], { clientId: 'sub-d' }))
    const pair = track(startPair(broker.url))
    const status = () => sub.messages.filter((m) => m.topic === STATUS).map((m) => m.payload)
    await sub.waitFor(() => status().length === 1, 'online')
    expect(status()).toEqual([ONLINE])

    // kill the gateway's connection without a DISCONNECT
    clients.get(GATEWAY)!.conn.destroy()
    await sub.waitFor(() => status().length === 3, 'offline, then online again')
    expect(status()).toEqual([ONLINE, OFFLINE, ONLINE])
    expect(pair.publisher.stats().reconnects).toBe(1)

    // what a newcomer sees is the retained state
    const late = track(await subscribe(broker.url, [STATUS], { clientId: 'late' }))
    await late.waitFor((m) => m.length === 1, 'retained status')
    expect(late.messages[0]).toMatchObject({ payload: ONLINE, retain: true })

    // a graceful stop sends DISCONNECT, which cancels the will: the publisher says offline itself
    await pair.publisher.stop()
    await sub.waitFor(() => status().length === 4, 'offline on stop')
    expect(status().at(-1)).toBe(OFFLINE)
    await pair.publisher.stop() // idempotent
  })

  it('(e) deletes a row only after PUBACK: a broker that never acks leaves every row in the outbox', async () => {
    const held: { client: unknown; packet: PublishPacket; release: () => void }[] = []
    const broker = track(await startBroker({
      authorizePublish: (_client, packet, callback) => {
        // telemetry is held: aedes sends the PUBACK only after this callback
        if (packet.topic.endsWith('/telemetry')) held.push({ client: _client, packet, release: () => callback(null) })
        else callback(null)
      },
    }))
    const path = join(tempDir(), 'outbox.db')
    const opts = { path, publisher: { maxInFlight: 8, stopTimeoutMs: 200 } }
    let pair = startPair(broker.url, opts)
    await until(() => pair.publisher.stats().connected, 'connected')
    for (let seq = 0; seq < 20; seq++) pair.publisher.send({ topic: topicOf(), payload: payload(seq), retain: false, kind: 'change' })
    await until(() => held.length === 8, 'window full')
    expect(pair.publisher.stats()).toMatchObject({ depth: 20, inFlight: 8, published: 8, acked: 0 })

    // four PUBACKs: four rows go, and four more live rows take their places in the window
    for (const h of held.slice(0, 4)) h.release()
    await until(() => pair.publisher.stats().published === 12 && pair.outbox.stats().depth === 16, 'window moved on')
    expect(pair.publisher.stats()).toMatchObject({ inFlight: 8, acked: 4 })

    // the process stops with the rest unacknowledged: those rows are all still on disk
    await pair.stop()
    const first = held[0]!.client
    pair = track(startPair(broker.url, opts))
    expect(pair.outbox.stats().depth).toBe(16)

    // the new connection replays them in order, each row deleted as its PUBACK comes
    // (aedes reads a client's packets in batches: the held ones of a batch block the next)
    const second = () => held.filter((h) => h.client !== first)
    let released = 0
    while (pair.outbox.stats().depth > 0) {
      await until(() => second().length > released, 'next held publish')
      second()[released++]!.release()
      const depth = pair.outbox.stats().depth
      await until(() => pair.outbox.stats().depth === depth - 1, 'row deleted after its PUBACK')
    }
    const seqs = (hs: typeof held) => hs.map((h) => JSON.parse(h.packet.payload.toString()).seq as number)
    expect(seqs(held.filter((h) => h.client === first)).slice(0, 8)).toEqual([...Array(8).keys()])
    expect(seqs(second())).toEqual([...Array(16).keys()].map((i) => i + 4))
    expect(second().every((h) => JSON.parse(h.packet.payload.toString()).reason === 'replay')).toBe(true)
    expect(pair.publisher.stats()).toMatchObject({ depth: 0, inFlight: 0, acked: 16, replayed: 16 })
  })

  it('a replayed retained message never sets the broker\'s retained state back', async () => {
    const avail = 'lift/v1/330922/E1/availability'
    const state = (st: string) => JSON.stringify({ v: 1, ts: 1, state: st, gateway: GATEWAY })
    let current = state('online')
    const first = track(await startBroker())
    const pair = track(startPair(first.url, {
      replayPerSecond: 40,
      publisher: { onConnect: () => [{ topic: avail, payload: current, retain: true }] },
    }))
    await until(() => pair.publisher.stats().connected, 'connected')
    await first.close()
    // during the outage: heartbeats, then the controller goes offline
    for (let seq = 0; seq < 40; seq++) pair.publisher.send({ topic: topicOf(), payload: payload(seq, 'heartbeat'), retain: false, kind: 'heartbeat' })
    current = state('offline')
    pair.publisher.send({ topic: avail, payload: current, retain: true, kind: 'availability' })

    const second = track(await startBroker({ port: first.port, gate: { clientId: GATEWAY, subscriber: 'sub-f' } }))
    const sub = track(await subscribe(second.url, [avail], { clientId: 'sub-f' }))
    await until(() => pair.publisher.stats().connected, 'reconnected')
    // back online while the backlog (with the older "offline") is still replaying
    current = state('online')
    pair.publisher.send({ topic: avail, payload: current, retain: true, kind: 'availability' })
    await until(() => pair.outbox.stats().depth === 0, 'drained')
    await sub.waitFor((m) => m.length === 3, 'connect message, live row, replayed row')

    // subscribers saw the history, in the order it reached the broker ...
    expect(sub.messages.map((m) => JSON.parse(m.payload).state)).toEqual(['offline', 'online', 'offline'])
    // ... and the retained state is the current one
    const late = track(await subscribe(second.url, [avail], { clientId: 'late-f' }))
    await late.waitFor((m) => m.length === 1, 'retained availability')
    expect(late.messages[0]).toMatchObject({ payload: state('online'), retain: true })
  })

  it('refuses what the broker would refuse forever, before it reaches the outbox', async () => {
    const broker = track(await startBroker())
    const pair = track(startPair(broker.url))
    expect(() => pair.publisher.send({ topic: 'lift/v1/#', payload: '{}', retain: false, kind: 'change' }))
      .toThrow(expect.objectContaining({ code: 'LW_ERR_MQTT' }))
    expect(() => pair.publisher.send({ topic: topicOf(), payload: '{}', retain: false, kind: 'other' as never }))
      .toThrow(expect.objectContaining({ code: 'LW_ERR_MQTT' }))
    expect(pair.outbox.stats().pending).toBe(0)
  })

  it('names an unreadable TLS file in LW_ERR_MQTT at start', () => {
    const missing = join(tempDir(), 'nope-ca.pem')
    expect(() => startPair('mqtts://127.0.0.1:1', { mqtt: { tls: { ca: missing, rejectUnauthorized: true } } }))
      .toThrow(expect.objectContaining({ code: 'LW_ERR_MQTT', message: expect.stringContaining(missing) }))
  })

  it('keeps retrying with exponential backoff and full jitter', () => {
    expect([1, 2, 3, 4, 5, 10, 60].map((a) => mqttReconnectDelay(a, { minMs: 500, maxMs: 30_000 }, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 30_000, 30_000])
    expect(mqttReconnectDelay(7, { minMs: 500, maxMs: 30_000 }, () => 0)).toBe(0)
    const spread = Array.from({ length: 1000 }, () => mqttReconnectDelay(3, { minMs: 500, maxMs: 30_000 }))
    expect(Math.min(...spread)).toBeLessThan(200)
    expect(Math.max(...spread)).toBeGreaterThan(1800)
  })

  it('logs a lost connection once and rate-limits the failed retries', async () => {
    const { log, lines } = captureLog('debug')
    const broker = await startBroker()
    const pair = track(startPair(broker.url, { log }))
    await until(() => pair.publisher.stats().connected, 'connected')
    await broker.close()
    const scheduled = () => lines.filter((l) => l.msg === 'mqtt reconnect scheduled')
    await until(() => scheduled().length >= 4, 'retrying')
    expect(lines.find((l) => l.msg === 'mqtt connected')).toMatchObject({ level: 30, component: 'mqtt', clientId: GATEWAY, url: broker.url })
    expect(lines.filter((l) => l.msg === 'mqtt connection lost')).toMatchObject([{ level: 40, inFlight: 0 }])
    // retries against a closed port: one warning, the rest only counted
    expect(lines.filter((l) => l.msg === 'mqtt connection failed')).toMatchObject([{ level: 40, err: { code: 'ECONNREFUSED' }, attempt: 1 }])
    expect(scheduled().map((l) => l.attempt)).toEqual([1, 2, 3, 4, ...scheduled().slice(4).map((_, i) => 5 + i)])
    expect(scheduled().every((l) => (l.delayMs as number) <= 300)).toBe(true)
    expect(pair.publisher.stats()).toMatchObject({ connected: false, reconnects: 0 })
  })

  it('throughput: messages written, published and acknowledged per second against local aedes', async () => {
    const broker = track(await startBroker())
    const pair = track(startPair(broker.url))
    const { publisher, outbox } = pair
    await until(() => publisher.stats().connected, 'connected')
    const N = 20_000
    const t0 = performance.now()
    // 64 elevators × 5 Hz is 320 messages/s; here as fast as the event loop lets us
    for (let seq = 0; seq < N; seq++) {
      publisher.send({ topic: topicOf(`E${seq % 64}`), payload: payload(seq, 'heartbeat'), retain: false, kind: 'heartbeat' })
      if (seq % 500 === 499) await new Promise((r) => setImmediate(r))
    }
    await until(() => publisher.stats().acked === N && outbox.stats().depth === 0, 'all acknowledged', 30_000)
    const perSecond = N / ((performance.now() - t0) / 1000)
    console.log(`outbox throughput (sync=full, write+publish+PUBACK+delete): ${Math.round(perSecond)} msg/s; commits ${outbox.stats().commits}; latency ${JSON.stringify(publisher.stats().latencyMs)}`)
    expect(perSecond).toBeGreaterThan(320)
  })
})
