// The MQTT host's limits against real peers: raw TCP sockets for what no MQTT library would send,
// mqtt.js clients, Debian's mosquitto_pub and a mosquitto bridge.
import { once } from 'node:events'
import { connect as tcpConnect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { collector } from '../../helpers/broker.ts'
import { startBrokerApp } from '../../helpers/broker-app.ts'
import { run } from '../../helpers/cli.ts'
import { startMosquitto } from '../../helpers/mosquitto.ts'
import { until } from '../../gateway/outbox/fixtures.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import { parseMqttHostConfig } from '../../../broker/mqtt/config.ts'
import { alarmTopic } from '../../../protocol/index.ts'
import { A1, B1, PASSWORDS, REGISTRY, availability, connect, gateway, startHost, status, telemetry, tempDir, users, type HostFixture } from './fixtures.ts'

let fx: HostFixture | undefined
const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await fx?.stop()
  fx = undefined
})
const keep = (c: MqttClient) => (cleanups.push(() => c.endAsync(true)), c)
const refusalCode = async (p: Promise<MqttClient>) => {
  const r = await p.then((c) => (keep(c), null), (err: { code?: number }) => err)
  return r?.code ?? null
}

// MQTT 3.1.1 §2.2.3: the remaining length, 7 bits a byte, least significant first
function varint(n: number): Buffer {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 0x80
    out.push(b)
  } while (n > 0)
  return Buffer.from(out)
}
const str = (s: string) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]) }
/** A CONNECT with a username and password, clean session, keep-alive 60 s (§3.1). */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(clientId), str(username), str(password)])
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body])
}

/** Opens a socket, sends CONNECT, and resolves once the CONNECT is on its way; `connack` gives the return code. */
async function rawConnect(port: number, packet: Buffer): Promise<{ socket: Socket; connack: Promise<number | 'closed'> }> {
  const socket = tcpConnect(port, '127.0.0.1')
  cleanups.push(async () => { socket.destroy() })
  await once(socket, 'connect')
  const connack = new Promise<number | 'closed'>((resolve) => {
    let got = Buffer.alloc(0)
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d])
      if (got.length >= 4) resolve(got[3]!)
    })
    socket.once('close', () => resolve('closed'))
  })
  await new Promise<void>((resolve, reject) => socket.write(packet, (err) => (err ? reject(err) : resolve())))
  return { socket, connack }
}

describe('packet size', () => {
  it('closes a connection whose first packet claims 100 MB as soon as its header says so, and serves the next client', async () => {
    fx = await startHost() // maxConnectBytes: the default, 64 KiB
    const socket = tcpConnect(fx.ports.tcp!, '127.0.0.1')
    cleanups.push(async () => { socket.destroy() })
    await once(socket, 'connect')
    const errors: string[] = []
    socket.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message)) // EPIPE/ECONNRESET as the broker hangs up
    let closed = false
    const closing = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve() }))
    socket.write(Buffer.concat([Buffer.from([0x10]), varint(100 * 1024 * 1024)]))
    // today's broker reads on: it would take all 64 MB and wait for the rest
    const chunk = Buffer.alloc(1024 * 1024, 0x41)
    let sent = 0
    while (!closed && sent < 64 * chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => { socket.once('drain', resolve); socket.once('close', resolve) })
      sent += chunk.length
    }
    expect(closed, `still open after ${sent} bytes`).toBe(true)
    await closing
    expect(errors.every((e) => ['EPIPE', 'ECONNRESET'].includes(e))).toBe(true)
    expect(fx.host.stats().refused.connect).toEqual({ 'packet-too-large': 1 })
    // authenticated, a gateway may send up to maxPacketBytes (2 MiB): ingest counts garbage; more closes it too
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    await gwA.publishAsync(telemetry(A1).topic, Buffer.alloc(1024 * 1024, 0x20), { qos: 1 })
    const gone = new Promise<void>((resolve) => gwA.once('close', () => resolve()))
    const clientErrors: string[] = []
    gwA.on('error', (err) => { clientErrors.push(String((err as NodeJS.ErrnoException).code ?? err.message)) })
    gwA.publish(telemetry(A1).topic, Buffer.alloc(3 * 1024 * 1024, 0x20), { qos: 1 })
    await gone
    expect(clientErrors.every((e) => ['EPIPE', 'ECONNRESET'].includes(e))).toBe(true)
    expect(fx.host.stats().refused.connect).toEqual({ 'packet-too-large': 2 })
  })
})

