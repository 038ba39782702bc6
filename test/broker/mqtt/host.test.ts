// MqttHost auth and ACL against real mqtt.js clients on a real aedes on an OS-picked port.
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { collector } from '../../helpers/broker.ts'
import { alarmTopic, gatewayStatusTopic } from '../../../protocol/index.ts'
import { A1, A2, B1, PASSWORDS, connect, gateway, startHost, status, telemetry, type HostFixture } from './fixtures.ts'

let fx: HostFixture | undefined
const clients: MqttClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
  await fx?.stop()
  fx = undefined
})
const keep = (c: MqttClient) => (clients.push(c), c)
const monitor = (url: string) => collector(url, ['lift/v1/#'], { clientId: 'ops', username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
/** SUBACK return codes in order; mqtt.js rejects when any is 0x80, with the SUBACK attached. */
const grants = (c: MqttClient, topics: string[]): Promise<number[]> =>
  c.subscribeAsync(topics, { qos: 1 }).then((gs) => gs.map((g) => g.qos), (err: { packet?: { granted: number[] } }) => {
    if (!err.packet) throw err
    return err.packet.granted
  })
const refusalCode = async (p: Promise<unknown>) => ((await p.then(() => null, (err: { code?: number }) => err)) as { code?: number } | null)?.code

describe('gateway ACL', () => {
  it("refuses a gateway's publish to another gateway's elevator: counted, logged once, never delivered, connection kept", async () => {
    fx = await startHost({ now: () => 0 })
    const mon = await monitor(fx.url)
    const gwA = keep(await gateway(fx.url, 'gw-a'))

    const foreign = telemetry(B1, { gateway: 'gw-a' })
    await gwA.publishAsync(foreign.topic, foreign.payload, { qos: 1 })
    await gwA.publishAsync(foreign.topic, foreign.payload, { qos: 1 })
    await gwA.publishAsync(status('gw-b', 'offline').topic, status('gw-b', 'offline').payload, { qos: 1 })
    await gwA.publishAsync(alarmTopic(A1.region, A1.id), '{}', { qos: 1 })
    await gwA.publishAsync(`lift/v1/330902/${A1.id}/telemetry`, telemetry(A1).payload, { qos: 1 })
    const own = telemetry(A1)
    await gwA.publishAsync(own.topic, own.payload, { qos: 1 })
    await mon.waitFor((ms) => ms.length === 1)

    // acknowledged and discarded: the gateway is still connected and its next message went through
    expect(gwA.connected).toBe(true)
    expect(mon.messages.map((m) => m.topic)).toEqual([own.topic])
    expect(fx.host.stats().refused.publish).toEqual({
      'gw-a': { 'other-gateway-elevator': 2, 'other-gateway-status': 1, 'alarm-topic': 1, 'wrong-region': 1 },
    })
    const logged = fx.lines.filter((l) => l.msg === 'publish refused')
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ client: 'gw-a', reason: 'other-gateway-elevator', topic: foreign.topic, level: 40 })
    await mon.close()
  })

  it('lets a gateway publish its own elevators, its status and its will; nothing of another gateway reaches a subscriber', async () => {
    fx = await startHost()
    const mon = await monitor(fx.url)
    const will = status('gw-a', 'offline')
    const gwA = await gateway(fx.url, 'gw-a', { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true } })
    const gwB = keep(await gateway(fx.url, 'gw-b'))
    for (const m of [telemetry(A1), telemetry(A2), status('gw-a', 'online')]) await gwA.publishAsync(m.topic, m.payload, { qos: 1 })
    await gwB.publishAsync(telemetry(B1).topic, telemetry(B1).payload, { qos: 1 })
    ;(gwA as unknown as { stream: { destroy(): void } }).stream.destroy() // dies without DISCONNECT: the will fires
    await mon.waitFor((ms) => ms.some((m) => m.topic === will.topic && m.json.state === 'offline'))
    expect(mon.messages.map((m) => m.topic)).toEqual([telemetry(A1).topic, telemetry(A2).topic, gatewayStatusTopic('gw-a'), telemetry(B1).topic, will.topic])
    expect(fx.host.stats().refused.publish).toEqual({})
    gwA.end(true)
    await mon.close()
  })

  it('refuses a will on a topic the gateway may not publish, at CONNECT', async () => {
    fx = await startHost()
    const foreign = status('gw-b', 'offline')
    expect(await refusalCode(gateway(fx.url, 'gw-a', { will: { topic: foreign.topic, payload: Buffer.from(foreign.payload), qos: 1, retain: true } }))).toBe(5)
    expect(fx.host.stats().refused.connect).toEqual({ 'will-refused': 1 })
  })

  it('grants a gateway only exact topics of its own, and SUBACKs 0x80 for the rest without disconnecting', async () => {
    fx = await startHost()
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    expect(await grants(gwA, [gatewayStatusTopic('gw-a'), 'lift/v1/#', telemetry(B1).topic, '$SYS/#'])).toEqual([1, 128, 128, 128])
    expect(gwA.connected).toBe(true)
    expect(fx.host.stats().refused.subscribe).toEqual({ 'gw-a': { 'gateway-filter': 3 } })
  })
})

