// The outbox when SQLite refuses writes: a real file capped by maxFileBytes (max_page_count), so
// SQLite itself answers SQLITE_FULL. What it cannot store goes to the bypass (the live connection)
// or waits in memory; acks still delete; storing resumes once deletes freed room.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { Outbox, type OutboxMessage, type WriteState } from '../../../gateway/outbox/outbox.ts'
import { captureLog, tempDir, topicOf, until } from './fixtures.ts'

const open: Outbox[] = []
afterEach(() => { for (const o of open.splice(0)) o.close() })

// a telemetry-sized payload: about 8 rows to a 4 KiB page
const msg = (n: number): OutboxMessage => ({ topic: topicOf(), payload: JSON.stringify({ n, pad: 'x'.repeat(400) }), retain: false, kind: 'change' })

function capped() {
  const { log, lines } = captureLog('info')
  const o = new Outbox({ path: join(tempDir(), 'outbox.db'), maxMessages: 1_000_000, maxBytes: 1 << 30, maxAgeHours: 24, sync: 'normal', maxFileBytes: 32_768 }, log)
  o.open()
  open.push(o)
  const states: WriteState[] = []
  o.on('state', (s) => states.push(s))
  return { o, lines, states }
}

/** Adds one message a turn until the file is full; resolves with how many were stored. */
async function fill(o: Outbox): Promise<number> {
  for (let n = 0; o.state === 'ok'; n++) {
    o.add(msg(n))
    await new Promise((r) => setImmediate(r))
    if (n > 10_000) throw new Error('never full')
  }
  return o.stats().depth
}

describe('Outbox with its file full', () => {
  it('says so (state, stats, one warn line), keeps what it cannot store in memory while nobody takes it', async () => {
    const { o, lines, states } = capped()
    const stored = await fill(o)
    expect(stored).toBeGreaterThan(0)
    expect(states).toEqual(['full'])
    expect(o.stats()).toMatchObject({ writeState: 'full', depth: stored, pending: 1, bypassed: 0 })
    expect(lines.filter((l) => l.msg === 'outbox full: publishing live messages without storing them')).toHaveLength(1)
    o.add(msg(-1))
    await new Promise((r) => setImmediate(r))
    expect(o.stats().pending).toBe(2)
  })

  it('hands what it cannot store to the bypass at once; acks still delete; stores again once they freed room', async () => {
    const { o, lines, states } = capped()
    const stored = await fill(o)
    const out: OutboxMessage[] = []
    o.onBypass((ms) => (out.push(...ms), true))
    o.add(msg(1000))
    await until(() => out.length >= 2, 'bypassed')
    expect(o.stats()).toMatchObject({ pending: 0, bypassed: 2, depth: stored })
    // the replay acknowledges the backlog: deletes need no new page
    for (const r of o.read(0, Infinity, stored)) o.ack(r.id)
    await until(() => o.stats().depth === 0, 'acks written while full')
    o.add(msg(2000))
    await until(() => o.state === 'ok' && o.stats().depth === 1, 'stored again')
    expect(states).toEqual(['full', 'ok'])
    expect(lines.some((l) => l.msg === 'outbox writable again')).toBe(true)
  })
})
