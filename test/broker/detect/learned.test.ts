// The detector runtime keeps what its detectors learned in a SQLite file (config `learned`) and a
// runtime started again on that file goes on from it: in virtual time, two runtimes one after the
// other on one file, the second given the first's active alarms as the broker gives them.
import { describe, expect, it } from 'vitest'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { longIdle } from '../../../detectors/long-idle.ts'
import { maintenanceOverdue } from '../../../detectors/maintenance-overdue.ts'
import { DetectorRuntime } from '../../../broker/detect/runtime.ts'
import { LearnedStore } from '../../../broker/detect/snapshots.ts'
import { E1, E2, T0, play, tele, vts } from '../../detectors/harness.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

interface Seen { frame: number; event: AlarmEvent }

/** A runtime over the inputs in [from, until) on the learned file `path`, flushed to `until`, then stopped. */
function run(path: string, inputs: DetectorInput[], from: number, until: number, active: readonly AlarmEvent[] = [], everyMinutes = 5) {
  const scheduler = vts(until)
  scheduler.frame = from
  const input$ = play(scheduler, inputs.filter((i) => i.ts - T0 >= from && i.ts - T0 < until))
  const runtime = new DetectorRuntime({
    scheduler, detectors: [longIdle, maintenanceOverdue], input$, active, evictAfterMs: 6 * HOUR,
    config: {
      alarms: { clearHoldMs: 0, flappingHoldMs: 0 },
      detectors: { 'long-idle': { staleAfterMs: HOUR }, 'maintenance-overdue': { staleAfterMs: HOUR } },
      learned: { path, everyMinutes },
    },
  })
  const seen: Seen[] = []
  runtime.alarms$.subscribe((event) => seen.push({ frame: scheduler.now(), event }))
  runtime.start()
  scheduler.flush()
  const stats = runtime.stats()
  const left = runtime.active()
  runtime.stop()
  return { seen, stats, active: left }
}

/** A trip at 0, then idle heartbeats every 10 min until `to`. */
const idle = (to: number, who = E1): DetectorInput[] => {
  const out = [tele(0, { moving: true, speed: 1 }, who), tele(MIN, {}, who)]
  for (let ms = 10 * MIN; ms < to; ms += 10 * MIN) out.push(tele(ms, {}, who, 'heartbeat'))
  return out
}
const raised = (seen: Seen[]) => seen.filter((s) => s.event.state === 'raised').map((s) => `${s.frame} ${s.event.type}`)
const fileIn = () => join(mkdtempSync(join(tmpdir(), 'lw-learned-')), 'learned.db')

describe('learned state kept by the detector runtime', () => {
  it('goes on counting an idle car across a restart, and does not raise again what was raised', () => {
    const path = fileIn()
    const inputs = idle(40 * HOUR)
    const first = run(path, inputs, 0, 20 * HOUR)
    expect(first.seen).toEqual([])
    expect(first.stats.learned).toMatchObject({ errors: 0, dropped: 0 })
    expect(first.stats.learned!.saved).toBeGreaterThan(0)
    const second = run(path, inputs, 20 * HOUR, 30 * HOUR, first.active)
    // as the car was idle since the trip ended at +1 min, not since the restart
    expect(raised(second.seen)).toEqual([`${DAY + MIN} long_idle`])
    expect(second.seen[0]!.event.raisedAt).toBe(T0 + MIN)
    const third = run(path, inputs, 30 * HOUR, 40 * HOUR, second.active)
    expect(third.seen).toEqual([])
    expect(third.active.map((a) => a.type)).toEqual(['long_idle'])
  })

  it('without the file, the count starts again at the restart (the control)', () => {
    const inputs = idle(40 * HOUR)
    run(fileIn(), inputs, 0, 20 * HOUR)
    expect(raised(run(fileIn(), inputs, 20 * HOUR, 40 * HOUR).seen)).toEqual([])
  })

  it('keeps an evicted elevator\'s learned state for its return, and writes only what changed', () => {
    const path = fileIn()
    // E2 is silent for 8 h (evicted after 6 h), then back at the same landing
    const e2 = [tele(0, { moving: true, speed: 1 }, E2), tele(MIN, {}, E2), tele(10 * MIN, {}, E2, 'heartbeat'),
      ...[8 * HOUR, 8 * HOUR + 10 * MIN].map((ms) => tele(ms, {}, E2, 'heartbeat'))]
    const { stats } = run(path, e2, 0, 9 * HOUR)
    const store = new LearnedStore(path)
    store.start()
    try {
      const rows = store.load(E2.elevatorId)
      expect([...rows.keys()].sort()).toEqual(['long-idle', 'maintenance-overdue'])
      // the idle count from before the silence: the return was at the landing it was left at
      expect(rows.get('long-idle')!.data).toEqual({ idleSince: T0 + MIN, floorIndex: 0 })
    } finally {
      store.stop()
    }
    // two detectors, written once at the first round and once after the return; unchanged rounds not written
    expect(stats.learned!.saved).toBeLessThanOrEqual(6)
    expect(stats.learned!.unchanged).toBeGreaterThan(0)
  })

  it('drops snapshots made under other settings, once logged, and starts afresh', () => {
    const path = fileIn()
    const inputs = idle(20 * HOUR)
    run(path, inputs, 0, 10 * HOUR)
    const scheduler = vts(20 * HOUR)
    scheduler.frame = 10 * HOUR
    const runtime = new DetectorRuntime({
      scheduler, detectors: [longIdle], input$: play(scheduler, inputs.filter((i) => i.ts - T0 >= 10 * HOUR)),
      config: { detectors: { 'long-idle': { staleAfterMs: HOUR, modes: ['normal', 'fire'] } }, learned: { path } },
    })
    runtime.start()
    scheduler.flush()
    expect(runtime.stats().learned).toMatchObject({ dropped: 1, errors: 0 })
    runtime.stop()
  })
})
