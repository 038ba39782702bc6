// The on-disk outbox against real SQLite files: group commit, order, ack, bounds, open errors.
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { Outbox, type OutboxConfig, type OutboxMessage, type OutboxRow } from '../../../gateway/outbox/outbox.ts'
import { GatewayError } from '../../../gateway/errors.ts'
import { captureLog, silent, tempDir, topicOf } from './fixtures.ts'

const HOUR = 3_600_000
const open: Outbox[] = []
afterEach(() => { for (const o of open.splice(0)) o.close() })

function outbox(cfg: Partial<OutboxConfig> = {}, opts: { now?: () => number; log?: ReturnType<typeof captureLog>['log'] } = {}): Outbox {
  const o = new Outbox({ path: join(tempDir(), 'outbox.db'), maxMessages: 1_000_000, maxBytes: 1 << 30, maxAgeHours: 24, sync: 'full', ...cfg }, opts.log ?? silent, opts)
  o.open()
  open.push(o)
  return o
}

const msg = (n: number, kind: OutboxMessage['kind'] = 'change'): OutboxMessage => ({ topic: topicOf(), payload: JSON.stringify({ n, kind }), retain: false, kind })
const committed = (o: Outbox) => new Promise<OutboxRow[]>((resolve) => o.once('committed', resolve))
const kept = (o: Outbox) => o.read(0, Infinity, 1e6).map((r) => JSON.parse(r.payload) as { n: number; kind: string })

