// Issue 10, "Gateways": offline statuses from timed-out connections must not reach monitors after
// the gateway's "online". A gateway whose connection timed out on its side reconnects at once; the
// broker learns of the old connection's end later and publishes its last will — "offline" after
// the new connection's "online", retained, while the gateway is up. A real MqttHost, mqtt.js
// gateways, and Debian's mosquitto_sub as the monitor.
import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import type { MqttClient } from 'mqtt'
import type { ClientPublish } from '../../../broker/mqtt/host.ts'
import { run } from '../../helpers/cli.ts'
import { until } from '../../gateway/outbox/fixtures.ts'
import { A1, PASSWORDS, gateway, startHost, status, telemetry, type HostFixture } from './fixtures.ts'

let fx: HostFixture | undefined
const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  await fx?.stop()
  fx = undefined
})

const STATUS = status('gw-a', 'online').topic
const WILL = { topic: STATUS, payload: status('gw-a', 'offline').payload, qos: 1 as const, retain: true }

/** mosquitto_sub as the monitoring centre: every `topic payload` line it prints. */
async function monitor(port: number, topics: string[]): Promise<{ lines: string[]; proc: ChildProcess }> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-u', 'ops', '-P', PASSWORDS.ops, '-i', 'ops:monitor', '-q', '1', '-v', '-d', ...topics.flatMap((t) => ['-t', t])]
  // stdbuf: line by line into the pipe, as it would print to a terminal
  const proc = spawn('stdbuf', ['-oL', 'mosquitto_sub', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  cleanups.push(() => proc.kill('SIGTERM'))
  const lines: string[] = []
  let subscribed = false
  let buf = ''
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString()
    const parts = buf.split('\n')
    buf = parts.pop()!
    for (const l of parts) {
      // -d prints the protocol exchange: the SUBACK says the subscription is in place
      if (l.startsWith('Client ops:monitor received SUBACK')) subscribed = true
      else if (l.startsWith('lift/')) lines.push(l)
    }
  })
  await new Promise<void>((resolve, reject) => {
    proc.once('error', (err) => reject(new Error(`mosquitto_sub could not start (apt-get install mosquitto-clients): ${err.message}`)))
    void until(() => subscribed, 'mosquitto_sub subscribed').then(resolve, reject)
  })
  return { lines, proc }
}

/** The retained status a monitor connecting now is given. */
async function retainedStatus(port: number): Promise<string> {
  const r = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-u', 'ops', '-P', PASSWORDS.ops, '-i', 'ops:late', '-t', STATUS, '-C', '1', '-W', '5'])
  return r.stdout.trim()
}

const keep = (c: MqttClient) => (cleanups.push(() => c.endAsync(true)), c)
const states = (lines: string[]) => lines.filter((l) => l.startsWith(`${STATUS} `)).map((l) => (JSON.parse(l.slice(STATUS.length + 1)) as { state: string }).state)

describe('gateway status order', () => {
  it('drops the last will of a connection the gateway already replaced (another client id): not forwarded, not retained, not ingested', async () => {
    const ingested: ClientPublish[] = []
    fx = await startHost({ onPublish: (m) => (ingested.push(m), true) })
    const mon = await monitor(fx.ports.tcp!, [STATUS, telemetry(A1).topic])
    // the first connection; then the gateway gives up on it (its pings went unanswered) and reconnects
    const old = keep(await gateway(fx.url, 'gw-a', { clientId: 'gw-a:1', will: WILL, keepalive: 60 }))
    await old.publishAsync(STATUS, status('gw-a', 'online').payload, { qos: 1, retain: true })
    const now = keep(await gateway(fx.url, 'gw-a', { clientId: 'gw-a:2', will: WILL, keepalive: 60 }))
    await now.publishAsync(STATUS, status('gw-a', 'online').payload, { qos: 1, retain: true })
    await until(() => states(mon.lines).length === 2, 'both online statuses at the monitor')
    // the broker learns only now that the old connection is gone: its will fires
    const clients = fx.host.stats().clients
    old.stream.destroy()
    await until(() => fx!.host.stats().clients === clients - 1, 'the old connection closed at the broker')
    // anything published after the will reaches the monitor after it
    const tel = telemetry(A1, { seq: 1 })
    await now.publishAsync(tel.topic, tel.payload, { qos: 1 })
    await until(() => mon.lines.some((l) => l.startsWith(tel.topic)), 'the telemetry at the monitor')

    expect(states(mon.lines)).toEqual(['online', 'online'])
    expect(await retainedStatus(fx.ports.tcp!)).toBe(`${status('gw-a', 'online').payload}`)
    expect(ingested.filter((m) => m.topic === STATUS).map((m) => JSON.parse(m.payload.toString()).state)).toEqual(['online', 'online'])
    expect(fx.host.stats()).toMatchObject({ staleStatuses: 1 })
    // the gateway's own end still says offline
    now.stream.destroy()
    await until(() => states(mon.lines).length === 3, 'the current connection\'s will')
    expect(states(mon.lines)).toEqual(['online', 'online', 'offline'])
    expect(await retainedStatus(fx.ports.tcp!)).toBe(WILL.payload)
  })

  it('a reconnect under the same client id takes the session over without an offline in between', async () => {
    fx = await startHost()
    const mon = await monitor(fx.ports.tcp!, [STATUS])
    const old = keep(await gateway(fx.url, 'gw-a', { will: WILL, keepalive: 60 }))
    await old.publishAsync(STATUS, status('gw-a', 'online').payload, { qos: 1, retain: true })
    await until(() => states(mon.lines).length === 1, 'online at the monitor')
    // the old socket is still open at the broker when the new connection arrives ([MQTT-3.1.4-2] takeover)
    const now = keep(await gateway(fx.url, 'gw-a', { will: WILL, keepalive: 60 }))
    await now.publishAsync(STATUS, status('gw-a', 'online').payload, { qos: 1, retain: true })
    await until(() => states(mon.lines).at(-1) === 'online' && states(mon.lines).length >= 2, 'the new online at the monitor')
    expect(states(mon.lines)).toEqual(['online', 'online'])
    expect(await retainedStatus(fx.ports.tcp!)).toBe(status('gw-a', 'online').payload)
  })
})
