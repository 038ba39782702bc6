// LiveView over a real SQLite alarm store, and the HTTP API on top of it: what the broker serves
// is what the store holds, acknowledgements included.
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { AlarmStore } from '../../broker/alarms/store.ts'
import { build } from '../../broker/http/app.ts'
import type { LiveEvent } from '../../broker/http/broker-view.ts'
import { parseRegistry } from '../../broker/registry/registry.ts'
import { LiveView } from '../../broker/live-view.ts'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import { sampleTelemetry } from '../protocol/fixtures.ts'
import { AccountStore } from '../../broker/accounts/store.ts'
import { principal } from './http/fixtures.ts'

const E1 = '31103309222018060001'
const E2 = '31103309222018060002'
const T0 = Date.now() - 60_000
const registry = parseRegistry({
  elevators: [E1, E2].map((id, i) => ({
    id, registrationCode: id, rescueCode: `5000${i + 1}`, region: '330922', address: '西屏街道测试路 1 号', landings: 6, ratedSpeed: 1, gatewayId: 'gw-1',
  })),
})

const ADMIN = principal()
const cleanup: (() => void)[] = []
afterEach(() => { for (const f of cleanup.splice(0)) f() })

function setup(keepUntilAcked?: AlarmEvent['severity'][]) {
  const dir = mkdtempSync(join(tmpdir(), 'lw-view-'))
  const store = new AlarmStore(join(dir, 'alarms.db'))
  store.start()
  const view = new LiveView(registry, store, async () => '', () => ({ ok: true, checks: {} }), keepUntilAcked)
  const events: LiveEvent[] = []
  view.live$.subscribe((e) => events.push(e))
  cleanup.push(() => { view.stop(); store.stop(); rmSync(dir, { recursive: true, force: true }) })
  // what Broker.onAlarm does: store, then tell the view what the store now holds
  const raise = (a: AlarmEvent) => view.onAlarm(store.record(a))
  return { store, view, events, raise }
}

const alarm = (over: Partial<AlarmEvent> = {}): AlarmEvent => ({
  v: 1, id: 'A1', key: `${E1}:entrapment`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
  elevatorId: E1, region: '330922', raisedAt: T0, clearedAt: null, evidence: {}, drill: false, ...over,
})

describe('LiveView', () => {
  it('serves alarms with their acknowledgement, elevators with plain events, and the visible list', () => {
    const { view, events, raise } = setup(['critical', 'major'])
    raise(alarm({ flapping: true }))
    raise(alarm({ id: 'P1', key: `${E2}:power_failure`, type: 'power_failure', code: '41', severity: 'major', elevatorId: E2 }))
    raise(alarm({ id: 'P1', key: `${E2}:power_failure`, type: 'power_failure', code: '41', severity: 'major', elevatorId: E2, state: 'cleared', clearedAt: Date.now() }))
    // a repeated raise of a cleared alarm goes out as the store holds it: cleared
    raise(alarm({ id: 'P1', key: `${E2}:power_failure`, type: 'power_failure', code: '41', severity: 'major', elevatorId: E2 }))
    expect(events.at(-1)).toMatchObject({ kind: 'alarm', alarm: { id: 'P1', state: 'cleared', ackState: 'cleared-unacked' } })
    expect(view.elevators(ADMIN).find((e) => e.elevatorId === E1)!.activeAlarms).toEqual([alarm({ flapping: true })])
    expect(view.alarms({ state: 'visible' }, ADMIN).map((a) => [a.id, a.ackState])).toEqual([['A1', 'active-unacked'], ['P1', 'cleared-unacked']])
    expect(view.alarms({ state: 'visible', elevatorId: E1 }, ADMIN).map((a) => a.id)).toEqual(['A1'])
    expect(view.keepUntilAcked).toEqual(['critical', 'major'])
  })

  it("keeps an elevator's current state when history a gateway replays after an outage arrives behind it", () => {
    const { view, events } = setup()
    const tele = (ts: number, reason: Telemetry['reason'], floor: string) => ({
      kind: 'telemetry' as const, elevatorId: E1, region: '330922', gatewayId: 'gw-1', ts,
      msg: sampleTelemetry({ ts, reason, floor, gateway: 'gw-1' }),
    })
    view.onInput(tele(T0 + 600_000, 'heartbeat', '5'))
    view.onInput(tele(T0 + 60_000, 'replay', '2'))
    expect(view.elevators(ADMIN).find((e) => e.elevatorId === E1)!.last).toMatchObject({ floor: '5', reason: 'heartbeat' })
    expect(events.filter((e) => e.kind === 'state').map((e) => e.kind === 'state' && e.telemetry.floor)).toEqual(['5'])
  })

  it('acknowledges through the store and emits one ack event', () => {
    const { view, store, events, raise } = setup()
    raise(alarm())
    const acked = view.ack('A1', { name: '张三', username: 'zhangsan' }, '已电话联系维保')
    expect(acked).toMatchObject({ ackedBy: '张三', ackedByUser: 'zhangsan', ackNote: '已电话联系维保', ackState: 'active-acked' })
    expect(store.get('A1')).toEqual(acked)
    expect(view.ack('A1', { name: '李四', username: 'lisi' })).toEqual(acked)
    expect(view.ack('nope', { name: '李四', username: 'lisi' })).toBeNull()
    expect(events.filter((e) => e.kind === 'ack')).toEqual([{ kind: 'ack', alarm: acked }])
  })

  it('through the HTTP API: a cleared critical alarm stays visible until acknowledged', async () => {
    const { view, raise } = setup()
    const accounts = new AccountStore({ path: ':memory:', scrypt: { N: 1024, r: 8, p: 1 } })
    accounts.start()
    const desk = await accounts.addUser({ username: 'desk-1', name: '值班员 王五', role: 'desk', scope: { region: '330922' }, password: 'desk-password-1' })
    const auth = { authorization: `Bearer ${accounts.createToken(desk.id, 'test')}` }
    const app = build({ view, accounts, log: pino({ level: 'silent' }), uiDir: false })
    cleanup.push(() => accounts.stop())
    await app.ready()
    raise(alarm())
    raise(alarm({ state: 'cleared', clearedAt: Date.now() }))
    const visible = async () => (await app.inject({ url: '/api/alarms?state=visible', headers: auth })).json().alarms.map((a: { id: string; ackState: string }) => [a.id, a.ackState])
    expect(await visible()).toEqual([['A1', 'cleared-unacked']])
    const res = await app.inject({ method: 'POST', url: '/api/alarms/A1/ack', headers: auth, payload: {} })
    expect(res.json().alarm).toMatchObject({ ackState: 'cleared-acked', ackedBy: '值班员 王五', ackedByUser: 'desk-1' })
    expect(await visible()).toEqual([])
    expect((await app.inject({ method: 'POST', url: '/api/alarms/B9/ack', headers: auth, payload: {} })).statusCode).toBe(404)
    await app.close()
  })
})