describe('Outbox', () => {
  it('commits everything added in one turn in one transaction, in order', async () => {
    const o = outbox()
    const rows = committed(o)
    for (let i = 0; i < 1000; i++) o.add(msg(i, i % 3 ? 'heartbeat' : 'change'))
    expect(o.stats().pending).toBe(1000)
    const got = await rows
    expect(o.stats()).toMatchObject({ commits: 1, depth: 1000, pending: 0 })
    expect(got.map((r) => JSON.parse(r.payload).n)).toEqual([...Array(1000).keys()])
    expect(got.map((r) => r.id)).toEqual([...got.map((r) => r.id)].sort((a, b) => a - b))
    expect(o.read(0, Infinity, 5000).map((r) => r.id)).toEqual(got.map((r) => r.id))
  })

  it('with commitMs, messages of several turns share the transaction the first one opened', async () => {
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    const windowed = outbox({ commitMs: 150 })
    const perTurn = outbox({ commitMs: 0 })
    const rows = committed(windowed)
    const t0 = performance.now()
    // three polls' messages, each in an event-loop turn of its own
    for (let i = 0; i < 3; i++) {
      windowed.add(msg(i))
      perTurn.add(msg(i))
      await turn()
    }
    expect(windowed.stats()).toMatchObject({ commits: 0, pending: 3 })
    expect(perTurn.stats()).toMatchObject({ commits: 3, pending: 0 })
    expect((await rows).map((r) => JSON.parse(r.payload).n)).toEqual([0, 1, 2])
    expect(performance.now() - t0).toBeGreaterThanOrEqual(145)
    expect(windowed.stats()).toMatchObject({ commits: 1, depth: 3, pending: 0 })
    // a window still open is committed by close()
    windowed.add(msg(3))
    windowed.close()
    windowed.open()
    expect(kept(windowed).map((m) => m.n)).toEqual([0, 1, 2, 3])
  })

  it('deletes a row only when acked, and keeps ids growing across restarts', async () => {
    const o = outbox()
    const path = o.path
    for (let i = 0; i < 5; i++) o.add(msg(i))
    const rows = await committed(o)
    o.ack(rows[1]!.id)
    o.ack(rows[3]!.id)
    o.flush()
    expect(kept(o).map((m) => m.n)).toEqual([0, 2, 4])
    for (const r of rows) o.ack(r.id)
    o.close()

    const again = new Outbox({ path, maxMessages: 100, maxBytes: 1 << 20, maxAgeHours: 1, sync: 'normal' }, silent)
    again.open()
    open.push(again)
    expect(again.stats()).toMatchObject({ depth: 0, bytes: 0 })
    again.add(msg(9))
    const [next] = await committed(again)
    // AUTOINCREMENT: an emptied table does not hand out old ids again
    expect(next!.id).toBeGreaterThan(rows[4]!.id)
    expect(again.lastId).toBe(next!.id)
  })

  it('over maxMessages drops the oldest heartbeats, never a state change, and counts it', async () => {
    const { log, lines } = captureLog()
    const o = outbox({ maxMessages: 10 }, { log })
    for (let i = 0; i < 10; i++) o.add(msg(i, 'heartbeat'))
    o.flush()
    for (let i = 10; i < 16; i++) o.add(msg(i, i === 15 ? 'availability' : 'change'))
    o.flush()
    expect(kept(o).map((m) => m.n)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    expect(o.stats().drops.maxMessages).toBe(6)

    // only changes left over the bound: all kept, counted, warned once (rate-limited)
    for (let i = 16; i < 30; i++) o.add(msg(i, 'change'))
    o.flush()
    o.add(msg(30, 'change'))
    o.flush()
    const left = kept(o)
    expect(left.filter((m) => m.kind === 'heartbeat')).toEqual([])
    expect(left.map((m) => m.n)).toEqual([10, 11, 12, 13, 14, 15, ...Array.from({ length: 15 }, (_, i) => 16 + i)])
    expect(o.stats()).toMatchObject({ depth: 21, overBound: 2, drops: { maxMessages: 10, maxBytes: 0, maxAge: 0, writeFailed: 0 } })
    const warnings = lines.filter((l) => l.msg === 'outbox over its bound with only state changes left: keeping them')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({ level: 40, depth: 20, maxMessages: 10 })
  })

  it('over maxBytes drops the oldest heartbeats until it fits', async () => {
    const o = outbox({ maxBytes: 5000 })
    const big = (n: number, kind: OutboxMessage['kind']): OutboxMessage => ({ topic: 't/x', payload: JSON.stringify({ n, kind, pad: 'x'.repeat(470) }), retain: false, kind })
    for (let i = 0; i < 8; i++) o.add(big(i, i % 2 ? 'change' : 'heartbeat')) // ~505 bytes each
    o.flush()
    expect(o.stats()).toMatchObject({ depth: 8, bytes: 4052 })
    for (let i = 8; i < 11; i++) o.add(big(i, 'change'))
    o.flush()
    expect(o.stats().bytes).toBeLessThanOrEqual(5000)
    // two heartbeats, the oldest ones, made the room
    expect(kept(o).map((m) => m.n)).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(o.stats().drops.maxBytes).toBe(2)
  })

  it('drops heartbeats older than maxAgeHours, keeps old state changes', async () => {
    let now = 1_700_000_000_000
    const o = outbox({ maxAgeHours: 2 }, { now: () => now })
    o.add(msg(0, 'heartbeat'))
    o.add(msg(1, 'change'))
    o.flush()
    now += 1 * HOUR
    o.add(msg(2, 'heartbeat'))
    o.flush()
    now += 1.5 * HOUR
    o.add(msg(3, 'heartbeat'))
    o.flush()
    expect(kept(o).map((m) => m.n)).toEqual([1, 2, 3])
    expect(o.stats().drops.maxAge).toBe(1)
  })

  it('fails with LW_ERR_OUTBOX naming the file when it cannot open it', () => {
    const dir = tempDir()
    const notADir = join(dir, 'plain-file')
    writeFileSync(notADir, 'x')
    for (const path of [dir, join(notADir, 'outbox.db')]) {
      const o = new Outbox({ path, maxMessages: 100, maxBytes: 1 << 20, maxAgeHours: 1, sync: 'full' }, silent)
      let err: unknown
      try { o.open() } catch (e) { err = e }
      expect(err).toBeInstanceOf(GatewayError)
      expect(err).toMatchObject({ code: 'LW_ERR_OUTBOX', data: { path } })
      expect((err as Error).message).toContain(path)
    }
    // a file that is not a database
    const junk = join(dir, 'junk.db')
    writeFileSync(junk, 'this is not sqlite'.repeat(100))
    expect(() => new Outbox({ path: junk, maxMessages: 100, maxBytes: 1 << 20, maxAgeHours: 1, sync: 'full' }, silent).open())
      .toThrow(expect.objectContaining({ code: 'LW_ERR_OUTBOX', message: expect.stringContaining(junk) }))
  })

  it('belongs to one process: a second opener gets LW_ERR_OUTBOX', () => {
    const o = outbox()
    const second = new Outbox({ path: o.path, maxMessages: 100, maxBytes: 1 << 20, maxAgeHours: 1, sync: 'full' }, silent)
    expect(() => second.open()).toThrow(expect.objectContaining({ code: 'LW_ERR_OUTBOX', message: expect.stringMatching(/locked/) }))
  })

  it('is a WAL database with the configured synchronous level', () => {
    for (const [sync, level] of [['full', 2], ['normal', 1]] as const) {
      const o = outbox({ sync })
      const db = (o as unknown as { db: Database.Database }).db
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('synchronous', { simple: true })).toBe(level)
    }
  })
})
