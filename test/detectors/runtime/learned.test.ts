// Learned state across a restart, per detector, in virtual time: a run cut in two, the second half
// on a fresh instance given the first half's snapshot (as JSON, as the store keeps it), signals
// the same alarms as the run uninterrupted; without the snapshot it does not.
import { describe, expect, it } from 'vitest'
import { Value } from '@sinclair/typebox/value'
import type { AlarmType, Mode } from '../../../protocol/index.ts'
import { anomaly } from '../../../detectors/anomaly.ts'
import { longIdle } from '../../../detectors/long-idle.ts'
import { maintenanceOverdue } from '../../../detectors/maintenance-overdue.ts'
import { MachineDriver } from '../../../detectors/runtime/driver.ts'
import type { LearnedRecord } from '../../../detectors/runtime/learned.ts'
import type { AlarmSignal, Detector, DetectorInput } from '../../../detectors/runtime/types.ts'
import { FACTS, T0, tele, vts } from '../harness.ts'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR

interface Half { signals: { frame: number; signal: AlarmSignal }[]; snapshot: LearnedRecord | null; restored: unknown }

/** One instance over `inputs` from virtual time `from` to `until`, optionally restored first. */
function half(d: Detector, config: Record<string, unknown>, inputs: readonly DetectorInput[], from: number, until: number,
  opts: { restore?: LearnedRecord | null; active?: AlarmType[] } = {}): Half {
  const scheduler = vts(until)
  scheduler.frame = from
  const cfg = Value.Default(d.configSchema, structuredClone(config))
  if (!Value.Check(d.configSchema, cfg)) throw new Error(`bad test config for ${d.id}`)
  const m = d.machine!(cfg, { scheduler, elevator: FACTS, active: opts.active ?? [] })
  const signals: Half['signals'] = []
  const driver = new MachineDriver(m.machine, scheduler, { signal: (signal) => signals.push({ frame: scheduler.now(), signal }), fail: (err) => { throw err } })
  // through JSON, as the store keeps it
  const restored = opts.restore ? driver.restore(JSON.parse(JSON.stringify(opts.restore)) as LearnedRecord) : undefined
  for (const i of inputs) {
    const at = i.ts - T0
    if (at >= from && at < until) scheduler.schedule(() => driver.input(i), at - from)
  }
  scheduler.flush()
  return { signals, snapshot: driver.snapshot(), restored }
}

/** The run uninterrupted, cut at `cut` with the snapshot, and cut without it: signals after the cut. */
function cutAt(d: Detector, config: Record<string, unknown>, inputs: readonly DetectorInput[], cut: number, until: number) {
  const whole = half(d, config, inputs, 0, until).signals.filter((s) => s.frame >= cut)
  const first = half(d, config, inputs, 0, cut)
  const active = first.signals.filter((s) => s.signal.state === 'raised').map((s) => s.signal.type)
  const restarted = half(d, config, inputs, cut, until, { restore: first.snapshot, active })
  const forgot = half(d, config, inputs, cut, until, { active })
  return { whole, restarted, forgot, first }
}

const raisedAt = (s: Half['signals']) => s.filter((x) => x.signal.state === 'raised').map((x) => x.frame)

/** Heartbeats of one state every `every` ms over [from, to). */
function beats(from: number, to: number, every: number, state: Parameters<typeof tele>[1] = {}): DetectorInput[] {
  const out: DetectorInput[] = []
  for (let ms = from; ms < to; ms += every) out.push(tele(ms, state, undefined, 'heartbeat'))
  return out
}

