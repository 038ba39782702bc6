// Acceptance (detectors issue): a gateway outage of 10 minutes with an entrapment during it
// raises the entrapment once, late, with its true start time, and no per-elevator
// communication_lost flood — through the runtime with every registered detector, in virtual time.
import { describe, expect, it } from 'vitest'
import type { ControllerState } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { FACTS, STUCK, T0, gateway, tele } from '../../detectors/harness.ts'
import { runRuntime } from './run-runtime.ts'

const GW = 'gw-7'
const ELEVATORS = Array.from({ length: 20 }, (_, i) => ({ elevatorId: `3309223110202408${String(i + 1).padStart(4, '0')}`, region: '330922', gatewayId: GW }))
const [TRAPPED] = ELEVATORS
const S = 1_000
const OFFLINE = 60 * S
const ONLINE = OFFLINE + 10 * 60 * S
const TRAP = { from: 120 * S, to: 400 * S }

/** What each elevator reported at `ms`: idle, except the trapped car between TRAP.from and TRAP.to. */
const stateAt = (who: typeof TRAPPED, ms: number): Partial<ControllerState> => {
  if (who !== TRAPPED) return {}
  // on its way up from the lobby when it stopped between floors
  if (ms === TRAP.from - 10 * S) return { moving: true, direction: 'up', speed: 1.5, position: 7, floor: '2', floorIndex: 1, doorZone: false, occupied: true }
  if (ms < TRAP.from) return {}
  if (ms < TRAP.to) return STUCK
  // the rescuer winds the car to the landing at 3 and opens the door; then it stands there
  const atThree = { floor: '3', floorIndex: 3, position: 10, doorZone: true }
  return ms === TRAP.to ? { ...atThree, door: 'open', occupied: true } : atThree
}

/** Every input with the frame it arrives at. */
function outage(): Map<DetectorInput, number> {
  const arrivals = new Map<DetectorInput, number>()
  const live = (i: DetectorInput) => arrivals.set(i, i.ts - T0)
  for (const who of ELEVATORS) {
    // live heartbeats before the outage and after it
    for (let ms = 0; ms < OFFLINE; ms += 10 * S) live(tele(ms, stateAt(who, ms), who, 'heartbeat'))
    for (let ms = ONLINE; ms <= ONLINE + 10 * 60 * S; ms += 10 * S) live(tele(ms, stateAt(who, ms), who, 'heartbeat'))
    // the last will 15 s after the link broke (keepalive), then the gateway's status when it is back
    live(gateway(OFFLINE + 15 * S, 'offline', who))
    live(gateway(ONLINE, 'online', who))
  }
  // the outbox replays what was sampled during the outage, paced (50 ms per round of 20 cars)
  // while live data flows: each message arrives from ONLINE on, with the ts it was sampled at
  let arrive = ONLINE + 100
  for (let ms = OFFLINE; ms < ONLINE; ms += 10 * S) {
    for (const who of ELEVATORS) arrivals.set(tele(ms, stateAt(who, ms), who, 'replay'), arrive)
    arrive += 50
  }
  return arrivals
}

describe('a 10-minute gateway outage with an entrapment during it', () => {
  it('raises the entrapment once, late, with its true start; one gateway alarm instead of 20 communication_lost', () => {
    const arrivals = outage()
    const events = runRuntime([...arrivals.keys()], { until: ONLINE + 10 * 60 * S, facts: () => FACTS, frameOf: (i) => arrivals.get(i)! })

    const raised = events.filter((e) => e.state === 'raised')
    const entrapments = raised.filter((e) => e.type === 'entrapment')
    expect(new Set(entrapments.map((e) => e.id)).size).toBe(1)
    expect(entrapments[0]).toMatchObject({ elevatorId: TRAPPED!.elevatorId, raisedAt: T0 + TRAP.from, late: true })
    const cleared = events.filter((e) => e.state === 'cleared' && e.type === 'entrapment')
    expect(cleared.map((e) => e.clearedAt)).toEqual([T0 + TRAP.to])

    const lost = raised.filter((e) => e.type === 'communication_lost')
    expect(lost.filter((e) => e.scope !== "gateway")).toEqual([])
    expect(new Set(lost.map((e) => e.id)).size).toBe(1)
    expect(lost[0]).toMatchObject({ scope: 'gateway', gatewayId: GW, elevatorId: GW, raisedAt: T0 + OFFLINE + 15 * S })
    expect(lost.at(-1)!.elevators).toEqual(ELEVATORS.map((e) => e.elevatorId).sort())
    expect(events.filter((e) => e.type === 'communication_lost' && e.state === 'cleared')).toHaveLength(1)
    // and, as true of a car stopped 280 s between floors, stop_outside_door_zone: late, from the same start
    const others = raised.filter((e) => e.type !== 'communication_lost' && e.type !== 'entrapment')
    expect(others.map((e) => [e.type, e.elevatorId, e.raisedAt - T0, e.late])).toEqual([['stop_outside_door_zone', TRAPPED!.elevatorId, TRAP.from, true]])
  })
})
