import { afterEach, describe, expect, it } from 'vitest'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { Dispatcher, type DispatcherOptions } from '../../../broker/notify/dispatcher.ts'
import { Outbox } from '../../../broker/notify/outbox.ts'
import type { AttemptReport, OutboxItem, SendResult } from '../../../broker/notify/types.ts'
import type { Db } from '../../../core/sqlite.ts'
import {
  HOUR, MIN, SECRET, VirtualClock, badKey, busy, captureLog, deferred, endpointOf, http500, item, ok, programmable, tempDbPath,
} from './outbox-fixtures.ts'

let cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

type Answer = (it: OutboxItem, at: number) => SendResult | Promise<SendResult>

function setup(answer: Answer, opts: { path?: string; clock?: VirtualClock; over?: Partial<DispatcherOptions> } = {}) {
  const clock = opts.clock ?? new VirtualClock()
  const db: Db = openResponseDb(opts.path ?? tempDbPath())
  const outbox = new Outbox(db)
  const { calls, send } = programmable(clock.now, answer)
  const reports: AttemptReport[] = []
  const { log, lines, raw } = captureLog()
  const dispatcher = new Dispatcher({
    outbox, send, log, scheduler: clock.scheduler, random: () => 0.5,
    endpoint: (id) => (id.startsWith('gone') ? undefined : endpointOf(id, id.startsWith('sms') ? 'sms' : 'wecom')),
    onAttempt: (r) => reports.push(r),
    ...opts.over,
  })
  cleanup.push(async () => {
    await dispatcher.stop()
    if (db.open) db.close()
  })
  const add = (...items: OutboxItem[]) => {
    outbox.insert(items)
    dispatcher.kick()
  }
  return { clock, db, outbox, dispatcher, calls, reports, lines, raw, add }
}

