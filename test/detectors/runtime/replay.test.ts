// Telemetry a gateway replays from its outbox after an outage is history: evaluated in event
// time apart from the live state (detectors/runtime/lifecycle.ts runMachine), through the lifecycle.
import { describe, expect, it } from 'vitest'
import type { ControllerState } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { entrapment } from '../../../detectors/entrapment.ts'
import { STUCK, T0, driveAlarms, tele } from '../harness.ts'

const S = 1_000
/** Live heartbeats before 60 s and from `back`; the outage's samples replayed from `back` + 1 s, 20 ms apart. */
function outage(stateAt: (ms: number) => Partial<ControllerState>, back = 600 * S, until = 900 * S) {
  const arrival = new Map<DetectorInput, number>()
  for (let ms = 0; ms < 60 * S; ms += 10 * S) arrival.set(tele(ms, stateAt(ms), undefined, 'heartbeat'), ms)
  for (let ms = back; ms <= until; ms += 10 * S) arrival.set(tele(ms, stateAt(ms), undefined, 'heartbeat'), ms)
  let at = back + S
  for (let ms = 60 * S; ms < back; ms += 10 * S, at += 20) arrival.set(tele(ms, stateAt(ms), undefined, 'replay'), at)
  const inputs = [...arrival.keys()]
  return { inputs, frameOf: (i: DetectorInput) => arrival.get(i) ?? i.ts - T0, until }
}
const run = (o: ReturnType<typeof outage>) => driveAlarms(entrapment, o.inputs, { frameOf: o.frameOf, until: o.until })

describe('replayed history', () => {
  it('an entrapment that began and ended during the outage is raised late with its true start, and cleared at its true end', () => {
    const out = run(outage((ms) => (ms >= 200 * S && ms < 300 * S ? STUCK : {})))
    expect(out.map((e) => [e.event.state, e.event.raisedAt - T0, e.event.clearedAt && e.event.clearedAt - T0, e.event.late])).toEqual([
      ['raised', 200 * S, null, true], ['cleared', 200 * S, 300 * S, true],
    ])
    // found when the history arrived, not at the time it happened
    expect(out[0]!.frame).toBeGreaterThan(600 * S)
  })

  it('an entrapment still going on when the gateway comes back is one alarm, from its true start, cleared live', () => {
    const out = run(outage((ms) => (ms >= 200 * S && ms < 700 * S ? STUCK : ms >= 700 * S ? { ...STUCK, door: 'open' } : {})))
    const ids = new Set(out.map((e) => e.event.id))
    expect(ids.size).toBe(1)
    expect(out.map((e) => e.event.state)).toEqual(['raised', 'cleared'])
    expect(out[0]!.event).toMatchObject({ raisedAt: T0 + 200 * S, late: true })
    expect(out.at(-1)!.event).toMatchObject({ state: 'cleared', raisedAt: T0 + 200 * S, clearedAt: T0 + 700 * S, late: true })
  })

  it('history that ends with the alarm raised hands it to the live state, which clears it', () => {
    // trapped from 500 s; the gateway is back at 600 s and the door opens at 605 s, before the
    // live state could have seen 15 s of it: only the handed-over alarm can be cleared
    const o = outage((ms) => (ms >= 500 * S && ms < 605 * S ? STUCK : {}))
    o.inputs.push(tele(605 * S, { ...STUCK, door: 'open' }))
    const out = run(o)
    expect(out.map((e) => [e.event.state, e.event.raisedAt - T0, e.event.clearedAt && e.event.clearedAt - T0])).toEqual([
      ['raised', 500 * S, null], ['cleared', 500 * S, 605 * S],
    ])
  })

  it('history that shows nothing wrong raises nothing', () => {
    expect(run(outage(() => ({})))).toEqual([])
  })
})
