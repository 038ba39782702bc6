// Issue 10, "Time": a gateway whose clock is off must not change what the broker detects. A real
// broker (aedes, ingest, detectors, SQLite, HTTP) runs on a virtual clock; a real mqtt.js client
// with gw-a's credentials publishes v1 telemetry as a gateway would — ts 5 min ahead, a clock
// stepped back 3 min, one message dated a year ahead — and a passenger is trapped after. Each run
// must raise what the same minutes raise from a gateway in step with the broker, at the same
// broker times: no communication_lost on connect, no floor_lost, the entrapment on time.
import { afterEach, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import mqtt, { type MqttClient } from 'mqtt'
import pino from 'pino'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { availabilityTopic, filters, gatewayStatusTopic, telemetryTopic, type AlarmEvent, type Telemetry } from '../../protocol/index.ts'
import { Broker } from '../../broker/app.ts'
import { parseBrokerConfig } from '../../broker/config.ts'
import { seedAccounts, TEST_ADMIN } from '../helpers/accounts.ts'
import { login } from '../helpers/http-login.ts'
import { A1, A2, PASSWORDS, brokerConfigData, tempDir } from './mqtt/fixtures.ts'
import { sampleTelemetry } from '../protocol/fixtures.ts'
import { collector } from '../helpers/broker.ts'

const S = 1000
const MIN = 60 * S
const YEAR = 365 * 24 * 60 * MIN
/** the broker's clock when the test starts: 2026-03-02 09:00 China Standard Time */
const T0 = Date.UTC(2026, 2, 2, 1)

/** The broker's clock: virtual, starting at T0, moved on by the test. */
class BrokerClock extends VirtualTimeScheduler {
  constructor() {
    super(VirtualAction, Infinity)
    this.frame = T0
  }

  advanceTo(t: number): void {
    this.maxFrames = t
    this.flush()
    this.frame = t
  }
}

const IDLE: Partial<Telemetry> = { floor: '1', floorIndex: 1, position: 4, doorZone: true, door: 'closed', moving: false, speed: 0, occupied: false }
const RISING: Partial<Telemetry> = { floor: '1', floorIndex: 1, position: 5.2, doorZone: false, door: 'closed', moving: true, speed: 1, direction: 'up', occupied: true }
// stopped between floors 2 and 3 (registry: B1, 1, 2, 3 at 4 m), door closed, a passenger inside
const TRAPPED: Partial<Telemetry> = { floor: '2', floorIndex: 2, position: 9.6, doorZone: false, door: 'closed', moving: false, speed: 0, direction: 'none', occupied: true }
const TRAP_AT = 63 * S

/** The gateway's clock error (ms, + = ahead) at broker time `t` after T0, for message `n` of elevator `id`. */
type Skew = (t: number, id: string, n: number) => number

/** Debian's mosquitto_pub as gw-a (a second client id of its user): an MQTT client nobody here wrote; exits after the PUBACK. */
const mosquittoPub = (port: number, topic: string, payload: string) => promisify(execFile)('mosquitto_pub',
  ['-h', '127.0.0.1', '-p', String(port), '-i', 'gw-a:pub', '-u', 'gw-a', '-P', PASSWORDS['gw-a'], '-q', '1', '-t', topic, '-m', payload])

interface Run { alarms: AlarmEvent[]; metrics: string; ingest: Record<string, number>; monitor: Awaited<ReturnType<typeof collector>> }

const runs: { broker: Broker; gw: MqttClient; monitor: Run['monitor'] }[] = []
afterEach(async () => {
  for (const r of runs.splice(0)) {
    await r.gw.endAsync(true)
    await r.monitor.close()
    await r.broker.stop()
  }
})

/**
 * Two minutes of gw-a: connect, status and availability online, heartbeats every 10 s for A1 and
 * A2; A1 rises from floor 1 at 60 s and stops trapped between floors at 63 s.
 */
async function run(skew: Skew, byMosquitto: (t: number, id: string) => boolean = () => false): Promise<Run> {
  const dir = tempDir()
  const clock = new BrokerClock()
  const cfg = parseBrokerConfig(await brokerConfigData(dir))
  await seedAccounts(cfg.accounts.path)
  const broker = new Broker(cfg, pino({ level: 'silent' }), { scheduler: clock })
  const ports = await broker.start()
  const port = ports.mqtt.tcp!
  const url = `mqtt://127.0.0.1:${port}`
  // the monitoring centre's subscriber, as an MQTT client with the monitor role
  const monitor = await collector(url, [filters.alarms], { username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
  const gw = await mqtt.connectAsync(url, { username: 'gw-a', password: PASSWORDS['gw-a'], clientId: 'gw-a', reconnectPeriod: 0 })
  runs.push({ broker, gw, monitor })
  const seqs = new Map<string, number>()
  const gatewayTs = (t: number, id: string) => T0 + t + skew(t, id, seqs.get(id) ?? 0)
  // QoS 1: ingest has handled a message when its PUBACK is back
  const publish = (topic: string, body: object, retain = false) => gw.publishAsync(topic, JSON.stringify(body), { qos: 1, retain })
  const send = async (t: number, e: typeof A1, state: Partial<Telemetry>, reason: Telemetry['reason']) => {
    const seq = seqs.get(e.id) ?? 0
    const msg = sampleTelemetry({ ...state, ts: gatewayTs(t, e.id), seq, boot: 'b1', gateway: 'gw-a', reason })
    if (byMosquitto(t, e.id)) await mosquittoPub(port, telemetryTopic(e.region, e.id), JSON.stringify(msg))
    else await publish(telemetryTopic(e.region, e.id), msg)
    seqs.set(e.id, seq + 1)
  }

  await publish(gatewayStatusTopic('gw-a'), { v: 1, state: 'online', boot: 'b1', elevators: [A1.id, A2.id] }, true)
  for (const e of [A1, A2]) await publish(availabilityTopic(e.region, e.id), { v: 1, ts: gatewayTs(0, e.id), state: 'online', gateway: 'gw-a' }, true)
  const a1 = (t: number): [Partial<Telemetry>, Telemetry['reason']] =>
    t < 60 * S ? [IDLE, t === 0 ? 'change' : 'heartbeat'] : t === 60 * S ? [RISING, 'change'] : t === TRAP_AT ? [TRAPPED, 'change'] : [TRAPPED, 'heartbeat']
  const times = [...Array.from({ length: 13 }, (_, k) => k * 10 * S), TRAP_AT].sort((a, b) => a - b)
  for (const t of times) {
    clock.advanceTo(T0 + t)
    await send(t, A1, ...a1(t))
    if (t % (10 * S) === 0) await send(t, A2, IDLE, t === 0 ? 'change' : 'heartbeat')
  }
  clock.advanceTo(T0 + 125 * S)
  const http = `http://127.0.0.1:${ports.http}`
  const admin = await login(http, TEST_ADMIN.username, TEST_ADMIN.password)
  const alarms = (await admin.json<{ alarms: AlarmEvent[] }>('/api/alarms?state=all&limit=100')).alarms
  const metrics = await (await admin.get('/metrics')).text()
  const ingest: Record<string, number> = {}
  for (const m of metrics.matchAll(/^liftwatch_broker_ingest\{gateway="gw-a",stat="(\w+)"\} (\S+)$/gm)) ingest[m[1]!] = Number(m[2])
  return { alarms, metrics, ingest, monitor }
}

/** What a desk sees of each alarm: type, elevator, start and detection on the broker's clock, relative to T0. */
const seen = (alarms: AlarmEvent[]) =>
  alarms.map((a) => ({ type: a.type, elevatorId: a.elevatorId, state: a.state, raisedAt: a.raisedAt - T0, detectedAt: a.detectedAt === undefined ? undefined : a.detectedAt - T0 }))
    .sort((x, y) => x.raisedAt - y.raisedAt || x.type.localeCompare(y.type))

let referenceRun: Promise<ReturnType<typeof seen>> | undefined
/** the alarms of the in-step run, run once */
const reference = () => (referenceRun ??= run(() => 0).then((r) => seen(r.alarms)))

describe('a gateway clock that is off', () => {
  it('an in-step gateway: the entrapment at 63 s, raised 15 s later; the reference for the others', async () => {
    const { alarms, ingest } = await run(() => 0)
    const trap = alarms.find((a) => a.type === 'entrapment')
    expect(trap).toMatchObject({ elevatorId: A1.id, state: 'raised', raisedAt: T0 + TRAP_AT, detectedAt: T0 + TRAP_AT + 15 * S })
    expect(alarms.filter((a) => a.type === 'communication_lost' || a.type === 'floor_lost')).toEqual([])
    expect(ingest).toMatchObject({ accepted: 30, late: 0, skewed: 0, retimed: 0, clockSteps: 0, tooOld: 0, clockOffsetSeconds: 0 })
  }, 30_000)

  it('5 min ahead: no communication_lost on connect, the entrapment began at 63 s broker time (not in the future), skew shown', async () => {
    const { alarms, metrics, ingest, monitor } = await run(() => 5 * MIN)
    expect(seen(alarms)).toEqual(await reference())
    const trap = alarms.find((a) => a.type === 'entrapment')!
    expect(Math.abs(trap.raisedAt - (T0 + TRAP_AT))).toBeLessThan(S)
    // what the gateway said, next to what the broker trusts; the same over MQTT
    expect(trap.gatewayRaisedAt).toBe(T0 + TRAP_AT + 5 * MIN)
    await monitor.waitFor((ms) => ms.some((m) => m.json.type === 'entrapment'))
    expect(monitor.messages.find((m) => m.json.type === 'entrapment')!.json).toMatchObject({
      raisedAt: T0 + TRAP_AT, detectedAt: T0 + TRAP_AT + 15 * S, gatewayRaisedAt: T0 + TRAP_AT + 5 * MIN,
    })
    // every message counted as skewed; none re-timed: the offset is steady
    expect(ingest).toMatchObject({ accepted: 30, late: 0, skewed: 29, retimed: 0, clockSteps: 0, clockOffsetSeconds: 300 })
    expect(metrics).toMatch(/^liftwatch_broker_gateway_clock_offset_seconds\{gateway="gw-a"\} 300$/m)
  }, 30_000)

  it('stepped back 3 min (NTP): fresh samples are not late; no communication_lost or floor_lost; the entrapment on time', async () => {
    const { alarms, ingest } = await run((t) => (t >= 30 * S ? -3 * MIN : 0))
    expect(seen(alarms)).toEqual(await reference())
    expect(ingest).toMatchObject({ accepted: 30, late: 0, clockSteps: 1, clockOffsetSeconds: -180 })
    // re-timed to the broker's receipt until the step was confirmed
    expect(ingest.retimed).toBeGreaterThan(0)
    expect(ingest.retimed).toBeLessThanOrEqual(3)
  }, 30_000)

  it('one message a year ahead: detection goes on; the trapped passenger after it raises the entrapment', async () => {
    const bad = (t: number, id: string) => t === 40 * S && id === A1.id
    // the bad message comes through mosquitto_pub
    const { alarms, ingest } = await run((t, id) => (bad(t, id) ? YEAR : 0), bad)
    expect(seen(alarms)).toEqual(await reference())
    expect(alarms.filter((a) => a.type === 'entrapment')).toHaveLength(1)
    expect(ingest).toMatchObject({ accepted: 30, late: 0, retimed: 1, clockSteps: 0, clockOffsetSeconds: 0 })
  }, 30_000)
})