describe('password checks under a flood', () => {
  it('answers a legitimate first login after at most a handful of the checks 2,000 wrong-password connects from the same address queued', async () => {
    fx = await startHost()
    const host = fx.host, port = fx.ports.tcp!
    const order: { who: string; code: number | 'closed' }[] = []
    const attacks = await Promise.all(Array.from({ length: 2000 }, (_, i) => rawConnect(port, connectPacket(`x-${i}`, 'gw-a', 'wrong'))))
    const answered = attacks.map((a) => a.connack.then((code) => { order.push({ who: 'attacker', code }) }))
    // every attempt has reached the password check: checked, refused as busy, or waiting its turn
    await until(() => { const p = host.stats().passwords; return p.evaluated + p.busy + p.waiting >= 2000 }, 'the attack arrived')
    const checkedBefore = order.filter((o) => o.code === 4).length
    const legit = await rawConnect(port, connectPacket('gw-b', 'gw-b', PASSWORDS['gw-b']))
    const code = await legit.connack
    // the attacker's checks (CONNACK 4) answered while gw-b waited: today every one queued before it
    const checkedMeanwhile = order.filter((o) => o.code === 4).length - checkedBefore
    order.push({ who: 'gw-b', code })
    expect(code).toBe(0)
    expect(checkedMeanwhile).toBeLessThanOrEqual(10)
    await Promise.all(answered)
    // every attacker was refused: bad credentials, or busy (3) without a password check
    expect(new Set(order.filter((o) => o.who === 'attacker').map((o) => o.code))).toEqual(new Set([3, 4]))
    const refused = fx.host.stats().refused.connect
    expect((refused['bad-credentials'] ?? 0) + (refused.busy ?? 0)).toBe(2000)
  })
})

describe('offline persistent sessions', () => {
  it.each([
    { limits: { maxMessages: 50, maxBytes: 10_000_000 }, what: 'count' },
    { limits: { maxMessages: 10_000, maxBytes: 12_000 }, what: 'bytes' },
  ])('keep at most the newest messages ($what), and count what they dropped', async ({ limits }) => {
    fx = await startHost({ section: { offlineQueue: limits } })
    const session = { clientId: 'ops:archive', username: 'ops', password: PASSWORDS.ops, clean: false, reconnectPeriod: 0 }
    const first = await collector(fx.url, ['lift/v1/+/+/telemetry'], session)
    await first.client.endAsync() // DISCONNECT: the session stays, offline
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    const sent = Array.from({ length: 200 }, (_, seq) => telemetry(A1, { seq }))
    for (const m of sent) await gwA.publishAsync(m.topic, m.payload, { qos: 1 })

    const back = await collector(fx.url, ['lift/v1/+/+/telemetry'], session)
    cleanups.push(() => back.close())
    await back.waitFor((ms) => ms.some((m) => m.json.seq === 199))
    let kept = 0, bytes = 0
    for (const m of [...sent].reverse()) {
      bytes += m.payload.length + m.topic.length
      if (kept + 1 > limits.maxMessages || bytes > limits.maxBytes) break
      kept++
    }
    expect(kept).toBeLessThan(200)
    expect(back.messages.map((m) => m.json.seq)).toEqual(sent.slice(200 - kept).map((_, i) => 200 - kept + i))
    expect(fx.host.stats().offlineDropped).toBe(200 - kept)
  })
})

describe('client ids', () => {
  it("refuses gateway credentials that take a monitor integration's client id, while it is connected and after it left", async () => {
    fx = await startHost()
    const integration = keep(await connect(fx.url, { clientId: 'grafana-lifts', username: 'ops', password: PASSWORDS.ops }))
    expect(await refusalCode(gateway(fx.url, 'gw-a', { clientId: 'grafana-lifts' }))).toBe(2)
    expect(integration.connected).toBe(true)
    await integration.endAsync()
    expect(await refusalCode(gateway(fx.url, 'gw-a', { clientId: 'grafana-lifts' }))).toBe(2)
    expect(await refusalCode(connect(fx.url, { clientId: 'grafana-lifts', username: 'ops', password: PASSWORDS.ops }))).toBeNull()
    expect(fx.host.stats().refused.connect).toEqual({ 'client-id-taken': 2 })
  })
})