describe('authentication', () => {
  it('refuses a wrong password and an unknown user with CONNACK 4', async () => {
    fx = await startHost()
    // twice right (the second from the verifier's memory), then wrong: still refused
    for (let i = 0; i < 2; i++) await (await gateway(fx.url, 'gw-a')).endAsync()
    expect(await refusalCode(connect(fx.url, { clientId: 'gw-a', username: 'gw-a', password: 'wrong' }))).toBe(4)
    expect(await refusalCode(connect(fx.url, { clientId: 'gw-z', username: 'gw-z', password: PASSWORDS['gw-a'] }))).toBe(4)
    expect(fx.host.stats().refused.connect).toEqual({ 'bad-credentials': 2 })
    expect(fx.host.stats().connectsAccepted).toBe(2)
    const logged = fx.lines.filter((l) => l.msg === 'connection refused')
    expect(logged.map((l) => l.username)).toEqual(['gw-a', 'gw-z'])
    expect(JSON.stringify(fx.lines)).not.toContain('wrong')
  })

  it('refuses anonymous clients with CONNACK 5 unless allowAnonymous', async () => {
    fx = await startHost()
    expect(await refusalCode(connect(fx.url, { clientId: 'anon-1' }))).toBe(5)
    expect(fx.host.stats().refused.connect).toEqual({ anonymous: 1 })
    await fx.stop()

    fx = await startHost({ section: { allowAnonymous: true } })
    const anon = keep(await connect(fx.url, { clientId: 'anon-1' }))
    const mon = await collector(fx.url, ['lift/v1/#'], { clientId: 'anon-2', reconnectPeriod: 0 })
    await anon.publishAsync(telemetry(B1).topic, telemetry(B1).payload, { qos: 1 })
    await anon.publishAsync(alarmTopic(B1.region, B1.id), '{}', { qos: 1 })
    await anon.publishAsync(telemetry(A1).topic, telemetry(A1).payload, { qos: 1 })
    await mon.waitFor((ms) => ms.length === 2)
    expect(mon.messages.map((m) => m.topic)).toEqual([telemetry(B1).topic, telemetry(A1).topic])
    expect(fx.host.stats().refused.publish).toEqual({ 'anon-1': { 'alarm-topic': 1 } })
    await mon.close()
  })

  it("refuses a client id that names another user, so nobody can end a gateway's session", async () => {
    fx = await startHost()
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    expect(await refusalCode(connect(fx.url, { clientId: 'gw-a', username: 'ops', password: PASSWORDS.ops }))).toBe(2)
    expect(await refusalCode(connect(fx.url, { clientId: 'gw-a:spare', username: 'gw-b', password: PASSWORDS['gw-b'] }))).toBe(2)
    expect(gwA.connected).toBe(true)
    // its own `user:suffix` id is fine, and longer than MQTT 3.1's 23 characters
    const longId = `gw-a:${'x'.repeat(60)}`
    const v31 = keep(await gateway(fx.url, 'gw-a', { clientId: longId, protocolId: 'MQIsdp', protocolVersion: 3 }))
    expect(v31.connected).toBe(true)
    expect(fx.host.stats().refused.connect).toEqual({ 'client-id-taken': 2 })
  })
})

describe('monitor users', () => {
  it('subscribe to lift/v1/# and publish nothing', async () => {
    fx = await startHost({ now: () => 0 })
    const mon = await monitor(fx.url)
    expect(await grants(mon.client, ['lift/v1/gateways/+/status', '#', '$SYS/#'])).toEqual([1, 128, 128])
    await mon.client.publishAsync(telemetry(A1).topic, telemetry(A1).payload, { qos: 1 })
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    await gwA.publishAsync(telemetry(A2).topic, telemetry(A2).payload, { qos: 1 })
    await mon.waitFor((ms) => ms.length >= 1)
    expect(mon.messages.map((m) => m.topic)).toEqual([telemetry(A2).topic])
    expect(fx.host.stats().refused).toMatchObject({ publish: { ops: { 'read-only': 1 } }, subscribe: { ops: { 'outside-lift-v1': 2 } } })
    await mon.close()
  })
})

describe('the broker itself', () => {
  it('hands every allowed publish to onPublish, drops what it refuses, and keeps its own stop out of it', async () => {
    const seen: string[] = []
    fx = await startHost({ onPublish: (m) => (seen.push(`${m.gatewayId}:${m.topic}`), !m.topic.endsWith(A2.id + '/telemetry')) })
    const mon = await monitor(fx.url)
    const will = status('gw-a', 'offline')
    const gwA = keep(await gateway(fx.url, 'gw-a', { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true } }))
    for (const m of [telemetry(B1), telemetry(A2), telemetry(A1)]) await gwA.publishAsync(m.topic, m.payload, { qos: 1 })
    await mon.waitFor((ms) => ms.length === 1)
    expect(mon.messages.map((m) => m.topic)).toEqual([telemetry(A1).topic])
    expect(seen).toEqual([`gw-a:${telemetry(A2).topic}`, `gw-a:${telemetry(A1).topic}`])
    expect(fx.host.stats()).toMatchObject({ dropped: 1, clients: 2, connectsAccepted: 2 })
    await mon.close()
    await fx.host.stop()
    expect(seen).toHaveLength(2) // the will fired as we closed the connection, and was not news
  })


  it('publishes alarms past the ACL, and stop() is idempotent', async () => {
    fx = await startHost()
    const mon = await monitor(fx.url)
    await fx.host.publish(alarmTopic(A1.region, A1.id), '{"v":1}', { qos: 1 })
    await mon.waitFor((ms) => ms.length === 1)
    expect(mon.messages[0]!.topic).toBe(alarmTopic(A1.region, A1.id))
    await mon.close()
    await Promise.all([fx.host.stop(), fx.host.stop()])
    await fx.host.stop()
    await expect(fx.host.publish('lift/v1/x', 'y')).rejects.toThrow(/not started/)
  })
})
