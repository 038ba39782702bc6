// Issue 12's outage acceptance, through the real service, outbox, dispatcher and channels to real
// HTTP receivers (simulators/notify/receivers.ts), in virtual time: the maintenance unit's WeCom robot
// answers HTTP 500 for 5 minutes and then errcode 45009 (rate limited) for 5 more while three
// entrapments come in and the chain keeps reminding. Afterwards every message is delivered, none
// twice (the robot received exactly one request per outbox row), in order, and every attempt is in
// its incident's timeline.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import type { AlarmEvent } from '../../../protocol/index.ts'
import { DEFAULT_POLICY } from '../../../response/index.ts'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { IncidentService } from '../../../broker/incidents/service.ts'
import { Outbox } from '../../../broker/notify/outbox.ts'
import { Dispatcher } from '../../../broker/notify/dispatcher.ts'
import { createSend, resolveEndpoint } from '../../../broker/notify/channels/index.ts'
import { parseParties } from '../../../broker/parties/directory.ts'
import { parseRegistry } from '../../../broker/registry/registry.ts'
import type { Principal } from '../../../broker/accounts/scope.ts'
import { Receivers } from '../../../simulators/notify/receivers.ts'
import { elevator, partiesFor, ROBOT } from './county.ts'

const T0 = Date.UTC(2026, 10, 3, 1) // 09:00 in the county
const MIN = 60_000
const IDS = ['31103309222024010001', '31103309222024010002', '31103309222024010003']
const COUNTY: Principal = { userId: 1, username: 'desk', name: 'desk', role: 'desk', scope: { region: '330922' }, via: 'session' }

const entrapment = (elevatorId: string, at: number): AlarmEvent => ({
  v: 1, id: `alarm-${elevatorId.slice(-4)}`, key: `${elevatorId}:entrapment`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
  elevatorId, region: '330922', raisedAt: at - 30_000, detectedAt: at, clearedAt: null, evidence: {}, drill: false,
})

describe('a robot failing for 10 minutes', () => {
  const s = new VirtualTimeScheduler(VirtualAction, Infinity)
  s.frame = T0
  const recv = new Receivers({ now: () => s.now() })
  let dispatcher: Dispatcher | undefined
  afterAll(async () => {
    await dispatcher?.stop()
    await recv.stop()
  })

  it('delivers every message afterwards, none twice, each attempt in the timeline', async () => {
    await recv.start()
    const registry = parseRegistry({ elevators: IDS.map((id, i) => elevator(id, i + 1, 'gw-1')) })
    const dir = parseParties(partiesFor(recv, IDS))
    const db = openResponseDb(join(mkdtempSync(join(tmpdir(), 'lw-robot-outage-')), 'response.db'))
    const outbox = new Outbox(db)
    const log = pino({ level: 'silent' })
    const service = new IncidentService({
      db, registry, parties: () => dir, policies: { policies: [DEFAULT_POLICY] }, scheduler: s, log, outbox,
      kick: () => dispatcher!.kick(), linkBase: 'http://127.0.0.1:9',
    })
    dispatcher = new Dispatcher({
      outbox, send: createSend({ now: () => s.now(), timeoutMs: 2000 }), scheduler: s, log, random: () => 0.5,
      endpoint: (id) => { const ep = dir.endpoint(id); const r = ep && resolveEndpoint(ep, {}); return r && !('problem' in r) ? r : undefined },
      onAttempt: (r) => service.onAttempt(r),
    })
    service.start()
    dispatcher.start()
    // runs virtual time to `t`, one due instant at a time, the real HTTP sends settled in between
    const runTo = async (t: number) => {
      for (;;) {
        for (let i = 0; i < 3; i++) { await new Promise((r) => setImmediate(r)); await dispatcher!.idle() }
        const next = s.actions[0]
        if (!next || next.delay > t) break
        s.maxFrames = next.delay
        s.flush()
      }
      s.maxFrames = Infinity
      s.frame = Math.max(s.frame, t)
    }

    recv.programFor(ROBOT.maintenance, T0 + 5 * MIN, { status: 500 })
    service.onAlarm(entrapment(IDS[0]!, T0))
    await runTo(T0 + 2 * MIN + 30_000)
    service.onAlarm(entrapment(IDS[1]!, s.now()))
    await runTo(T0 + 5 * MIN)
    recv.programFor(ROBOT.maintenance, T0 + 10 * MIN, { errcode: 45009 })
    service.onAlarm(entrapment(IDS[2]!, s.now()))
    await runTo(T0 + 10 * MIN)
    const robotDuringOutage = recv.received.filter((r) => r.endpointId === ROBOT.maintenance).length
    expect(robotDuringOutage).toBe(0)
    // the other receivers were not held up by the failing robot
    expect(recv.received.filter((r) => r.endpointId === ROBOT.desk).length).toBeGreaterThanOrEqual(3)
    await runTo(T0 + 20 * MIN)

    const rows = IDS.flatMap((id) => service.list({ elevatorId: id }, COUNTY)).flatMap((sum) => outbox.forIncident(sum.id))
    const robotRows = rows.filter((r) => r.endpointId === ROBOT.maintenance)
    expect(robotRows.length).toBeGreaterThanOrEqual(3 + 3) // three first notices and their reminders
    expect(robotRows.every((r) => r.state === 'delivered')).toBe(true)
    // none twice: one request reached the robot per row, in the order they were written
    const got = recv.received.filter((r) => r.endpointId === ROBOT.maintenance)
    expect(got).toHaveLength(robotRows.length)
    const byDelivery = [...robotRows].sort((a, b) => a.deliveredAt! - b.deliveredAt! || a.createdAt - b.createdAt)
    expect(byDelivery.map((r) => r.id)).toEqual([...robotRows].sort((a, b) => a.createdAt - b.createdAt).map((r) => r.id))
    // the first rows tried through both failures: more than one attempt each
    expect(robotRows[0]!.attempts).toBeGreaterThan(2)
    // every attempt of every row is in its incident's timeline, with the robot's answer
    for (const sum of IDS.flatMap((id) => service.list({ elevatorId: id }, COUNTY))) {
      const inc = service.get(sum.id, COUNTY)!.incident
      const attempts = outbox.forIncident(sum.id).reduce((n, r) => n + r.attempts, 0)
      const deliveries = inc.timeline.filter((e) => e.kind === 'delivery')
      expect(deliveries).toHaveLength(attempts)
      if (sum.elevatorId === IDS[0]) {
        expect(deliveries.some((e) => e.kind === 'delivery' && !e.ok && e.detail.includes('500'))).toBe(true)
        expect(deliveries.some((e) => e.kind === 'delivery' && !e.ok && e.detail.includes('45009'))).toBe(true)
      }
    }
    // the robot's own limit was kept: never more than 20 in any minute, so it refused nothing
    expect(recv.rejected.filter((r) => r.endpointId === ROBOT.maintenance)).toEqual([])
    db.close()
  }, 60_000)
})
