import { describe, expect, it } from 'vitest'
import { validators, type AlarmEvent } from '../../../protocol/index.ts'
import { AlarmLifecycle, alarmIds, type AlarmSignal, type LifecycleConfig } from '../../../detectors/index.ts'
import { E1, T0, vts } from '../harness.ts'

type Seen = { frame: number; event: AlarmEvent }

/** A lifecycle on a virtual clock; `at(ms, signal)` applies a signal at that frame. */
function lifecycle(config?: LifecycleConfig) {
  const scheduler = vts(24 * 3_600_000)
  const seen: Seen[] = []
  const lc = new AlarmLifecycle({ newId: alarmIds(() => T0 + scheduler.now()), scheduler, config, emit: (event) => seen.push({ frame: scheduler.now(), event }) })
  const at = (ms: number, s: Partial<AlarmSignal> & Pick<AlarmSignal, 'state'>) =>
    scheduler.schedule(() => lc.apply({ ...E1, type: 'door_open_too_long', at: T0 + ms, evidence: {}, ...s }), ms)
  const when = (ms: number, fn: () => void) => scheduler.schedule(fn, ms)
  return { lc, seen, at, when, flush: () => scheduler.flush() }
}
const brief = (seen: Seen[]) => seen.map((s) => `${s.frame} ${s.event.state}${s.event.flapping ? ' flapping' : ''}`)

describe('alarm lifecycle', () => {
  it('raises once per key; a clear is published after the hold with the true clear time', () => {
    const { seen, at, flush } = lifecycle()
    at(0, { state: 'raised' })
    at(1_000, { state: 'raised' })
    at(10_000, { state: 'cleared' })
    flush()
    expect(brief(seen)).toEqual(['0 raised', '40000 cleared'])
    expect(seen[1]!.event).toMatchObject({ id: seen[0]!.event.id, clearedAt: T0 + 10_000 })
    for (const s of seen) expect(validators.alarm(s.event).ok).toBe(true)
  })

  it('a condition back within the hold continues the same alarm, marked flapping, and the hold lengthens', () => {
    const { seen, at, flush } = lifecycle()
    // on 5 s, off 5 s, for ten minutes
    for (let ms = 0; ms < 600_000; ms += 10_000) {
      at(ms, { state: 'raised' })
      at(ms + 5_000, { state: 'cleared' })
    }
    flush()
    const ids = new Set(seen.map((s) => s.event.id))
    expect(ids.size).toBe(1)
    expect(seen.filter((s) => s.event.state === 'cleared').map((s) => s.frame)).toEqual([595_000 + 300_000])
    expect(seen[1]!.event).toMatchObject({ state: 'raised', flapping: true, evidence: { flaps: 1 } })
    expect(seen.at(-1)!.event).toMatchObject({ flapping: true, clearedAt: T0 + 595_000, evidence: { flaps: 59 } })
    // raised, flapping, cleared: not one event per cycle
    expect(brief(seen)).toEqual(['0 raised', '10000 raised flapping', '895000 cleared flapping'])
  })

  it('after a published clear the same key opens a new alarm with a new id', () => {
    const { seen, at, flush } = lifecycle()
    at(0, { state: 'raised' })
    at(5_000, { state: 'cleared' })
    at(100_000, { state: 'raised' })
    flush()
    expect(brief(seen)).toEqual(['0 raised', '35000 cleared', '100000 raised'])
    expect(seen[2]!.event.id).not.toBe(seen[0]!.event.id)
  })

  it('holds are configuration, per type', () => {
    const { seen, at, flush } = lifecycle({ clearHoldMs: 30_000, flappingHoldMs: 300_000, types: { door_open_too_long: { clearHoldMs: 0 } } })
    at(0, { state: 'raised' })
    at(5_000, { state: 'cleared' })
    at(6_000, { state: 'raised' })
    flush()
    expect(brief(seen)).toEqual(['0 raised', '5000 cleared', '6000 raised'])
  })

  it('history replayed after an outage moves an active alarm\'s start back and flags it late', () => {
    const { seen, at, flush } = lifecycle()
    at(60_000, { state: 'raised', evidence: { from: 'live' } })
    at(61_000, { state: 'raised', at: T0 + 5_000, late: true, evidence: { from: 'history' } })
    flush()
    expect(brief(seen)).toEqual(['60000 raised', '61000 raised'])
    expect(seen[1]!.event).toMatchObject({ id: seen[0]!.event.id, raisedAt: T0 + 5_000, late: true, updatedAt: 61_000 })
    // a raise that is neither earlier nor new evidence changes nothing
    const again = lifecycle()
    again.at(0, { state: 'raised' })
    again.at(1_000, { state: 'raised', at: T0 + 1_000 })
    again.flush()
    expect(again.seen).toHaveLength(1)
  })

  it('restores alarms active from before and clears them under their ids', () => {
    const { lc, seen, at, flush } = lifecycle({ clearHoldMs: 0, flappingHoldMs: 0 })
    const before: AlarmEvent = {
      v: 1, id: 'OLD', key: `${E1.elevatorId}:door_open_too_long`, type: 'door_open_too_long', code: null, severity: 'minor', state: 'raised',
      elevatorId: E1.elevatorId, region: E1.region, raisedAt: T0 - 5_000, clearedAt: null, evidence: {}, drill: false, flapping: true,
    }
    lc.restore([before])
    expect(lc.activeTypes(E1.elevatorId)).toEqual(['door_open_too_long'])
    at(1_000, { state: 'cleared' })
    flush()
    expect(seen.map((s) => [s.event.id, s.event.state, s.event.flapping])).toEqual([['OLD', 'cleared', true]])
  })

  it('a clear being held is not treated as active by a new detector instance; stop() cancels held clears', () => {
    const { lc, seen, at, when, flush } = lifecycle()
    at(0, { state: 'raised' })
    at(1_000, { state: 'cleared' })
    let during: unknown = null
    when(2_000, () => {
      during = { types: lc.activeTypes(E1.elevatorId), active: lc.active().length }
      lc.stop()
    })
    flush()
    expect(during).toEqual({ types: [], active: 1 })
    // stopped: the held clear is never published; the store keeps the alarm active for the next start
    expect(brief(seen)).toEqual(['0 raised'])
  })
})

describe('alarm lifecycle, two detectors on one type', () => {
  it('clears only when every detector that raised it has cleared', () => {
    const scheduler = vts()
    const seen: AlarmEvent[] = []
    const lc = new AlarmLifecycle({ newId: alarmIds(() => scheduler.now()), scheduler, config: { clearHoldMs: 0, flappingHoldMs: 0 }, emit: (e) => seen.push(e) })
    const s = (state: AlarmSignal['state'], source: string): AlarmSignal => ({ ...E1, type: 'overtravel_top', state, at: T0, evidence: {}, source })
    lc.apply(s('raised', 'overtravel-top'))
    lc.apply(s('raised', 'fault-code'))
    expect(lc.apply(s('cleared', 'fault-code'))).toBe('ignored')
    expect(seen.map((e) => e.state)).toEqual(['raised'])
    expect(lc.apply(s('cleared', 'overtravel-top'))).toBe('cleared')
    expect(seen.map((e) => e.state)).toEqual(['raised', 'cleared'])
  })
})
