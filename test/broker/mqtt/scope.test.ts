// Issue 11, "Scope everywhere": an MQTT monitor user scoped to a region prefix receives the
// messages of the elevators in that prefix and of their gateways, nothing else — live, retained and
// through wildcards. A real MqttHost, mqtt.js gateways and monitors, Debian's mosquitto_sub.
import { spawn } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import { loadRegistry } from '../../../broker/registry/registry.ts'
import { parseMqttHostConfig } from '../../../broker/mqtt/config.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import { availabilityTopic, gatewayAlarmTopic, gatewayStatusTopic, telemetryTopic } from '../../../protocol/index.ts'
import { until } from '../../gateway/outbox/fixtures.ts'
import { REGISTRY, connect, gateway, startHost, tempDir, users, writeYaml, type HostFixture } from './fixtures.ts'

// the fixture's elevators, placed in townships: A1 in 330922001 (township A), A2 in 330922002
// (township B), both on gw-a; B1 in another county (330902) on gw-b
const [A1, A2, B1] = REGISTRY.elevators
const TOWNSHIPS = { [A1!.id]: '330922001', [A2!.id]: '330922002' }
const registry = () => loadRegistry(writeYaml(tempDir(), 'registry.yaml', {
  elevators: REGISTRY.elevators.map((e) => (TOWNSHIPS[e.id] ? { ...e, township: TOWNSHIPS[e.id] } : e)),
}))
const TWN_PASSWORD = 'pw-twn-a-5k2j'

let fx: HostFixture | undefined
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await fx?.stop()
  fx = undefined
})
const keep = (c: MqttClient) => (cleanups.push(() => c.endAsync(true)), c)

async function start(): Promise<HostFixture> {
  const twn = { role: 'monitor', scope: { region: '330922001' }, hash: await hashPassword(TWN_PASSWORD, { N: 1024, r: 8, p: 1 }) }
  return fx = await startHost({ registry: registry(), section: { users: { ...(await users()), 'twn-a': twn } } })
}