describe('Dispatcher', () => {
  it('an endpoint answering 500 for 10 min, then 45009 for 10 more, then ok: each message delivered once, in order, every attempt reported', async () => {
    const answer: Answer = (it, at) => (it.endpointId !== 'robot' ? ok : at < 10 * MIN ? http500 : at < 20 * MIN ? busy : ok)
    const t = setup(answer)
    t.dispatcher.start()
    t.add(item('m1', 'robot', 0), item('m2', 'robot', 0), item('m3', 'robot', 0), item('o1', 'other', 0))
    await t.clock.runTo(12 * MIN)
    t.add(item('m4', 'robot', 12 * MIN), item('m5', 'robot', 12 * MIN), item('o2', 'other', 12 * MIN))
    await t.clock.runTo(40 * MIN)

    const robot = t.calls.filter((c) => c.endpointId === 'robot')
    // while the robot fails, only the first message is tried: the ones behind it wait
    expect(new Set(robot.filter((c) => c.at < 20 * MIN).map((c) => c.id))).toEqual(new Set(['m1']))
    const delivered = t.reports.filter((r) => r.state === 'delivered')
    expect(delivered.filter((r) => r.item.endpointId === 'robot').map((r) => r.item.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5'])
    expect(delivered.map((r) => r.item.id).sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'o1', 'o2'])
    // the other endpoint was not held up by the failing one
    expect(t.calls.filter((c) => c.endpointId === 'other').map((c) => c.at)).toEqual([0, 12 * MIN])
    // every send is one report, in order, numbered per row
    expect(t.reports.map((r) => [r.item.id, r.at])).toEqual(t.calls.map((c) => [c.id, c.at]))
    const m1 = t.reports.filter((r) => r.item.id === 'm1')
    expect(m1.map((r) => r.attempt)).toEqual(m1.map((_, i) => i + 1))
    expect(m1.some((r) => r.result.detail === 'errcode 45009')).toBe(true)
    // after a 45009 the robot is left alone for the minute it asked for
    const busyAt = m1.filter((r) => r.result.detail === 'errcode 45009').map((r) => r.at)
    for (let i = 1; i < busyAt.length; i++) expect((busyAt[i] ?? 0) - (busyAt[i - 1] ?? 0)).toBeGreaterThanOrEqual(MIN)
    expect(t.outbox.get('m1')).toMatchObject({ state: 'delivered', attempts: m1.length, lastDetail: ok.detail })
    expect(t.outbox.counts()).toEqual({ pending: 0, delivered: 7, failed: 0 })
    expect(t.dispatcher.stats()).toMatchObject({ attempts: t.calls.length, delivered: 7, inFlight: 0, reportErrors: 0 })
  })

  it('30 messages to one robot at one instant: 20 in the first minute, the rest after, no attempt counted for waiting', async () => {
    const t = setup(() => ok)
    t.dispatcher.start()
    t.add(...Array.from({ length: 30 }, (_, i) => item(`m${String(i).padStart(2, '0')}`, 'robot', 0)))
    await t.clock.runTo(3 * MIN)
    expect(t.calls.filter((c) => c.at < MIN)).toHaveLength(20)
    expect(t.calls).toHaveLength(30)
    expect(t.calls.map((c) => c.id)).toEqual([...t.calls.map((c) => c.id)].sort())
    for (const c of t.calls) expect(t.outbox.get(c.id)).toMatchObject({ state: 'delivered', attempts: 1 })
    const s = t.dispatcher.stats()
    expect(s.attempts).toBe(30)
    expect(s.deferred).toBeGreaterThan(0)
    expect(s.channels.wecom).toEqual({ attempts: 30, delivered: 30, failed: 0 })
  })

  it('not retryable: failed after one attempt, and the next message of that endpoint goes', async () => {
    const t = setup((it) => (it.id === 'bad' ? badKey : ok))
    t.dispatcher.start()
    t.add(item('bad', 'robot', 0), item('next', 'robot', 0))
    await t.clock.runTo(MIN)
    expect(t.outbox.get('bad')).toMatchObject({ state: 'failed', attempts: 1, lastDetail: badKey.detail })
    expect(t.outbox.get('next')).toMatchObject({ state: 'delivered' })
    expect(t.reports.map((r) => [r.item.id, r.state])).toEqual([['bad', 'failed'], ['next', 'delivered']])
  })

  it('gives up once 24 h have passed since the message was written', async () => {
    const t = setup(() => http500)
    t.dispatcher.start()
    t.add(item('m', 'robot', 0))
    await t.clock.runTo(26 * HOUR)
    const row = t.outbox.get('m')
    expect(row?.state).toBe('failed')
    const last = t.calls.at(-1)?.at ?? 0
    expect(last).toBeGreaterThanOrEqual(24 * HOUR)
    expect(last).toBeLessThan(24 * HOUR + 5 * MIN + 1)
    expect(row?.attempts).toBe(t.calls.length)
    expect(t.calls.length).toBeGreaterThan(24 * 60 / 5)
    expect(t.reports.filter((r) => r.state === 'failed')).toHaveLength(1)
    expect(t.dispatcher.stats()).toMatchObject({ gaveUp: 1, failed: 1, pending: 0 })
    expect(t.lines.filter((l) => l.msg === 'notification failed')).toHaveLength(1)
  })

  it('an endpoint gone from the directory: failed with that detail, reported', async () => {
    const t = setup(() => ok)
    t.dispatcher.start()
    t.add(item('m', 'gone-robot', 0))
    await t.clock.runTo(MIN)
    expect(t.calls).toHaveLength(0)
    expect(t.outbox.get('m')).toMatchObject({ state: 'failed', lastDetail: 'endpoint gone-robot no longer in the parties directory' })
    expect(t.reports.map((r) => r.state)).toEqual(['failed'])
  })

  it('a throwing send is a retryable failure; a throwing onAttempt is logged and counted; neither stops the dispatcher', async () => {
    let first = true
    const t = setup(() => {
      if (first) { first = false; throw new Error('socket hang up') }
      return ok
    }, { over: { onAttempt: () => { throw new Error('timeline down') } } })
    t.dispatcher.start()
    t.add(item('m', 'robot', 0), item('n', 'other', 0))
    await t.clock.runTo(MIN)
    expect(t.outbox.get('m')).toMatchObject({ state: 'delivered', attempts: 2 })
    expect(t.outbox.get('n')).toMatchObject({ state: 'delivered', attempts: 1 })
    expect(t.calls.filter((c) => c.id === 'm').map((c) => c.at)).toEqual([0, 5_000])
    expect(t.dispatcher.stats()).toMatchObject({ reportErrors: 3, retried: 1 })
    expect(t.lines.find((l) => l.msg === 'send threw')).toMatchObject({ detail: 'socket hang up', itemId: 'm' })
  })

  it('never logs the message text, the URL or the secret', async () => {
    const t = setup((it) => (it.id === 'a' ? http500 : it.id === 'b' ? badKey : ok))
    t.dispatcher.start()
    t.add(item('a', 'robot', 0), item('b', 'robot2', 0), item('c', 'robot3', 0))
    await t.clock.runTo(MIN)
    expect(t.raw.length).toBeGreaterThan(2)
    const all = t.raw.join('\n')
    for (const secret of [SECRET, 'robot.example', 'TEXT-']) expect(all).not.toContain(secret)
  })

  it('at most `concurrency` sends at once, one per endpoint', async () => {
    const hang = deferred<SendResult>()
    const t = setup(() => hang.promise, { over: { concurrency: 2 } })
    t.dispatcher.start()
    t.add(item('a1', 'a', 0), item('a2', 'a', 0), item('b1', 'b', 0), item('c1', 'c', 0))
    await t.clock.runTo(MIN)
    expect(t.calls.map((c) => c.id)).toEqual(['a1', 'b1'])
    expect(t.dispatcher.stats().inFlight).toBe(2)
    hang.resolve(ok)
    await t.clock.runTo(2 * MIN)
    // freed slots go to the oldest due rows: a2 (behind a1) was written before c1
    expect(t.calls.map((c) => c.id)).toEqual(['a1', 'b1', 'a2', 'c1'])
    await t.dispatcher.idle()
    expect(t.outbox.counts()).toEqual({ pending: 0, delivered: 4, failed: 0 })
  })

  it('stop() waits for the send under way and writes its result; nothing is sent after', async () => {
    const hang = deferred<SendResult>()
    const t = setup((it) => (it.id === 'slow' ? hang.promise : ok))
    t.dispatcher.start()
    t.add(item('slow', 'robot', 0))
    await t.clock.runTo(1000)
    expect(t.calls).toHaveLength(1)
    let stopped = false
    const stopping = t.dispatcher.stop().then(() => { stopped = true })
    await t.clock.runTo(2000)
    expect(stopped).toBe(false)
    hang.resolve(ok)
    await stopping
    expect(t.outbox.get('slow')).toMatchObject({ state: 'delivered', attempts: 1 })
    t.add(item('late', 'other', 2000))
    await t.clock.runTo(10 * MIN)
    expect(t.calls.map((c) => c.id)).toEqual(['slow'])
  })

  it('crash safety: after the store is closed mid-send, a new dispatcher sends what was pending, not what was delivered', async () => {
    const path = tempDbPath()
    const hang = deferred<SendResult>()
    const t = setup((it) => (it.id === 'a1' ? ok : it.id === 'c1' ? hang.promise : http500), { path })
    t.dispatcher.start()
    t.add(item('a1', 'a', 0), item('a2', 'a', 0), item('b1', 'b', 0), item('c1', 'c', 0))
    await t.clock.runTo(1000)
    expect(new Set(t.calls.map((c) => c.id))).toEqual(new Set(['a1', 'a2', 'b1', 'c1']))
    expect(t.outbox.counts()).toEqual({ pending: 3, delivered: 1, failed: 0 })

    t.db.close() // the process dies: c1 is in flight, a2 and b1 wait for a retry
    hang.resolve(ok) // its answer cannot be written: c1 stays pending
    await t.clock.runTo(1100)
    // the write of c1's answer, then the pass it kicked
    expect(t.dispatcher.stats().storeErrors).toBe(2)
    expect(t.lines.filter((l) => l.msg === 'outbox read failed')).toHaveLength(1)
    expect(t.lines.filter((l) => l.msg === 'outbox write failed').map((l) => l.itemId)).toEqual(['c1'])
    expect(t.reports.map((r) => r.item.id)).not.toContain('c1')

    const u = setup(() => ok, { path, clock: VirtualClock.at(2000) })
    u.dispatcher.start()
    await u.clock.runTo(10 * MIN)
    expect(u.calls.map((c) => c.id).sort()).toEqual(['a2', 'b1', 'c1'])
    expect(u.outbox.counts()).toEqual({ pending: 0, delivered: 4, failed: 0 })
    expect(u.outbox.get('a1')).toMatchObject({ deliveredAt: 0, attempts: 1 })
    expect(u.outbox.get('b1')).toMatchObject({ attempts: 2 })
  })
})
