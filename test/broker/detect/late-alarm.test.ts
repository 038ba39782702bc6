// Issue 10: "A late alarm tells 'still trapped' apart from 'already released'." A gateway is
// offline for 10 minutes while a passenger is trapped; its outbox replays the outage afterwards,
// behind the live samples it sends first (gateway/outbox/README.md). The entrapment found in that
// history is raised late with its true start, and says whether the live data shows the passenger
// still trapped (`ongoing: true`) or already out (`ongoing: false`). Every registered detector,
// through the runtime, in virtual time.
import { describe, expect, it } from 'vitest'
import type { AlarmEvent, ControllerState } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { FACTS, STUCK, T0, E1, gateway, tele } from '../../detectors/harness.ts'
import { runRuntime } from './run-runtime.ts'

const S = 1_000
const OFFLINE = 60 * S
const ONLINE = OFFLINE + 10 * 60 * S
const TRAP_FROM = 120 * S
const END = ONLINE + 5 * 60 * S

/** The car at `ms`: idle, on its way up at 110 s, stuck from 120 s until `releasedAt`, then at floor 3, door open once. */
function stateAt(ms: number, releasedAt: number): Partial<ControllerState> {
  if (ms === TRAP_FROM - 10 * S) return { moving: true, direction: 'up', speed: 1.5, position: 7, floor: '2', floorIndex: 1, doorZone: false, occupied: true }
  if (ms < TRAP_FROM) return {}
  if (ms < releasedAt) return STUCK
  const atThree = { floor: '3', floorIndex: 3, position: 10, doorZone: true }
  return ms === releasedAt ? { ...atThree, door: 'open', occupied: true } : atThree
}

/** The alarms of an outage with the passenger released at `releasedAt` (Infinity: not by the end). */
function outage(releasedAt: number): AlarmEvent[] {
  const arrivals = new Map<DetectorInput, number>()
  const live = (i: DetectorInput) => arrivals.set(i, i.ts - T0)
  for (let ms = 0; ms < OFFLINE; ms += 10 * S) live(tele(ms, stateAt(ms, releasedAt), E1, 'heartbeat'))
  live(gateway(OFFLINE + 15 * S, 'offline'))
  live(gateway(ONLINE, 'online'))
  // the live samples from ONLINE on; the replay of the outage starts 100 ms after the first
  for (let ms = ONLINE; ms <= END; ms += 10 * S) live(tele(ms, stateAt(ms, releasedAt), E1, 'heartbeat'))
  let arrive = ONLINE + 100
  for (let ms = OFFLINE; ms < ONLINE; ms += 10 * S) {
    arrivals.set(tele(ms, stateAt(ms, releasedAt), E1, 'replay'), arrive)
    arrive += 50
  }
  const events = runRuntime([...arrivals.keys()], { until: END + 60 * S, facts: () => FACTS, frameOf: (i) => arrivals.get(i)! })
  return events.filter((e) => e.type === 'entrapment')
}

describe('an entrapment found in history replayed after an outage', () => {
  it('still trapped when the history arrives: raised late, ongoing', () => {
    const events = outage(Infinity)
    const raised = events.filter((e) => e.state === 'raised')
    expect(new Set(raised.map((e) => e.id)).size).toBe(1)
    expect(raised[0]).toMatchObject({ raisedAt: T0 + TRAP_FROM, late: true, ongoing: true })
    // the broker learnt of it when the history arrived, not when it began
    expect(raised[0]!.detectedAt).toBeGreaterThanOrEqual(ONLINE)
    expect(events.filter((e) => e.state === 'cleared')).toEqual([])
  })

  it('released during the outage: raised late, not ongoing, and cleared at the release', () => {
    const releasedAt = 400 * S
    const events = outage(releasedAt)
    const raised = events.filter((e) => e.state === 'raised')
    expect(raised[0]).toMatchObject({ raisedAt: T0 + TRAP_FROM, late: true, ongoing: false })
    expect(events.filter((e) => e.state === 'cleared').map((e) => e.clearedAt)).toEqual([T0 + releasedAt])
  })

  it('released after the gateway came back, before the history arrived: not ongoing', () => {
    // the first live sample after the outage shows the door open at floor 3
    const events = outage(ONLINE)
    const raised = events.filter((e) => e.state === 'raised')
    expect(raised[0]).toMatchObject({ raisedAt: T0 + TRAP_FROM, late: true, ongoing: false })
  })
})
