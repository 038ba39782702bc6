// Ingest behind a real MqttHost: real mqtt.js gateways publish garbage, duplicates, gaps, replays
// and unknown elevators; the broker keeps serving and ingest counts, logs and emits what it should.
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { collector } from '../../helpers/broker.ts'
import { Ingest, isForwarded, type AcceptedTelemetry } from '../../../broker/ingest/ingest.ts'
import { DEFAULT_INGEST_CONFIG } from '../../../broker/ingest/config.ts'
import type { DetectorInput } from '../../../detectors/runtime/types.ts'
import { A1, A2, B1, PASSWORDS, availability, captureLog, connect, gateway, registryFile, startHost, status, telemetry, type HostFixture } from '../mqtt/fixtures.ts'

interface Rig { fx: HostFixture; ingest: Ingest; events: DetectorInput[]; sunk: AcceptedTelemetry[]; clock: { t: number } }
let rig: Rig | undefined
const clients: MqttClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  await rig?.fx.stop()
  rig?.ingest.stop()
  rig = undefined
})

async function start(section: Record<string, unknown> = {}): Promise<Rig> {
  const clock = { t: 1_000_000 }
  const now = () => clock.t
  const logged = captureLog()
  const { registry } = registryFile()
  const ingest = new Ingest({ registry, log: logged.log, now })
  const events: DetectorInput[] = []
  const sunk: AcceptedTelemetry[] = []
  ingest.events$.subscribe((e) => events.push(e))
  ingest.telemetry$.subscribe((t) => sunk.push(t))
  const fx = await startHost({ registry, log: logged, now, section, onPublish: (m) => isForwarded(ingest.handle(m)) })
  rig = { fx, ingest, events, sunk, clock }
  return rig
}
const keep = async (c: Promise<MqttClient>) => { const client = await c; clients.push(client); return client }
const monitor = (url: string) => collector(url, ['lift/v1/#'], { clientId: 'ops', username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
const send = (c: MqttClient, m: { topic: string; payload: string | Buffer }) => c.publishAsync(m.topic, m.payload, { qos: 1 })
const seqs = (xs: { msg?: { seq: number } }[]) => xs.map((x) => x.msg?.seq)
const invalidLines = (fx: HostFixture) => fx.lines.filter((l) => l.msg === 'invalid message dropped')

describe('ingest behind the broker', () => {
  it('counts garbage per gateway, logs it at most once a minute per gateway, and keeps serving valid messages', async () => {
    const { fx, ingest, events, clock } = await start()
    const mon = await monitor(fx.url)
    const gwA = await keep(gateway(fx.url, 'gw-a'))
    const gwB = await keep(gateway(fx.url, 'gw-b'))
    const topic = telemetry(A1).topic
    // QoS 1: ingest has seen each message when its PUBACK arrives
    await send(gwA, { topic, payload: 'not json at all' })
    await send(gwA, telemetry(A1, { door: 'ajar' as never }))
    await send(gwA, { topic, payload: Buffer.alloc(1024 * 1024, 'x') })
    expect(ingest.stats().gateways['gw-a']).toMatchObject({ invalid: 3, accepted: 0 })
    expect(invalidLines(fx)).toHaveLength(1)
    expect(invalidLines(fx)[0]).toMatchObject({ gateway: 'gw-a', topic, problem: expect.stringMatching(/^\(payload\): not JSON/), level: 40 })

    // the same and other clients are still served
    await send(gwA, telemetry(A1, { seq: 0 }))
    await send(gwB, { topic: telemetry(B1).topic, payload: '{"v":1}' })
    await send(gwB, telemetry(B1, { seq: 0 }))
    await mon.waitFor((ms) => ms.length === 2)
    expect(mon.messages.map((m) => m.topic)).toEqual([topic, telemetry(B1).topic])
    expect(events.map((e) => [e.kind, e.elevatorId])).toEqual([['telemetry', A1.id], ['telemetry', B1.id]])
    expect(invalidLines(fx).map((l) => l.gateway)).toEqual(['gw-a', 'gw-b'])
    expect(invalidLines(fx)[1]!.problem).toBe('ts: is required')

    // a minute later the next one is logged, with how many were held back
    clock.t += 60_000
    await send(gwA, telemetry(A1, { door: 'ajar' as never, seq: 1 }))
    expect(invalidLines(fx)[2]).toMatchObject({ gateway: 'gw-a', suppressed: 2, problem: 'door: must be one of "open", "opening", "closing", "closed", "unknown"' })
    expect(ingest.stats().gateways).toEqual({
      // the fixture's ts (2025) is far ahead of this test's clock: counted as skewed, offset measured
      'gw-a': { accepted: 1, late: 0, invalid: 4, duplicates: 0, gaps: 0, unknownElevator: 0, skewed: 1, retimed: 0, clockSteps: 0, tooOld: 0, clockOffsetSeconds: 1_763_999_000 },
      'gw-b': { accepted: 1, late: 0, invalid: 1, duplicates: 0, gaps: 0, unknownElevator: 0, skewed: 1, retimed: 0, clockSteps: 0, tooOld: 0, clockOffsetSeconds: 1_763_999_000 },
    })
    expect(fx.host.stats().dropped).toBe(5)
    await mon.close()
  })

  it('drops duplicates, counts gaps, hands late replays to the sinks and (as replays) to the detectors, and restarts seq on a new boot', async () => {
    const { fx, ingest, events, sunk } = await start()
    const mon = await monitor(fx.url)
    const gwA = await keep(gateway(fx.url, 'gw-a'))
    const at = (seq: number, over: Record<string, unknown> = {}) => telemetry(A1, { seq, ts: 1_000 + seq, ...over })
    for (const m of [at(0), at(1), at(1), at(2), at(6), at(4, { reason: 'replay' }), at(4, { reason: 'replay' })]) await send(gwA, m)
    await send(gwA, telemetry(A1, { boot: 'b-2', seq: 0, ts: 2_000 }))
    await send(gwA, telemetry(A1, { boot: 'b-2', seq: 1, ts: 2_001 }))
    // a row from before the reboot, replayed after it
    await send(gwA, at(3, { reason: 'replay' }))

    expect(ingest.stats().gateways['gw-a']).toMatchObject({ accepted: 8, late: 2, invalid: 0, duplicates: 2, gaps: 3, unknownElevator: 0, retimed: 0, clockSteps: 0 })
    expect(seqs(events.filter((e) => e.kind === 'telemetry'))).toEqual([0, 1, 2, 6, 4, 0, 1, 3])
    expect(seqs(sunk)).toEqual([0, 1, 2, 6, 4, 0, 1, 3])
    expect(sunk.filter((t) => t.late).map((t) => t.msg.seq)).toEqual([4, 3])
    await mon.waitFor((ms) => ms.length === 8)
    expect(mon.messages.map((m) => m.json.seq)).toEqual([0, 1, 2, 6, 4, 0, 1, 3])
    await mon.close()
  })

  it('reports unknown elevators (anonymous clients) and payloads that contradict the registry or the publisher', async () => {
    const { fx, ingest, clock } = await start({ allowAnonymous: true })
    const anon = await keep(connect(fx.url, { clientId: 'bench-1' }))
    const unknown = (id: string) => ({ topic: `lift/v1/330922/${id}/telemetry`, payload: telemetry(A1).payload })
    await send(anon, unknown('NEW-1'))
    await send(anon, unknown('NEW-2'))
    clock.t += 60_000
    await send(anon, unknown('NEW-3'))
    const warned = fx.lines.filter((l) => l.msg === 'messages for elevators not in the registry dropped')
    expect(warned.map((l) => [l.elevatorIds, l.gateways, l.suppressed])).toEqual([[['NEW-1'], ['gw-a'], 0], [['NEW-2', 'NEW-3'], ['gw-a'], 1]])
    expect(ingest.stats()).toMatchObject({ gateways: { 'gw-a': { unknownElevator: 3 } }, unknownElevatorIds: ['NEW-1', 'NEW-2', 'NEW-3'] })

    // the registry says A1 is gw-a's, in 330922
    await send(anon, telemetry(A1, { gateway: 'gw-b' }))
    await send(anon, { topic: `lift/v1/330902/${A1.id}/availability`, payload: availability(A1, 'online', 5).payload })
    // an authenticated gateway cannot claim to be another
    const gwA = await keep(gateway(fx.url, 'gw-a'))
    clock.t += 60_000
    await send(gwA, telemetry(A2, { gateway: 'gw-b' }))
    expect(invalidLines(fx).map((l) => l.problem)).toEqual([
      `gateway: elevator ${A1.id} is served by gateway "gw-a"`,
      `(topic): region 330902, but the registry has elevator ${A1.id} in 330922`,
      'gateway: "gw-b" is not the publishing gateway "gw-a"',
    ])
    // with credentials, an unregistered elevator never reaches ingest: the ACL refuses it
    await send(gwA, unknown('NEW-4'))
    expect(fx.host.stats().refused.publish['gw-a']).toEqual({ 'unregistered-elevator': 1 })
    expect(ingest.stats().unknownElevatorIds).not.toContain('NEW-4')
  })

  it('fans a gateway status, and its will, out to one gateway event per registered elevator; passes availability on', async () => {
    const { fx, events, clock } = await start()
    const will = status('gw-a', 'offline')
    const gwA = await gateway(fx.url, 'gw-a', { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true } })
    await send(gwA, status('gw-a', 'online'))
    await send(gwA, availability(A1, 'offline', 5_000))
    await send(gwA, availability(A1, 'online', 4_000)) // older than what the detectors saw: late
    clock.t += 1_000
    const offline = new Promise<void>((resolve) => rig!.ingest.events$.subscribe((e) => { if (e.kind === 'gateway' && e.state === 'offline') resolve() }))
    ;(gwA as unknown as { stream: { destroy(): void } }).stream.destroy()
    await offline
    gwA.end(true)
    expect(events).toEqual([
      { kind: 'gateway', elevatorId: A1.id, region: A1.region, gatewayId: 'gw-a', ts: 1_000_000, state: 'online' },
      { kind: 'gateway', elevatorId: A2.id, region: A2.region, gatewayId: 'gw-a', ts: 1_000_000, state: 'online' },
      { kind: 'availability', elevatorId: A1.id, region: A1.region, gatewayId: 'gw-a', ts: 5_000, state: 'offline' },
      { kind: 'gateway', elevatorId: A1.id, region: A1.region, gatewayId: 'gw-a', ts: 1_001_000, state: 'offline' },
      { kind: 'gateway', elevatorId: A2.id, region: A2.region, gatewayId: 'gw-a', ts: 1_001_000, state: 'offline' },
    ])
  })
})

describe('ingest fed directly (an external broker feed)', () => {
  const make = (config = {}) => {
    const logged = captureLog()
    const ingest = new Ingest({ registry: registryFile().registry, log: logged.log, now: () => 0, config: { ...DEFAULT_INGEST_CONFIG, maxPayloadBytes: 1024, seqWindow: 8, logIntervalSeconds: 60, maxGateways: 2, ...config } })
    return { ingest, lines: logged.lines }
  }
  const msg = (m: { topic: string; payload: string | Buffer }, clientId?: string) => ({ topic: m.topic, payload: Buffer.from(m.payload), clientId })

  it('ignores alarms, rejects non-v1 topics and oversized payloads unparsed, and caps the gateways it counts', () => {
    const { ingest } = make()
    expect(ingest.handle(msg({ topic: `lift/v1/${A1.region}/${A1.id}/alarm`, payload: '{}' }))).toBe('ignored')
    expect(ingest.handle(msg({ topic: 'lift/v2/x', payload: '{}' }, 'c-1'))).toBe('invalid')
    expect(ingest.handle(msg({ topic: telemetry(A1).topic, payload: Buffer.alloc(1025, '{') }))).toBe('invalid')
    expect(ingest.handle(msg(telemetry(B1)))).toBe('accepted')
    expect(ingest.stats().gateways).toEqual({
      'c-1': { accepted: 0, late: 0, invalid: 1, duplicates: 0, gaps: 0, unknownElevator: 0, skewed: 0, retimed: 0, clockSteps: 0, tooOld: 0 },
      // over maxGateways: 2
      'gw-a': { accepted: 0, late: 0, invalid: 1, duplicates: 0, gaps: 0, unknownElevator: 0, skewed: 0, retimed: 0, clockSteps: 0, tooOld: 0 },
      '(other)': { accepted: 1, late: 0, invalid: 0, duplicates: 0, gaps: 0, unknownElevator: 0, skewed: 1, retimed: 0, clockSteps: 0, tooOld: 0 },
    })
  })

  it('keeps a replayed row dated beyond maxAgeSeconds for the sinks but not the detectors, and counts it', () => {
    const now = 1_772_413_200_000
    const logged = captureLog()
    const ingest = new Ingest({ registry: registryFile().registry, log: logged.log, now: () => now })
    const events: DetectorInput[] = []
    const sunk: AcceptedTelemetry[] = []
    ingest.events$.subscribe((e) => events.push(e))
    ingest.telemetry$.subscribe((t) => sunk.push(t))
    const day = 86_400_000
    ingest.handle({ ...msg(telemetry(A1, { seq: 5, ts: now })), gatewayId: 'gw-a' })
    // the gateway's clock was reset to 2000 during the outage; its outbox replays those rows
    expect(ingest.handle({ ...msg(telemetry(A1, { seq: 3, ts: Date.UTC(2000, 0, 1), reason: 'replay' })), gatewayId: 'gw-a' })).toBe('late')
    // a week-old row is still history
    expect(ingest.handle({ ...msg(telemetry(A1, { seq: 4, ts: now - 6 * day, reason: 'replay' })), gatewayId: 'gw-a' })).toBe('late')
    expect(events.map((e) => (e.kind === 'telemetry' ? e.msg.seq : null))).toEqual([5, 4])
    expect(sunk.map((t) => t.msg.seq)).toEqual([5, 3, 4])
    // the sinks store what the gateway said
    expect(sunk.map((t) => t.gatewayTs)).toEqual([now, Date.UTC(2000, 0, 1), now - 6 * day])
    expect(ingest.stats().gateways['gw-a']).toMatchObject({ accepted: 3, late: 2, tooOld: 1 })
    expect(logged.lines.filter((l) => l.msg === 'replayed telemetry too old for the detectors')).toMatchObject([{ gateway: 'gw-a', elevatorId: A1.id }])
  })

  it('completes both streams on stop() and ignores what comes after; stop() is idempotent', () => {
    const { ingest } = make()
    let completed = 0
    ingest.events$.subscribe({ complete: () => completed++ })
    ingest.telemetry$.subscribe({ complete: () => completed++ })
    ingest.stop()
    ingest.stop()
    expect(completed).toBe(2)
    expect(ingest.handle(msg(telemetry(A1)))).toBe('ignored')
    expect(ingest.stats().gateways).toEqual({})
  })
})
