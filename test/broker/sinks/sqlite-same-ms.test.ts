// Two samples of one elevator in the same millisecond (a change and a heartbeat, or two changes
// read in one poll) are two rows; only the same sample sent twice (a replay) is one.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SqliteTelemetrySink, parseSqliteTelemetrySinkConfig } from '../../../broker/sinks/sqlite-telemetry.ts'
import { silent, stored, tempDir } from './fixtures.ts'

const NOW = 1_790_000_000_000

describe('SqliteTelemetrySink, same millisecond', () => {
  const sinks: SqliteTelemetrySink[] = []
  const open = async (path = join(tempDir(), 'telemetry.db')) => {
    const s = new SqliteTelemetrySink(parseSqliteTelemetrySinkConfig({ path }), silent, { now: () => NOW })
    sinks.push(s)
    await s.start()
    return s
  }
  afterEach(async () => { for (const s of sinks.splice(0)) await s.stop() })

  it('keeps both samples of one elevator in the same ms, and one row for a replayed duplicate', async () => {
    const s = await open()
    const first = stored({ ts: NOW, seq: 41, door: 'opening' })
    const second = stored({ ts: NOW, seq: 42, door: 'open' })
    s.writeTelemetry(first)
    s.writeTelemetry(second)
    s.writeTelemetry({ ...second, reason: 'replay' })
    expect(s.range('E-1', NOW, NOW + 1)).toEqual([first, { ...second, reason: 'replay' }])
  })

  it('keeps both in a database made by the earlier schema (one row per elevator, ts and gateway)', async () => {
    const path = join(tempDir(), 'telemetry.db')
    await (await open(path)).stop()
    // what the earlier release left: its unique index, as made by its migration
    const db = new Database(path)
    const indexes = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'telemetry'`).all().map((r) => r.name)
    db.exec('CREATE UNIQUE INDEX IF NOT EXISTS telemetry_series ON telemetry (elevator, ts, gateway)')
    db.close()
    expect(indexes.length).toBeGreaterThan(0)
    const s = await open(path)
    s.writeTelemetry(stored({ ts: NOW, seq: 1 }))
    s.writeTelemetry(stored({ ts: NOW, seq: 2 }))
    expect(s.range('E-1', NOW, NOW + 1).map((t) => t.seq)).toEqual([1, 2])
  })
})
