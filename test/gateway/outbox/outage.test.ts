// (a) A steady stream of 500 messages with a ~5 s broker outage in the middle: the broker's TCP
// server closed with every client socket, then a NEW aedes listening on the same port.
import { afterAll, describe, expect, it } from 'vitest'
import { delay, payload, startBroker, subscribe, topicOf, until, type Subscriber, type TestBroker } from './fixtures.ts'
import { GATEWAY, ONLINE, STATUS, startPair, type Pair } from './harness.ts'

const TOTAL = 500
const OUTAGE_AT = 100
const OUTAGE_MS = 5000
const EVERY_MS = 15
const REPLAY_PER_SECOND = 150

describe('publisher across a broker outage', () => {
  const brokers: TestBroker[] = []
  let sub: Subscriber | undefined
  let pair: Pair | undefined
  afterAll(async () => {
    await pair?.stop()
    await sub?.close()
    for (const b of brokers) await b.close()
  })

  it('delivers every message once: the backlog paced and in order, live ones at once and in order', async () => {
    const first = await startBroker()
    brokers.push(first)
    const { port, url } = first
    sub = await subscribe(url, [topicOf('+'), STATUS], { clientId: 'sub-a' })
    pair = startPair(url, { replayPerSecond: REPLAY_PER_SECOND })
    const { publisher, outbox } = pair
    await until(() => publisher.stats().connected, 'first connection')
    const telemetry = () => sub!.messages.filter((m) => m.topic.endsWith('/telemetry'))

    let back: Promise<TestBroker> | undefined
    for (let seq = 0; seq < TOTAL; seq++) {
      if (seq === OUTAGE_AT) {
        // everything so far delivered and acknowledged: the outage splits the stream cleanly
        await sub.waitFor(() => telemetry().length === OUTAGE_AT, 'first part delivered')
        await until(() => publisher.stats().inFlight === 0 && outbox.stats().depth === 0, 'first part acknowledged')
        await first.close()
        // the subscriber is back and subscribed before the gateway may publish into the new broker
        back = delay(OUTAGE_MS)
          .then(() => startBroker({ port, gate: { clientId: GATEWAY, subscriber: 'sub-a' } }))
          .then((b) => { brokers.push(b); return b })
      }
      publisher.send({ topic: topicOf(), payload: payload(seq, seq % 5 ? 'heartbeat' : 'change'), retain: false, kind: seq % 5 ? 'heartbeat' : 'change' })
      // the steady stream is the thing tested: one message every EVERY_MS
      await delay(EVERY_MS)
    }
    await back
    await sub.waitFor(() => new Set(telemetry().map((m) => m.json.seq)).size === TOTAL, 'all delivered', 30_000)
    await until(() => outbox.stats().depth === 0 && publisher.stats().inFlight === 0, 'outbox drained')

    const all = telemetry()
    const seqs = all.map((m) => m.json.seq as number)
    expect(seqs.length, 'each message exactly once').toBe(TOTAL)
    expect([...seqs].sort((a, b) => a - b)).toEqual([...Array(TOTAL).keys()])

    const replayed = all.filter((m) => m.json.reason === 'replay')
    const live = all.filter((m) => m.json.reason !== 'replay')
    const rs = replayed.map((m) => m.json.seq as number)
    const ls = live.map((m) => m.json.seq as number)
    expect(rs, 'backlog in order').toEqual([...rs].sort((a, b) => a - b))
    expect(ls, 'live in order').toEqual([...ls].sort((a, b) => a - b))
    // the backlog is what was written during the outage; everything before went out live
    expect(rs[0]).toBe(OUTAGE_AT)
    expect(rs.length).toBeGreaterThan(200)
    expect(ls.slice(0, OUTAGE_AT)).toEqual([...Array(OUTAGE_AT).keys()])
    // live messages kept flowing while the backlog was still replaying
    const replayEnd = replayed.at(-1)!.at
    const liveDuringReplay = live.filter((m) => (m.json.seq as number) > OUTAGE_AT && m.at < replayEnd)
    expect(liveDuringReplay.length).toBeGreaterThan(10)
    // and the replay was paced (a burst of at most two ticks, then REPLAY_PER_SECOND)
    const replayMs = replayEnd - replayed[0]!.at
    expect(replayMs).toBeGreaterThan(((rs.length - 2 * 0.05 * REPLAY_PER_SECOND) / REPLAY_PER_SECOND) * 1000 * 0.9)

    // the retained online status was published on the connect and on the reconnect
    expect(sub.messages.filter((m) => m.topic === STATUS && m.payload === ONLINE).length).toBe(2)
    expect(publisher.stats()).toMatchObject({
      connected: true, reconnects: 1, depth: 0, inFlight: 0,
      published: TOTAL, acked: TOTAL, replayed: rs.length,
      drops: { maxMessages: 0, maxBytes: 0, maxAge: 0, writeFailed: 0 },
    })
    expect(publisher.stats().latencyMs?.samples).toBe(TOTAL)
  })
})
