// Issue 12's crash acceptance: the broker killed with SIGKILL in the middle of an incident, while one
// message is still failing at its receiver and the level-2 escalation is pending. Restarted after
// the escalation came due: the incident, the pending escalation and the outbox survived — the
// escalation fires once, at once; the failed message is delivered once; nothing delivered before the
// kill is sent again. Real broker processes (liftwatch broker), real MQTT, real HTTP receivers.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt, { type MqttClient } from 'mqtt'
import { stringify } from 'yaml'
import { telemetryTopic, type Telemetry } from '../../../protocol/index.ts'
import type { Incident } from '../../../response/index.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import { Receivers } from '../../../simulators/notify/receivers.ts'
import { startCli, type Cli } from '../../helpers/cli.ts'
import { freePort } from '../../helpers/ports.ts'
import { sampleTelemetry } from '../../protocol/fixtures.ts'
import { elevator, partiesFor, REGION, ROBOT, writePolicies } from './county.ts'

const LIFT = '31103309222024010001'
const LEVEL2_S = 15
const TRAPPED: Partial<Telemetry> = { floor: '3', floorIndex: 3, position: 9.4, doorZone: false, door: 'closed', moving: false, occupied: true }

describe('the broker killed mid-incident', () => {
  const recv = new Receivers()
  const brokers: Cli[] = []
  let gateway: MqttClient | undefined
  let beat: NodeJS.Timeout | undefined
  afterAll(async () => {
    clearInterval(beat)
    await gateway?.endAsync(true)
    for (const b of brokers) await b.stop('SIGKILL')
    await recv.stop()
  })

  it('keeps the incident, the pending escalation and the outbox: the escalation fires once, at once when overdue', async () => {
    await recv.start()
    const dir = mkdtempSync(join(tmpdir(), 'lw-kill-'))
    writeFileSync(join(dir, 'parties.yaml'), stringify(partiesFor(recv, [LIFT])))
    writePolicies(dir, LEVEL2_S / 60, 5)
    const port = await freePort()
    const config = join(dir, 'broker.yaml')
    writeFileSync(config, stringify({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port } }, users: { 'gw-k': { role: 'gateway', hash: await hashPassword('gw-k-pw', { N: 1024, r: 8, p: 1 }) } } },
      http: { host: '127.0.0.1', port: 0 },
      registry: { elevators: [elevator(LIFT, 1, 'gw-k')] },
      parties: { path: 'parties.yaml' },
      alarms: { path: join(dir, 'alarms.db') },
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: 1000 } } },
      response: { policies: 'policies.yaml', linkBase: 'http://127.0.0.1:9', retry: { minSeconds: 2, maxSeconds: 3 } },
    }))
    const start = async () => {
      const b = startCli(['broker', '--config', config])
      brokers.push(b)
      await b.waitFor('broker started', 30_000)
      return b
    }
    const first = await start()

    // the steward's robot fails its first answer: that message is still in the outbox at the kill
    recv.program(ROBOT.steward, [{ status: 500 }, { status: 500 }, { status: 500 }])
    gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'gw-k', password: 'gw-k-pw', clientId: 'gw-k', reconnectPeriod: 300 })
    let seq = 0
    const send = () => { if (gateway?.connected) void gateway.publishAsync(telemetryTopic(REGION, LIFT), JSON.stringify(sampleTelemetry({ ...TRAPPED, ts: Date.now(), seq: ++seq, boot: 'boot-k', gateway: 'gw-k' })), { qos: 1 }).catch(() => undefined) }
    send()
    beat = setInterval(send, 500)

    const atOnce = [ROBOT.maintenance, ROBOT.property, ROBOT.desk]
    const firsts = await Promise.all(atOnce.map((id) => recv.waitFor((r) => r.endpointId === id, 15_000)))
    const alarmAt = Math.min(...firsts.map((r) => r.at))
    // let the steward's first attempt fail, then kill before its retry (2–3 s later)
    await new Promise((r) => setTimeout(r, 600))
    expect(recv.received.some((r) => r.endpointId === ROBOT.steward)).toBe(false)
    await first.stop('SIGKILL')
    const killedAt = Date.now()
    expect(killedAt - alarmAt).toBeLessThan(LEVEL2_S * 1000)

    // dead past the escalation's due time
    const due = alarmAt + LEVEL2_S * 1000
    await new Promise((r) => setTimeout(r, Math.max(0, due + 1500 - Date.now())))
    expect(recv.received.some((r) => r.endpointId === ROBOT.township)).toBe(false)
    await start()
    const restartedAt = Date.now()
    const level2 = await recv.waitFor((r) => r.endpointId === ROBOT.township, 15_000)
    // overdue: at once after the restart (the store opens, the wake fires, the robot answers)
    expect(level2.at - restartedAt).toBeLessThan(5000)
    expect(level2.text).toContain('升级')
    await recv.waitFor((r) => r.endpointId === ROBOT.steward, 15_000)
    // no second escalation and nothing resent: wait past two retry periods
    await new Promise((r) => setTimeout(r, 4000))
    const count = (id: string) => recv.received.filter((r) => r.endpointId === id).length
    expect({ maintenance: count(ROBOT.maintenance), property: count(ROBOT.property), desk: count(ROBOT.desk), steward: count(ROBOT.steward), township: count(ROBOT.township) })
      .toEqual({ maintenance: 1, property: 1, desk: 1, steward: 1, township: 1 })

    await brokers.at(-1)!.stop('SIGTERM')
    const db = new Database(join(dir, 'response.db'), { readonly: true })
    const rows = db.prepare('SELECT data FROM incidents').all() as { data: string }[]
    const outbox = db.prepare('SELECT endpoint_id, state, attempts FROM outbox ORDER BY created_at').all() as { endpoint_id: string; state: string; attempts: number }[]
    db.close()
    expect(rows).toHaveLength(1)
    const inc = JSON.parse(rows[0]!.data) as Incident
    expect(inc.state).toBe('01')
    const level2Notices = inc.timeline.filter((e) => e.kind === 'notify' && e.step === 'level2')
    expect(level2Notices.map((e) => e.kind === 'notify' && e.role).sort()).toEqual(['grid', 'township'])
    // the grid worker and the officer share the township's group: one message for both
    expect(outbox.filter((o) => o.endpoint_id === ROBOT.township)).toHaveLength(1)
    expect(outbox.every((o) => o.state === 'delivered')).toBe(true)
    // the steward's message: attempts before and after the kill, each one in the timeline
    const steward = outbox.find((o) => o.endpoint_id === ROBOT.steward)!
    expect(steward.attempts).toBeGreaterThanOrEqual(2)
    const deliveries = inc.timeline.filter((e) => e.kind === 'delivery')
    expect(deliveries.length).toBe(outbox.reduce((n, o) => n + o.attempts, 0))
  }, 90_000)
})
