import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { AlarmStore, AlarmStoreError, MAX_LIST, type StoredAlarm } from '../../../broker/alarms/store.ts'
import { DetectorRuntime } from '../../../broker/detect/runtime.ts'
import { entrapment } from '../../../detectors/entrapment.ts'
import type { AlarmEvent } from '../../../protocol/index.ts'
import { E1, E2, STUCK, T0, beats, play, tele, vts } from '../../detectors/harness.ts'

const dirs: string[] = []
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-alarms-'))
  dirs.push(dir)
  return join(dir, 'alarms.db')
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const alarm = (over: Partial<AlarmEvent> = {}): AlarmEvent => ({
  v: 1, id: '01HX0000000000A0', key: `${E1.elevatorId}:entrapment`, type: 'entrapment', code: '11', severity: 'critical',
  state: 'raised', elevatorId: E1.elevatorId, region: '330922', raisedAt: T0, clearedAt: null,
  evidence: { floor: '3', doorZone: false, nested: { list: [1, 2] } }, drill: false, ...over,
})

function opened(path = ':memory:'): AlarmStore {
  const s = new AlarmStore(path)
  s.start()
  return s
}

describe('AlarmStore', () => {
  it('round-trips an alarm with ack fields empty', () => {
    const store = opened()
    store.record(alarm())
    expect(store.get('01HX0000000000A0')).toEqual({ ...alarm(), ackedAt: null, ackedBy: null, ackState: 'active-unacked' })
    expect(store.get('nope')).toBeNull()
    store.stop()
  })

  it('upserts by id: a clear updates the row, and a late raise does not reopen it', () => {
    const store = opened()
    store.record(alarm())
    store.record(alarm({ state: 'cleared', clearedAt: T0 + 40_000, evidence: { floor: '3', cleared: { door: 'open' } } }))
    store.record(alarm())
    expect(store.get('01HX0000000000A0')).toMatchObject({ state: 'cleared', clearedAt: T0 + 40_000, evidence: { cleared: { door: 'open' } } })
    expect(store.active()).toEqual([])
    expect(store.list({ limit: 10 })).toHaveLength(1)
    store.stop()
  })

  it('refuses what is not an AlarmEvent, and an id reused for another alarm', () => {
    const store = opened()
    expect(() => store.record({ ...alarm(), region: 'x' })).toThrow(expect.objectContaining({ code: 'LW_ERR_ALARM_INVALID' }))
    store.record(alarm())
    let err: unknown
    try { store.record(alarm({ key: `${E2.elevatorId}:entrapment`, elevatorId: E2.elevatorId })) } catch (e) { err = e }
    expect(err).toBeInstanceOf(AlarmStoreError)
    expect(err).toMatchObject({ code: 'LW_ERR_ALARM_CONFLICT', data: { id: '01HX0000000000A0' } })
    store.stop()
  })

  it('lists newest first, filtered by state, elevator and time, limited', () => {
    const store = opened()
    for (let n = 0; n < 6; n++) {
      const who = n % 2 ? E2 : E1
      store.record(alarm({ id: `ID${n}`, key: `${who.elevatorId}:alarm_button`, type: 'alarm_button', code: '90', severity: 'major', elevatorId: who.elevatorId, raisedAt: T0 + n * 1000, ...(n < 2 ? { state: 'cleared', clearedAt: T0 + n * 1000 + 500 } : {}) }))
    }
    expect(store.list({ limit: 100 }).map((a) => a.id)).toEqual(['ID5', 'ID4', 'ID3', 'ID2', 'ID1', 'ID0'])
    expect(store.list({ limit: 2 }).map((a) => a.id)).toEqual(['ID5', 'ID4'])
    expect(store.list({ state: 'cleared', limit: 100 }).map((a) => a.id)).toEqual(['ID1', 'ID0'])
    expect(store.list({ elevatorId: E2.elevatorId, limit: 100 }).map((a) => a.id)).toEqual(['ID5', 'ID3', 'ID1'])
    expect(store.list({ since: T0 + 3000, state: 'raised', elevatorId: E1.elevatorId, limit: 100 }).map((a) => a.id)).toEqual(['ID4'])
    expect(store.active().map((a) => a.id)).toEqual(['ID2', 'ID3', 'ID4', 'ID5'])
    expect(store.list({ limit: MAX_LIST * 10 })).toHaveLength(6)
    store.stop()
  })

  it('keeps the first acknowledgement; record() never touches it', () => {
    const store = opened()
    store.record(alarm())
    expect(store.ack('01HX0000000000A0', 'maint-duty-1', T0 + 60_000)).toMatchObject({ ackedAt: T0 + 60_000, ackedBy: 'maint-duty-1' })
    expect(store.ack('01HX0000000000A0', 'someone-else', T0 + 90_000)).toMatchObject({ ackedAt: T0 + 60_000, ackedBy: 'maint-duty-1' })
    store.record(alarm({ state: 'cleared', clearedAt: T0 + 100_000 }))
    expect(store.get('01HX0000000000A0')).toMatchObject({ state: 'cleared', ackedAt: T0 + 60_000, ackedBy: 'maint-duty-1' })
    expect(store.ack('nope', 'x', T0)).toBeNull()
    store.stop()
  })

  it('survives a restart: reopened, active alarms and acks are still there; stop() is idempotent', () => {
    const path = tempFile()
    const store = opened(path)
    store.record(alarm())
    store.record(alarm({ id: 'ID-OLD', state: 'cleared', clearedAt: T0 + 1 }))
    store.ack('01HX0000000000A0', 'desk', T0 + 5_000)
    store.stop()
    store.stop()
    expect(() => store.active()).toThrow(expect.objectContaining({ code: 'LW_ERR_ALARM_STORE' }))
    const again = opened(path)
    expect(again.active()).toEqual([{ ...alarm(), ackedAt: T0 + 5_000, ackedBy: 'desk', ackState: 'active-acked' }])
    expect(again.get('ID-OLD')).toMatchObject({ state: 'cleared' })
    again.stop()
  })

  it('updates an active alarm from a repeated raise: evidence, an earlier raisedAt, flapping, late', () => {
    const path = tempFile()
    const store = opened(path)
    store.record(alarm())
    const updated = alarm({ raisedAt: T0 - 20_000, evidence: { floor: '3', flaps: 2 }, flapping: true, late: true, updatedAt: T0 + 9_000 })
    expect(store.record(updated)).toEqual({ ...updated, ackedAt: null, ackedBy: null, ackState: 'active-unacked' })
    store.ack('01HX0000000000A0', 'desk', T0 + 10_000)
    // the lifecycle keeps re-emitting the same alarm: the acknowledgement stays
    store.record(alarm({ raisedAt: T0 - 20_000, evidence: { floor: '3', flaps: 3 }, flapping: true, updatedAt: T0 + 11_000 }))
    expect(store.get('01HX0000000000A0')).toMatchObject({ evidence: { flaps: 3 }, flapping: true, updatedAt: T0 + 11_000, ackedBy: 'desk' })
    expect(store.get('01HX0000000000A0')).not.toHaveProperty('late')
    const cleared = alarm({ state: 'cleared', clearedAt: T0 + 30_000, raisedAt: T0 - 20_000, evidence: { cleared: {} }, flapping: true })
    store.record(cleared)
    // once cleared, nothing a repeat says changes it
    store.record(alarm({ raisedAt: T0 - 90_000, evidence: { again: true }, late: true }))
    store.stop()
    const again = opened(path)
    expect(again.get('01HX0000000000A0')).toEqual({ ...cleared, ackedAt: T0 + 10_000, ackedBy: 'desk', ackState: 'cleared-acked' })
    again.stop()
  })

  it('keeps who acknowledged as name and username, and the note', () => {
    const store = opened()
    store.record(alarm())
    expect(store.ack('01HX0000000000A0', '值班员 张三', T0 + 1_000, { user: 'desk-1', note: '已通知维保' }))
      .toMatchObject({ ackedBy: '值班员 张三', ackedByUser: 'desk-1', ackNote: '已通知维保', ackedAt: T0 + 1_000 })
    expect(store.ack('01HX0000000000A0', '李四', T0 + 2_000, { user: 'desk-2' })).toMatchObject({ ackedBy: '值班员 张三', ackedByUser: 'desk-1' })
    store.stop()
  })

  it('derives the four acknowledgement states; an ack is independent of the clear', () => {
    const store = opened()
    const state = (id: string) => store.get(id)!.ackState
    store.record(alarm({ id: 'A' }))
    expect(state('A')).toBe('active-unacked')
    expect(store.ack('A', 'desk-1', T0 + 1_000)).toMatchObject({ ackState: 'active-acked', ackedBy: 'desk-1', ackedAt: T0 + 1_000 })
    // cleared after it was acked: stays acked
    store.record(alarm({ id: 'A', state: 'cleared', clearedAt: T0 + 2_000 }))
    expect(store.get('A')).toMatchObject({ ackState: 'cleared-acked', ackedBy: 'desk-1', ackedAt: T0 + 1_000 })

    store.record(alarm({ id: 'B', raisedAt: T0 + 10 }))
    store.record(alarm({ id: 'B', raisedAt: T0 + 10, state: 'cleared', clearedAt: T0 + 3_000 }))
    expect(state('B')).toBe('cleared-unacked')
    expect(store.ack('B', 'desk-2', T0 + 4_000)).toMatchObject({ ackState: 'cleared-acked', ackedBy: 'desk-2', ackedAt: T0 + 4_000 })
    // first ack wins, whether the alarm is active or cleared
    expect(store.ack('B', 'desk-3', T0 + 5_000)).toMatchObject({ ackedBy: 'desk-2', ackedAt: T0 + 4_000 })
    expect(store.ack('C', 'desk-3', T0 + 5_000)).toBeNull()
    store.stop()
  })

  it('lists the visible alarms: every active one, cleared critical ones until acked; critical first, then newest', () => {
    const store = opened()
    const ids = (list: StoredAlarm[]) => list.map((a) => a.id)
    const put = (id: string, type: 'entrapment' | 'power_failure' | 'door_open_too_long', severity: StoredAlarm['severity'], raisedAt: number, cleared = false, who = E1) =>
      store.record(alarm({ id, key: `${who.elevatorId}:${type}`, type, severity, elevatorId: who.elevatorId, raisedAt, ...(cleared ? { state: 'cleared', clearedAt: raisedAt + 500 } : {}) }))
    put('crit-old', 'entrapment', 'critical', T0)
    put('crit-new', 'entrapment', 'critical', T0 + 5_000, false, E2)
    put('crit-cleared', 'entrapment', 'critical', T0 + 3_000, true)
    put('major', 'power_failure', 'major', T0 + 9_000)
    put('major-cleared', 'power_failure', 'major', T0 + 8_000, true)
    put('minor', 'door_open_too_long', 'minor', T0 + 10_000)
    expect(ids(store.visible())).toEqual(['crit-new', 'crit-cleared', 'crit-old', 'major', 'minor'])
    expect(store.visible().find((a) => a.id === 'crit-cleared')!.ackState).toBe('cleared-unacked')
    expect(ids(store.visible({ keepUntilAcked: ['critical', 'major'] }))).toEqual(['crit-new', 'crit-cleared', 'crit-old', 'major', 'major-cleared', 'minor'])
    expect(ids(store.visible({ keepUntilAcked: [] }))).toEqual(['crit-new', 'crit-old', 'major', 'minor'])
    expect(ids(store.visible({ elevatorId: E2.elevatorId }))).toEqual(['crit-new'])
    expect(ids(store.visible({ limit: 2 }))).toEqual(['crit-new', 'crit-cleared'])
    // a scope's elevators (broker/live-view.ts): the limit counts only theirs
    expect(ids(store.visible({ elevatorIds: [E1.elevatorId], limit: 2 }))).toEqual(['crit-cleared', 'crit-old'])
    expect(ids(store.list({ elevatorIds: [E2.elevatorId], limit: 1 }))).toEqual(['crit-new'])
    expect(ids(store.list({ elevatorIds: [], limit: 10 }))).toEqual([])

    // acking an active alarm keeps it listed; acking a cleared one takes it off
    store.ack('crit-old', 'desk', T0 + 20_000)
    store.ack('crit-cleared', 'desk', T0 + 20_000)
    expect(ids(store.visible())).toEqual(['crit-new', 'crit-old', 'major', 'minor'])
    expect(store.visible()[1]!.ackState).toBe('active-acked')
    // and an acked alarm that clears leaves the list
    put('crit-old', 'entrapment', 'critical', T0, true)
    expect(ids(store.visible())).toEqual(['crit-new', 'major', 'minor'])
    store.stop()
  })

  it('opens a store written before acknowledgement and optional fields: migrates, keeps its rows', () => {
    const path = tempFile()
    const db = new Database(path)
    // exactly the user_version 1 schema, as a broker of the previous release left it
    db.exec(`CREATE TABLE alarms (id TEXT PRIMARY KEY, key TEXT NOT NULL, type TEXT NOT NULL, code TEXT, severity TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('raised', 'cleared')), elevator_id TEXT NOT NULL, region TEXT NOT NULL,
      raised_at INTEGER NOT NULL, cleared_at INTEGER, evidence TEXT NOT NULL, drill INTEGER NOT NULL, acked_at INTEGER, acked_by TEXT) STRICT;
      CREATE INDEX alarms_active ON alarms (raised_at) WHERE state = 'raised';
      CREATE INDEX alarms_elevator ON alarms (elevator_id, raised_at);
      CREATE INDEX alarms_raised_at ON alarms (raised_at);
      PRAGMA user_version = 1;`)
    db.prepare(`INSERT INTO alarms VALUES ('OLD', ?, 'entrapment', '11', 'critical', 'cleared', ?, '330922', ?, ?, '{"floor":"3"}', 0, NULL, NULL)`)
      .run(`${E1.elevatorId}:entrapment`, E1.elevatorId, T0, T0 + 100)
    db.close()

    const store = opened(path)
    expect(store.get('OLD')).toEqual({ ...alarm({ id: 'OLD', state: 'cleared', clearedAt: T0 + 100, evidence: { floor: '3' } }), ackedAt: null, ackedBy: null, ackState: 'cleared-unacked' })
    expect(store.visible().map((a) => a.id)).toEqual(['OLD'])
    store.record(alarm({ id: 'NEW', late: true }))
    expect(store.get('NEW')).toMatchObject({ late: true })
    store.stop()
    const check = new Database(path, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(3)
    expect((check.pragma('table_info(alarms)') as { name: string }[]).map((c) => c.name)).toEqual(expect.arrayContaining(['extra', 'acked_by_user', 'ack_note']))
    check.close()
    // a second opening runs no migration again
    opened(path).stop()
  })

  it('with the runtime: alarms recorded, broker restarted, the active alarm cleared under its id', () => {
    const path = tempFile()
    const first = (() => {
      const store = opened(path)
      const scheduler = vts(60_000)
      const runtime = new DetectorRuntime({ input$: play(scheduler, beats(0, 60_000, STUCK)), scheduler, detectors: [entrapment] })
      runtime.alarms$.subscribe((e) => store.record(e))
      runtime.start()
      scheduler.flush()
      runtime.stop()
      const active = store.active()
      store.stop()
      return active
    })()
    expect(first.map((a) => a.type)).toEqual(['entrapment'])

    const store = opened(path)
    // past the lifecycle's 30 s hold on a clear
    const scheduler = vts(110_000)
    const runtime = new DetectorRuntime({ input$: play(scheduler, [tele(70_000, { ...STUCK, door: 'open' })]), scheduler, active: store.active(), detectors: [entrapment] })
    runtime.alarms$.subscribe((e) => store.record(e))
    runtime.start()
    scheduler.flush()
    runtime.stop()
    expect(store.active()).toEqual([])
    expect(store.get(first[0]!.id)).toMatchObject({ state: 'cleared', clearedAt: T0 + 70_000 })
    store.stop()
  })
})
