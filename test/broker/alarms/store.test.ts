import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AlarmStore, AlarmStoreError, MAX_LIST } from '../../../broker/alarms/store.ts'
import { DetectorRuntime } from '../../../broker/detect/runtime.ts'
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
    expect(store.get('01HX0000000000A0')).toEqual({ ...alarm(), ackedAt: null, ackedBy: null })
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
    expect(again.active()).toEqual([{ ...alarm(), ackedAt: T0 + 5_000, ackedBy: 'desk' }])
    expect(again.get('ID-OLD')).toMatchObject({ state: 'cleared' })
    again.stop()
  })

  it('with the runtime: alarms recorded, broker restarted, the active alarm cleared under its id', () => {
    const path = tempFile()
    const first = (() => {
      const store = opened(path)
      const scheduler = vts(60_000)
      const runtime = new DetectorRuntime({ input$: play(scheduler, beats(0, 60_000, STUCK)), scheduler })
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
    const scheduler = vts(80_000)
    const runtime = new DetectorRuntime({ input$: play(scheduler, [tele(70_000, { ...STUCK, door: 'open' })]), scheduler, active: store.active() })
    runtime.alarms$.subscribe((e) => store.record(e))
    runtime.start()
    scheduler.flush()
    runtime.stop()
    expect(store.active()).toEqual([])
    expect(store.get(first[0]!.id)).toMatchObject({ state: 'cleared', clearedAt: T0 + 70_000 })
    store.stop()
  })
})
