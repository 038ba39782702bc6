// The embedded telemetry sink on a real SQLite file.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { SqliteTelemetrySink, parseSqliteTelemetrySinkConfig } from '../../../broker/sinks/sqlite-telemetry.ts'
import { alarmEvent, silent, stored, tempDir } from './fixtures.ts'

const DAY = 86_400_000
const NOW = 1_790_000_000_000

describe('SqliteTelemetrySink', () => {
  const sinks: SqliteTelemetrySink[] = []
  const open = async (over: Record<string, unknown> = {}, path = join(tempDir(), 'telemetry.db')) => {
    const s = new SqliteTelemetrySink(parseSqliteTelemetrySinkConfig({ path, ...over }), silent, { now: () => NOW })
    sinks.push(s)
    await s.start()
    return s
  }
  afterEach(async () => { for (const s of sinks.splice(0)) await s.stop() })

  it('inserts one transaction per event-loop turn; latest and range read the points back', async () => {
    const s = await open()
    for (let i = 0; i < 100; i++) s.writeTelemetry(stored({ elevatorId: 'E-1', ts: NOW - 100_000 + i * 1000, seq: i, floorIndex: i % 7 }))
    s.writeTelemetry(stored({ elevatorId: 'E-2', ts: NOW, seq: 5 }))
    await new Promise((r) => setImmediate(r))
    expect(s.stats().counters).toMatchObject({ accepted: 101, written: 101, commits: 1 })

    const last = s.latest('E-1')!
    expect(last).toEqual(stored({ elevatorId: 'E-1', ts: NOW - 1000, seq: 99, floorIndex: 99 % 7 }))
    const got = s.range('E-1', NOW - 100_000 + 10_000, NOW - 100_000 + 20_000)
    expect(got.map((t) => t.seq)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]) // from ≤ ts < to
    expect(s.range('E-1', 0, NOW, 3).map((t) => t.seq)).toEqual([0, 1, 2])
    expect(s.latest('nobody')).toBeUndefined()
  })

  it('keeps nulls, booleans and strings as they came, and replaces the same series and time', async () => {
    const s = await open()
    const t = stored({ ts: NOW, position: null, speed: 1.25, occupied: true, load: null, moving: true, door: 'opening', floor: '12A', faultCode: 4 })
    s.writeTelemetry(t)
    expect(s.latest('E-1')).toEqual(t)
    // the gateway sent the same sample twice (e.g. a replay): one row, the last one
    s.writeTelemetry({ ...t, reason: 'replay' })
    expect(s.range('E-1', 0, NOW + 1)).toEqual([{ ...t, reason: 'replay' }])
    // a value read before the end of the turn was committed first
    s.writeTelemetry(stored({ ts: NOW + 1, seq: 2 }))
    expect(s.latest('E-1')?.seq).toBe(2)
  })

  it('stores the ts it is given (the gateway\'s) when the message carries broker time', async () => {
    const s = await open()
    const { elevatorId, region, ...msg } = stored({ ts: NOW + 250, seq: 3 })
    s.writeSample(msg, elevatorId, region, NOW)
    expect(s.latest('E-1')).toEqual(stored({ ts: NOW, seq: 3 }))
  })

  it('stores alarm events with their evidence', async () => {
    const s = await open()
    const raised = alarmEvent({ raisedAt: NOW - 5000 })
    const cleared = alarmEvent({ raisedAt: NOW - 5000, clearedAt: NOW, state: 'cleared', code: null, drill: true })
    s.writeAlarm(raised)
    s.writeAlarm(cleared)
    expect(s.alarms('E-1', 0, NOW + 1)).toEqual([raised, cleared])
    expect(s.alarms('E-1', NOW, NOW + 1)).toEqual([cleared])
  })

  it('retention deletes rows older than N days, in small batches, and nothing newer', async () => {
    const s = await open({ retentionDays: 30, pruneBatchRows: 3, pruneIntervalMs: 3_600_000 })
    for (let i = 0; i < 10; i++) s.writeTelemetry(stored({ ts: NOW - 31 * DAY + i, seq: i }))
    for (let i = 0; i < 5; i++) s.writeTelemetry(stored({ ts: NOW - 29 * DAY + i, seq: 100 + i }))
    s.writeAlarm(alarmEvent({ raisedAt: NOW - 40 * DAY }))
    s.writeAlarm(alarmEvent({ id: 'a-2', raisedAt: NOW - DAY }))
    s.flush()
    expect(await s.prune()).toBe(11)
    expect(s.range('E-1', 0, NOW).map((t) => t.seq)).toEqual([100, 101, 102, 103, 104])
    expect(s.alarms('E-1', 0, NOW).map((a) => a.id)).toEqual(['a-2'])
    expect(s.stats().counters.pruned).toBe(11)
    expect(await s.prune()).toBe(0)
  })

  it('keeps what it committed over a stop and start; stop is idempotent; writes outside run throw', async () => {
    const path = join(tempDir(), 'telemetry.db')
    const s = await open({}, path)
    s.writeTelemetry(stored({ ts: NOW, seq: 42 }))
    await s.stop()
    await s.stop()
    expect(() => s.writeTelemetry(stored())).toThrow(expect.objectContaining({ code: 'LW_ERR_SINK_NOT_STARTED' }))
    const again = await open({}, path)
    expect(again.latest('E-1')?.seq).toBe(42)
  })
})