describe('learned state across a restart', () => {
  it('anomaly: the baseline learned before the restart judges a drift after it, as without the restart', () => {
    const every = 15 * MIN
    const inputs: DetectorInput[] = []
    const cycle = (at: number, closing: number, mode: Mode = 'normal') => {
      const door = (x: 'open' | 'opening' | 'closing' | 'closed', ms: number) => tele(ms, { door: x, mode })
      inputs.push(door('closed', at - 5_000), door('opening', at), door('open', at + 2_500), door('closing', at + 5_500), door('closed', at + 5_500 + closing))
    }
    // 60 steady cycles (2.9–3.1 s closing), the restart, then the closing slows to 4.5 s
    for (let k = 0; k < 60; k++) cycle(k * every, 2900 + 100 * (k % 3))
    const cut = 60 * every
    for (let k = 0; k < 30; k++) cycle(cut + k * every + MIN, 4500)
    const until = cut + 31 * every
    const config = { learnEveryMs: 0 }
    const r = cutAt(anomaly, config, inputs, cut, until)
    expect(r.first.snapshot).not.toBeNull()
    expect(raisedAt(r.whole)).toHaveLength(1)
    expect(r.restarted.restored).toBe(true)
    expect(r.restarted.signals).toEqual(r.whole)
    // forgotten, the baseline would take 59 new cycles to judge anything
    expect(raisedAt(r.forgot.signals)).toEqual([])
  })

  it('long_idle: the idle count goes on across the restart', () => {
    const config = { staleAfterMs: HOUR }
    // a trip, then idle at the landing; the broker restarts 20 h into the idle time
    const inputs = [tele(0, { moving: true, speed: 1 }), tele(MIN, {}), ...beats(10 * MIN, 50 * HOUR, 10 * MIN)]
    const cut = 20 * HOUR
    const r = cutAt(longIdle, config, inputs, cut, 50 * HOUR)
    expect(raisedAt(r.whole)).toEqual([MIN + DAY])
    expect(r.restarted.restored).toBe(true)
    expect(r.restarted.signals).toEqual(r.whole)
    // counted from zero at the restart, it would be a day late
    expect(raisedAt(r.forgot.signals)).toEqual([cut + DAY])
  })

  it('long_idle: an alarm raised before the restart is neither raised again nor cleared', () => {
    const inputs = [tele(0, { moving: true, speed: 1 }), tele(MIN, {}), ...beats(10 * MIN, 40 * HOUR, 10 * MIN)]
    const r = cutAt(longIdle, { staleAfterMs: HOUR }, inputs, 30 * HOUR, 40 * HOUR)
    expect(raisedAt(r.first.signals)).toEqual([MIN + DAY])
    expect(r.whole).toEqual([])
    expect(r.restarted.signals).toEqual([])
  })

  it('maintenance_overdue: the last visit is remembered across the restart', () => {
    const config = { staleAfterMs: 2 * HOUR }
    // a 30-minute inspection visit on day 1, hourly heartbeats, the broker restarted on day 10
    const inputs = [...beats(0, DAY, HOUR), ...beats(DAY, DAY + 31 * MIN, MIN, { mode: 'inspection' }), ...beats(DAY + 31 * MIN, 20 * DAY, HOUR)]
    const cut = 10 * DAY
    const r = cutAt(maintenanceOverdue, config, inputs, cut, 20 * DAY)
    expect(raisedAt(r.whole)).toHaveLength(1)
    expect(raisedAt(r.whole)[0]).toBeGreaterThan(16 * DAY)
    expect(r.restarted.restored).toBe(true)
    expect(r.restarted.signals).toEqual(r.whole)
    // the period counted from the restart would end on day 25
    expect(raisedAt(r.forgot.signals)).toEqual([])
  })

  it('drops a snapshot of another version, made under other settings, or malformed', () => {
    const inputs = [tele(0, { moving: true, speed: 1 }), ...beats(MIN, 2 * HOUR, 10 * MIN)]
    const { snapshot } = half(longIdle, {}, inputs, 0, 2 * HOUR)
    expect(snapshot).not.toBeNull()
    const restoreWith = (config: Record<string, unknown>, r: LearnedRecord) => half(longIdle, config, [], 0, 1, { restore: r }).restored
    expect(restoreWith({}, snapshot!)).toBe(true)
    expect(restoreWith({}, { ...snapshot!, version: 99 })).toBe('version')
    expect(restoreWith({ modes: ['normal', 'fire'] }, snapshot!)).toBe('settings')
    // a threshold the learned count does not depend on keeps it
    expect(restoreWith({ maxIdleMs: 2 * DAY }, snapshot!)).toBe(true)
    expect(restoreWith({}, { ...snapshot!, data: { idleSince: 'yesterday', floorIndex: 0 } })).toBe('invalid')
    const a = half(anomaly, { learnEveryMs: 0 }, [], 0, 1)
    expect(a.snapshot).toBeNull()
    const bad = { version: 1, fingerprint: JSON.stringify([64, 9, 20, ['normal']]), data: { windows: [1, 2], track: [], cycles: 0, reopens: 0 } }
    expect(half(anomaly, {}, [], 0, 1, { restore: bad }).restored).toBe('invalid')
    expect(half(anomaly, { baselineSize: 32 }, [], 0, 1, { restore: bad }).restored).toBe('settings')
  })
})
