// A broker restarted on the data of a run that stopped with an entrapment active (Ctrl-C of the
// demo during a trap, then `npm start` again). The product rule: an alarm the previous run left
// active is taken over under its id and judged on the first fresh telemetry; when that shows the
// condition over, it clears at once (no clear hold) with `afterRestart` in the clear's evidence,
// and a new occurrence raises a new alarm, on the page and over MQTT — not swallowed as a
// continuation of the old one. Real broker (MQTT, SQLite, HTTP) on OS-picked ports, twice on one dir.
import { afterEach, describe, expect, it } from 'vitest'
import mqtt, { type MqttClient } from 'mqtt'
import pino from 'pino'
import { filters, telemetryTopic, type AlarmEvent, type Telemetry } from '../../protocol/index.ts'
import { Broker } from '../../broker/app.ts'
import { parseBrokerConfig } from '../../broker/config.ts'
import { A1, PASSWORDS, brokerConfigData, tempDir } from './mqtt/fixtures.ts'
import { sampleTelemetry } from '../protocol/fixtures.ts'
import { seedAccounts, TEST_ADMIN } from '../helpers/accounts.ts'
import { login, type HttpSession } from '../helpers/http-login.ts'

const TRAPPED: Partial<Telemetry> = { floor: '2', floorIndex: 2, position: 5.4, doorZone: false, door: 'closed', moving: false, occupied: true }
const EMPTY_AT_LANDING: Partial<Telemetry> = { floor: '1', floorIndex: 1, position: 4, doorZone: true, door: 'closed', moving: false, occupied: false }

interface Run { broker: Broker; admin: HttpSession; gateway: MqttClient; monitor: MqttClient; seen: AlarmEvent[] }

async function startRun(dir: string, boot: string): Promise<Run & { send(state: Partial<Telemetry>): void }> {
  const cfg = parseBrokerConfig(await brokerConfigData(dir, {
    // a trap is an alarm after 1 s instead of 15 s, so the test waits seconds
    detectors: { detectors: { entrapment: { outsideDoorZoneMs: 1000 } } },
  }))
  await seedAccounts(cfg.accounts.path)
  const broker = new Broker(cfg, pino({ level: 'silent' }))
  const ports = await broker.start()
  const admin = await login(`http://127.0.0.1:${ports.http}`, TEST_ADMIN.username, TEST_ADMIN.password)
  const url = `mqtt://127.0.0.1:${ports.mqtt.tcp}`
  const monitor = await mqtt.connectAsync(url, { username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
  const seen: AlarmEvent[] = []
  monitor.on('message', (_t, p) => seen.push(JSON.parse(p.toString()) as AlarmEvent))
  await monitor.subscribeAsync(filters.alarms, { qos: 1 })
  const gateway = await mqtt.connectAsync(url, { username: 'gw-a', password: PASSWORDS['gw-a'], clientId: 'gw-a', reconnectPeriod: 0 })
  let seq = 0
  const send = (state: Partial<Telemetry>) => {
    const msg = sampleTelemetry({ ...state, ts: Date.now(), seq: seq++, boot, gateway: 'gw-a' })
    void gateway.publishAsync(telemetryTopic(A1.region, A1.id), JSON.stringify(msg), { qos: 1 })
  }
  return { broker, admin, gateway, monitor, seen, send }
}

async function stopRun(r: Run): Promise<void> {
  await r.gateway.endAsync()
  await r.monitor.endAsync()
  await r.broker.stop()
}

const entrapments = async (admin: HttpSession): Promise<AlarmEvent[]> =>
  (await admin.json<{ alarms: AlarmEvent[] }>(`/api/alarms?elevator=${A1.id}&limit=100`)).alarms
    .filter((a) => a.type === 'entrapment')

/** Sends `state` every 200 ms until `done` holds (or 10 s). */
async function holdUntil(run: { send(s: Partial<Telemetry>): void }, state: Partial<Telemetry>, done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    run.send(state)
    if (await done()) return
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`not done within 10 s sending ${JSON.stringify(state)}`)
}

/** The monitor client has received an event of alarm `id` (or 5 s passed). */
async function heard(run: Run, id: string): Promise<void> {
  for (let i = 0; i < 50 && !run.seen.some((e) => e.id === id); i++) await new Promise((r) => setTimeout(r, 100))
}

describe('a broker restarted on old data', () => {
  const runs: Run[] = []
  afterEach(async () => { for (const r of runs.splice(0)) await stopRun(r) })

  it('clears a stale entrapment on fresh data and raises the next one as a new alarm', async () => {
    const dir = tempDir()
    const first = await startRun(dir, 'boot-1')
    runs.push(first)
    await holdUntil(first, TRAPPED, async () => (await entrapments(first.admin)).some((a) => a.state === 'raised'))
    const [old] = await entrapments(first.admin)
    await stopRun(runs.pop()!)

    const second = await startRun(dir, 'boot-2')
    runs.push(second)
    // taken over: still the last word on this car until fresh data says otherwise
    expect((await entrapments(second.admin)).map((a) => [a.id, a.state])).toEqual([[old!.id, 'raised']])
    // fresh data: the car stands empty at a landing
    await holdUntil(second, EMPTY_AT_LANDING, async () => (await entrapments(second.admin)).every((a) => a.state === 'cleared'))
    const cleared = (await entrapments(second.admin))[0]!
    expect(cleared.id).toBe(old!.id)
    expect((cleared.evidence.cleared as Record<string, unknown>).afterRestart).toBe(true)
    await heard(second, old!.id)
    expect(second.seen.filter((e) => e.id === old!.id).map((e) => e.state)).toEqual(['cleared'])

    // a new passenger trapped right after: a new alarm, not the old one flapping
    await holdUntil(second, TRAPPED, async () => (await entrapments(second.admin)).some((a) => a.state === 'raised'))
    const now = (await entrapments(second.admin)).filter((a) => a.state === 'raised')
    expect(now).toHaveLength(1)
    expect(now[0]!.id).not.toBe(old!.id)
    expect(now[0]!.flapping).toBeUndefined()
    await heard(second, now[0]!.id)
    expect(second.seen.filter((e) => e.id === now[0]!.id).map((e) => e.state)).toEqual(['raised'])
  }, 60_000)
})