describe('retained telemetry', () => {
  it('forwards telemetry mosquitto_pub sent with retain, but keeps none of it; availability stays retained', async () => {
    fx = await startHost()
    const live = await collector(fx.url, ['lift/v1/+/+/telemetry'], { clientId: 'ops', username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
    cleanups.push(() => live.close())
    const pub = (m: { topic: string; payload: string }) =>
      run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fx!.ports.tcp), '-i', 'gw-a', '-u', 'gw-a', '-P', PASSWORDS['gw-a'], '-q', '1', '-r', '-t', m.topic, '-m', m.payload])
    const tel = telemetry(A1, { seq: 9 })
    for (const m of [tel, availability(A1, 'online', 1_764_000_000_000)]) expect((await pub(m)).code).toBe(0)
    await live.waitFor((ms) => ms.length === 1)
    expect(live.messages[0]).toMatchObject({ topic: tel.topic, retain: false })

    // a subscriber that comes later: the telemetry filter first, then availability, whose retained message ends the wait
    const late = await collector(fx.url, [tel.topic], { clientId: 'ops:late', username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
    cleanups.push(() => late.close())
    await late.client.subscribeAsync(availability(A1, 'online', 0).topic, { qos: 1 })
    await late.waitFor((ms) => ms.some((m) => m.topic.endsWith('/availability')))
    expect(late.messages.map((m) => m.topic)).toEqual([availability(A1, 'online', 0).topic])
    expect(fx.host.stats().retainStripped).toBe(1)
  })
})

describe('bridge role', () => {
  const bridgeUsers = async () => ({ ...(await users()), north: { role: 'bridge', gateways: ['gw-a'], hash: await hashPassword('pw-north-5t', { N: 1024, r: 8, p: 1 }) } })

  it('is configured with the gateways it carries: required for a bridge, refused for other roles', async () => {
    const base = await users()
    expect(() => parseMqttHostConfig({ users: { ...base, north: { role: 'bridge', hash: base.ops!.hash } } })).toThrow(/users\.north\.gateways/)
    expect(() => parseMqttHostConfig({ users: { ...base, ops: { ...base.ops!, gateways: ['gw-a'] } } })).toThrow(/users\.ops\.gateways/)
  })

  it("carries a mosquitto bridge's messages for its named gateways' elevators and status, and nothing else", async () => {
    fx = await startHost({ section: { users: await bridgeUsers() } })
    const mon = await collector(fx.url, ['lift/v1/#'], { clientId: 'ops', username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
    cleanups.push(() => mon.close())
    const accepted = fx.host.stats().connectsAccepted
    const mosq = await startMosquitto([
      `connection lw`, `address 127.0.0.1:${fx.ports.tcp}`, 'remote_clientid north', 'remote_username north', 'remote_password pw-north-5t',
      'try_private false', 'notifications false', 'cleansession true', 'topic lift/v1/# out 1', '',
    ].join('\n'))
    cleanups.push(() => mosq.close())
    await until(() => fx!.host.stats().connectsAccepted > accepted, 'the bridge connected')
    const msgs = [telemetry(B1), status('gw-b', 'offline'), { topic: alarmTopic(A1.region, A1.id), payload: '{}' }, telemetry(A1), status('gw-a', 'online')]
    for (const m of msgs) expect((await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mosq.port), '-q', '1', '-t', m.topic, '-m', m.payload])).code).toBe(0)
    await mon.waitFor((ms) => ms.some((m) => m.topic === status('gw-a', 'online').topic))
    expect(mon.messages.map((m) => m.topic)).toEqual([telemetry(A1).topic, status('gw-a', 'online').topic])
    expect(fx.host.stats().refused.publish).toEqual({ north: { 'other-gateway-elevator': 1, 'other-gateway-status': 1, 'alarm-topic': 1 } })
  })
})

describe('/metrics', () => {
  it('counts refused publishes and connects per reason', async () => {
    const dir = tempDir()
    const app = await startBrokerApp({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: await users() },
      registry: REGISTRY,
      alarms: { path: join(dir, 'alarms.db') },
      telemetry: { sqlite: { path: join(dir, 'telemetry.db') } },
    })
    cleanups.push(() => app.stop())
    const gwA = keep(await gateway(app.url, 'gw-a'))
    await gwA.publishAsync(telemetry(B1).topic, telemetry(B1).payload, { qos: 1 })
    expect(await refusalCode(connect(app.url, { clientId: 'gw-b', username: 'gw-b', password: 'wrong' }))).toBe(4)
    const text = await (await (await app.login()).get('/metrics')).text()
    expect(text).toMatch(/^liftwatch_broker_mqtt_refused_publish\{client="gw-a",reason="other-gateway-elevator"\} 1$/m)
    expect(text).toMatch(/^liftwatch_broker_mqtt_refused_connect\{reason="bad-credentials"\} 1$/m)
  })
})
