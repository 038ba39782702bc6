// Issue 10, "Gateways": a gateway back online while one controller behind it is still unreachable.
// The gateway alarm clears; the unreachable elevator gets a communication_lost of its own, raised
// at once with the outage's true start — not folded into the gateway alarm for ever, not a fresh
// silence counted from the return. Through the runtime with every registered detector, in virtual time.
import { describe, expect, it } from 'vitest'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { FACTS, T0, availability, gateway, tele } from '../../detectors/harness.ts'
import { runRuntime, runRuntimeSeen } from './run-runtime.ts'

const GW = 'gw-9'
const car = (n: number) => ({ elevatorId: `330922311020240900${String(n).padStart(2, '0')}`, region: '330922', gatewayId: GW })
const [OK, UNREACHABLE, SILENT] = [car(1), car(2), car(3)]
const S = 1_000
const OFFLINE = 60 * S
const ONLINE = OFFLINE + 5 * 60 * S
const END = ONLINE + 5 * 60 * S

const run = (inputs: DetectorInput[]): AlarmEvent[] => runRuntime(inputs, { until: END, facts: () => FACTS })

/** Heartbeats before the outage for every car; the last will 15 s after the link broke; the status when it is back. */
function outage(): DetectorInput[] {
  const inputs: DetectorInput[] = []
  for (const who of [OK, UNREACHABLE, SILENT]) {
    for (let ms = 0; ms < OFFLINE; ms += 10 * S) inputs.push(tele(ms, {}, who, 'heartbeat'))
    inputs.push(gateway(OFFLINE + 15 * S, 'offline', who), gateway(ONLINE, 'online', who))
  }
  // back online: one car answers again (its next heartbeat within one interval)
  for (let ms = ONLINE + 3 * S; ms <= END; ms += 10 * S) inputs.push(tele(ms, {}, OK, 'heartbeat'))
  return inputs
}

const lost = (events: AlarmEvent[]) => events.filter((e) => e.type === 'communication_lost')
const about = (events: AlarmEvent[], id: string) => lost(events).filter((e) => e.elevatorId === id)

describe('a gateway back online with a controller behind it still unreachable', () => {
  it('clears the gateway alarm; the controller the gateway reports offline gets its own communication_lost at once, from the outage start', () => {
    // on reconnect the gateway republishes each elevator's retained availability (gateway/app.ts onConnect)
    const events = run([...outage(), availability(ONLINE, 'offline', UNREACHABLE, 'timeout'), ...Array.from({ length: 30 }, (_, k) => tele(ONLINE + 4 * S + k * 10 * S, {}, SILENT, 'heartbeat'))])
    const gw = lost(events).filter((e) => e.scope === 'gateway')
    expect(gw[0]).toMatchObject({ state: 'raised', elevatorId: GW, raisedAt: T0 + OFFLINE + 15 * S })
    expect(gw.at(-1)).toMatchObject({ state: 'cleared' })
    const own = about(events, UNREACHABLE.elevatorId)
    expect(own.map((e) => e.state)).toEqual(['raised'])
    expect(own[0]).toMatchObject({ raisedAt: T0 + OFFLINE + 15 * S, evidence: { cause: 'availability', reason: 'timeout' } })
    // raised when the gateway said so, not 30 s later
    expect(own[0]!.updatedAt ?? own[0]!.raisedAt).toBeLessThanOrEqual(T0 + ONLINE)
    expect(about(events, OK.elevatorId)).toEqual([])
    expect(about(events, SILENT.elevatorId)).toEqual([])
  })

  it('an elevator that sends nothing after the gateway\'s return gets its own communication_lost within one heartbeat or two, not 30 s later', () => {
    const inputs = [...outage(), ...Array.from({ length: 30 }, (_, k) => tele(ONLINE + 4 * S + k * 10 * S, {}, UNREACHABLE, 'heartbeat'))]
    const seen = runRuntimeSeen(inputs, { until: END, facts: () => FACTS })
    const events = seen.map((x) => x.e)
    const own = about(events, SILENT.elevatorId)
    expect(own.map((e) => e.state)).toEqual(['raised'])
    expect(own[0]).toMatchObject({ raisedAt: T0 + OFFLINE + 15 * S, evidence: { cause: 'silence' } })
    const at = seen.find((x) => x.e === own[0])!.frame
    expect(at).toBeGreaterThan(ONLINE + 10 * S)
    expect(at).toBeLessThan(ONLINE + 30 * S)
    // the gateway alarm clears once every elevator is either heard or alarmed on its own
    const gw = lost(events).filter((e) => e.scope === 'gateway')
    expect(new Set(gw.map((e) => e.id)).size).toBe(1)
    expect(gw.map((e) => e.state).filter((st, k, all) => st !== all[k - 1])).toEqual(['raised', 'cleared'])
    expect(gw.at(-1)!.clearedAt).toBe(T0 + ONLINE)
    expect(about(events, OK.elevatorId)).toEqual([])
    expect(about(events, UNREACHABLE.elevatorId)).toEqual([])
  })
})