/** Every `topic payload` a client receives. */
function collect(c: MqttClient): string[] {
  const got: string[] = []
  c.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`))
  return got
}

const tele = (e: typeof A1) => telemetryTopic(e!.region, e!.id)
const statusOf = (gw: string, elevators: string[]) => JSON.stringify({ v: 1, state: 'online', elevators })

describe('MQTT monitor scoped to a region prefix', () => {
  it('accepts scope for monitors only, as a 6, 9 or 12 digit code', () => {
    const hash = 'scrypt$1024$8$1$QUQ5x2pN0jR9oM0m5nS8wA$3kq0mS6xw0bTqXG8gqGm4m2yZgq0rJd8tH1n8m3p0sE'
    expect(parseMqttHostConfig({ users: { m: { role: 'monitor', hash, scope: { region: '330922001001' } } } }).users.m!.scope).toEqual({ region: '330922001001' })
    expect(() => parseMqttHostConfig({ users: { g: { role: 'gateway', hash, scope: { region: '330922' } } } })).toThrow(/users\.g\.scope: is for monitors only/)
    expect(() => parseMqttHostConfig({ users: { m: { role: 'monitor', hash, scope: { region: '3309220' } } } })).toThrow(/users\.m\.scope\.region/)
  })

  it('forwards only its elevators and its gateways, with the elevator list cut, live and retained', async () => {
    fx = await start()
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    const gwB = keep(await gateway(fx.url, 'gw-b'))
    // retained before anyone subscribes: delivered at SUBSCRIBE, through the same filter
    await gwA.publishAsync(gatewayStatusTopic('gw-a'), statusOf('gw-a', [A1!.id, A2!.id]), { qos: 1, retain: true })
    await gwB.publishAsync(gatewayStatusTopic('gw-b'), statusOf('gw-b', [B1!.id]), { qos: 1, retain: true })
    for (const e of [A1, A2]) await gwA.publishAsync(availabilityTopic(e!.region, e!.id), JSON.stringify({ v: 1, ts: 1, state: 'online', gateway: 'gw-a' }), { qos: 1, retain: true })

    const ops = keep(await connect(fx.url, { clientId: 'ops', username: 'ops', password: 'pw-ops-4x8z' }))
    const twn = keep(await connect(fx.url, { clientId: 'twn-a', username: 'twn-a', password: TWN_PASSWORD }))
    const all = collect(ops)
    const mine = collect(twn)
    await ops.subscribeAsync('lift/v1/#', { qos: 1 })
    const granted = await twn.subscribeAsync('lift/v1/#', { qos: 1 })
    expect(granted.map((g) => g.qos)).toEqual([1])

    await gwA.publishAsync(tele(A1), '{"n":1}', { qos: 1 })
    await gwA.publishAsync(tele(A2), '{"n":2}', { qos: 1 })
    await gwB.publishAsync(tele(B1), '{"n":3}', { qos: 1 })
    // the broker's own gateway alarm, grouping both of gw-a's elevators
    await fx.host.publish(gatewayAlarmTopic('gw-a'), JSON.stringify({ v: 1, type: 'gateway_offline', elevators: [A1!.id, A2!.id] }), { qos: 1 })
    await until(() => all.length === 8, 'the unscoped monitor has all eight')
    // anything delivered to the scoped monitor before this marker was delivered before it
    await gwA.publishAsync(tele(A1), '{"n":"end"}', { qos: 1 })
    await until(() => mine.some((l) => l.endsWith('{"n":"end"}')), 'the marker at the scoped monitor')

    expect(mine.sort()).toEqual([
      `${availabilityTopic(A1!.region, A1!.id)} {"v":1,"ts":1,"state":"online","gateway":"gw-a"}`,
      `${gatewayAlarmTopic('gw-a')} {"v":1,"type":"gateway_offline","elevators":["${A1!.id}"]}`,
      `${gatewayStatusTopic('gw-a')} ${statusOf('gw-a', [A1!.id])}`,
      `${tele(A1)} {"n":"end"}`,
      `${tele(A1)} {"n":1}`,
    ].sort())
    // the unscoped monitor still got the whole lists: the cut copy did not change the shared packet
    expect(all).toContain(`${gatewayStatusTopic('gw-a')} ${statusOf('gw-a', [A1!.id, A2!.id])}`)
    expect(all).toContain(`${gatewayAlarmTopic('gw-a')} {"v":1,"type":"gateway_offline","elevators":["${A1!.id}","${A2!.id}"]}`)
    // withheld: gw-b's status and A2's availability (retained), A2's and B1's telemetry
    expect(fx.host.stats().scopeFiltered).toBe(4)
  })

  it('refuses a filter naming another county, and allows its own county', async () => {
    fx = await start()
    const twn = keep(await connect(fx.url, { clientId: 'twn-a', username: 'twn-a', password: TWN_PASSWORD }))
    // mqtt.js rejects when any return code is 0x80, with the SUBACK attached
    const granted = await twn.subscribeAsync(['lift/v1/330902/#', 'lift/v1/330922/#', 'lift/v1/gateways/+/status'], { qos: 1 })
      .then((gs) => gs.map((g) => g.qos), (err: { packet?: { granted: number[] } }) => {
        if (!err.packet) throw err
        return err.packet.granted
      })
    expect(granted).toEqual([128, 1, 1])
    expect(fx.host.stats().refused.subscribe).toEqual({ 'twn-a': { 'outside-scope': 1 } })
  })

  it('mosquitto_sub as the scoped monitor prints only its township', async () => {
    fx = await start()
    const gwA = keep(await gateway(fx.url, 'gw-a'))
    const gwB = keep(await gateway(fx.url, 'gw-b'))
    await gwA.publishAsync(gatewayStatusTopic('gw-a'), statusOf('gw-a', [A1!.id, A2!.id]), { qos: 1, retain: true })
    await gwB.publishAsync(gatewayStatusTopic('gw-b'), statusOf('gw-b', [B1!.id]), { qos: 1, retain: true })

    const args = ['-h', '127.0.0.1', '-p', String(fx.ports.tcp), '-u', 'twn-a', '-P', TWN_PASSWORD, '-i', 'twn-a:sub', '-q', '1', '-v', '-t', 'lift/v1/#']
    const proc = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    cleanups.push(() => proc.kill('SIGTERM'))
    const lines: string[] = []
    let buf = ''
    proc.stdout.on('data', (d: Buffer) => {
      const parts = (buf + d.toString()).split('\n')
      buf = parts.pop()!
      lines.push(...parts)
    })
    // the retained status arrives once the subscription is in place; live messages follow
    await until(() => lines.length >= 1, 'the retained status of gw-a')
    await gwB.publishAsync(tele(B1), '{"n":3}', { qos: 1 })
    await gwA.publishAsync(tele(A2), '{"n":2}', { qos: 1 })
    await gwA.publishAsync(tele(A1), '{"n":1}', { qos: 1 })
    await until(() => lines.length >= 2, 'the telemetry of A1')
    expect(lines).toEqual([`${gatewayStatusTopic('gw-a')} ${statusOf('gw-a', [A1!.id])}`, `${tele(A1)} {"n":1}`])
  })
})
