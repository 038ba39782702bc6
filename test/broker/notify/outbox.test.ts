import { afterEach, describe, expect, it } from 'vitest'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { Outbox } from '../../../broker/notify/outbox.ts'
import type { Db } from '../../../core/sqlite.ts'
import { item, message, tempDbPath } from './outbox-fixtures.ts'

let dbs: Db[] = []
const open = (path = tempDbPath()) => {
  const db = openResponseDb(path)
  dbs.push(db)
  return { db, outbox: new Outbox(db), path }
}
afterEach(() => {
  for (const db of dbs) if (db.open) db.close()
  dbs = []
})

describe('Outbox', () => {
  it('stores a row whole: message as JSON, drill, SMS phone, optional fields absent', () => {
    const { outbox } = open()
    const sms = item('n1/sms/13800000000', 'sms-1', 1000, { channel: 'sms', to: '13800000000', drill: true, message: message('【演练】困人') })
    outbox.insert([sms, item('n1/robot', 'robot', 1000)])
    expect(outbox.get(sms.id)).toEqual(sms)
    const robot = outbox.get('n1/robot')
    expect(robot?.drill).toBe(false)
    expect(robot && 'to' in robot).toBe(false)
    expect(robot && 'deliveredAt' in robot).toBe(false)
    expect(outbox.get('nope')).toBeUndefined()
  })

  it('inserting the same id again leaves the first row as it was (idempotency key)', () => {
    const { outbox } = open()
    outbox.insert([item('a', 'e1', 1000)])
    outbox.delivered('a', { attempts: 1, at: 1500, detail: 'HTTP 200' })
    outbox.insert([item('a', 'e1', 9000), item('b', 'e1', 9000)])
    expect(outbox.get('a')).toMatchObject({ state: 'delivered', createdAt: 1000, deliveredAt: 1500, attempts: 1 })
    expect(outbox.counts()).toEqual({ pending: 1, delivered: 1, failed: 0 })
  })

  it("inserts inside a caller's transaction: a rollback leaves nothing, a commit keeps all", () => {
    const { db, outbox } = open()
    const failing = db.transaction(() => {
      outbox.insert([item('a', 'e1', 1000), item('b', 'e1', 1000)])
      throw new Error('incident write failed')
    })
    expect(() => failing()).toThrow('incident write failed')
    expect(outbox.counts().pending).toBe(0)
    db.transaction(() => outbox.insert([item('a', 'e1', 1000), item('b', 'e1', 1000)]))()
    expect(outbox.counts().pending).toBe(2)
  })

  it('due: pending rows with nextAt ≤ now, by nextAt then created order; nextDueAt: the earliest pending', () => {
    const { outbox } = open()
    expect(outbox.nextDueAt()).toBeNull()
    outbox.insert([item('c', 'e1', 3000), item('a', 'e2', 1000), item('b', 'e3', 1000, { nextAt: 5000 }), item('d', 'e4', 2000)])
    outbox.delivered('d', { attempts: 1, at: 2100, detail: 'ok' })
    expect(outbox.due(3000, 10).map((r) => r.id)).toEqual(['a', 'c'])
    expect(outbox.due(9000, 10).map((r) => r.id)).toEqual(['a', 'c', 'b'])
    expect(outbox.due(9000, 1).map((r) => r.id)).toEqual(['a'])
    expect(outbox.nextDueAt()).toBe(1000)
    outbox.failed('a', { attempts: 1, detail: 'bad key' })
    expect(outbox.nextDueAt()).toBe(3000)
  })

  it('heads: the first pending row of each lane in created order, even when a later one is due sooner', () => {
    const { outbox } = open()
    outbox.insert([
      item('r1', 'robot', 1000, { nextAt: 60_000 }), // waiting for a retry
      item('r2', 'robot', 1000),
      item('r3', 'robot', 2000),
      item('s1', 'sms', 1000, { channel: 'sms', to: '13800000001', nextAt: 30_000 }),
      item('s2', 'sms', 1000, { channel: 'sms', to: '13800000002' }),
    ])
    expect(outbox.heads().map((r) => r.id)).toEqual(['s2', 's1', 'r1'])
    outbox.delivered('r1', { attempts: 2, at: 60_000, detail: 'ok' })
    expect(outbox.heads().map((r) => r.id)).toEqual(['r2', 's2', 's1'])
  })

  it('attempted / defer / delivered / failed change pending rows only', () => {
    const { outbox } = open()
    outbox.insert([item('a', 'e1', 1000)])
    outbox.attempted('a', { attempts: 1, nextAt: 6000, detail: 'HTTP 500' })
    expect(outbox.get('a')).toMatchObject({ state: 'pending', attempts: 1, nextAt: 6000, lastDetail: 'HTTP 500' })
    outbox.defer('a', 9000)
    expect(outbox.get('a')).toMatchObject({ attempts: 1, nextAt: 9000 })
    outbox.delivered('a', { attempts: 2, at: 9100, detail: 'HTTP 200' })
    outbox.failed('a', { attempts: 3, detail: 'late' })
    outbox.defer('a', 99_000)
    expect(outbox.get('a')).toMatchObject({ state: 'delivered', attempts: 2, deliveredAt: 9100, lastDetail: 'HTTP 200', nextAt: 9000 })
  })

  it("forIncident: an incident's rows in created order; counts by state; rows survive reopening the file", () => {
    const first = open()
    first.outbox.insert([item('b', 'e1', 2000), item('a', 'e2', 1000), item('x', 'e1', 500, { incidentId: 'inc-2' })])
    first.outbox.failed('x', { attempts: 1, detail: 'bad key' })
    first.db.close()
    const again = open(first.path)
    expect(again.outbox.forIncident('inc-1').map((r) => r.id)).toEqual(['a', 'b'])
    expect(again.outbox.forIncident('inc-2').map((r) => r.state)).toEqual(['failed'])
    expect(again.outbox.counts()).toEqual({ pending: 2, delivered: 0, failed: 1 })
  })
})
