// What the reporter makes of a profile's own conventions: a signed speed (negative = down), a
// trip's first samples, values the v1 contract rejects, and the profile's faultCodes. Pure: the
// reporter is fed decoded registers, no Modbus, no MQTT.
import { describe, expect, it } from 'vitest'
import { decode, encode, validateTelemetry, type PointValue, type Problem, type Profile } from '../../protocol/index.ts'
import { ElevatorReporter, type OutMessage } from '../../gateway/reporter.ts'
import { deriveState, speedSignOf } from '../../gateway/telemetry.ts'
import { signedCdab as signedCdabProfile } from './signed-cdab.ts'

/** A controller that reports speed in mm/s with its sign, 32-bit values low word first (CDAB). */
const signedCdab: Profile = signedCdabProfile({ name: 'signed-cdab', description: 'signed speed, CDAB words', faultCodes: { 33: 'safety_circuit_open' } })

function reporter(profile: Profile, rejected: Problem[][] = []) {
  return new ElevatorReporter({
    elevatorId: 'E1', region: '330922', gatewayId: 'gw-1', boot: 'boot-1', heartbeatMs: 10_000, offlineAfterFailures: 3,
    deadband: { position: 0.05, speed: 0.05, load: 2 }, speedSign: speedSignOf(profile), faultCodes: profile.faultCodes,
    onInvalid: (problems) => rejected.push(problems),
  })
}
const sampled = (p: Profile, values: Record<string, PointValue>) => decode(p, encode(p, values))
const telemetry = (out: OutMessage[]) => out.filter((m) => m.kind === 'change' || m.kind === 'heartbeat').map((m) => JSON.parse(m.payload) as Record<string, unknown>)

const PARKED = { moving: false, doorZone: true, floorIndex: 3, position: 9, speed: 0, door: 'closed', faultCode: 0, floor: '4' }

describe('a signed speed', () => {
  it('a trip down is published with speed ≥ 0 and direction down, every message valid', () => {
    const r = reporter(signedCdab)
    const trip = [
      PARKED,
      { ...PARKED, moving: true },                                  // contactor in, not moving yet
      { ...PARKED, moving: true, speed: -0.4, position: 8.96, doorZone: false },
      { ...PARKED, moving: true, speed: -1.0, position: 8.5, doorZone: false },
      { ...PARKED, moving: true, speed: -1.0, position: 7.5, doorZone: false },
      { ...PARKED, moving: false, speed: 0, position: 6, floorIndex: 2, floor: '3' },
    ]
    const sent = trip.flatMap((v, i) => telemetry(r.sample(sampled(signedCdab, v), i * 200)))
    for (const t of sent) expect(validateTelemetry(t), JSON.stringify(t)).toMatchObject({ ok: true })
    const moving = sent.filter((t) => t.moving)
    expect(moving.map((t) => [t.direction, t.speed])).toEqual([['down', 0.4], ['down', 1], ['down', 1]])
    expect(sent.at(-1)).toMatchObject({ moving: false, direction: 'none', speed: 0, floorIndex: 2 })
  })

  it('up-negative reads the other way; abs keeps only the magnitude; an unsigned speed never gives a direction', () => {
    const at = (sign: 'up-negative' | 'abs' | undefined, speed: number) => deriveState({ moving: true, speed, position: 5 }, 0, { speedSign: sign })
    expect(at('up-negative', -0.5)).toMatchObject({ speed: 0.5, direction: 'up' })
    expect(at('up-negative', 0.5)).toMatchObject({ speed: 0.5, direction: 'down' })
    expect(at('abs', -0.5)).toMatchObject({ speed: 0.5, direction: 'none' })
    expect(at(undefined, 0.5)).toMatchObject({ speed: 0.5, direction: 'none' })
    expect(speedSignOf({ ...signedCdab, points: { speed: { area: 'input', address: 1, type: 'i16' } } })).toBe('down-negative')
    expect(speedSignOf({ ...signedCdab, points: { speed: { area: 'input', address: 1, type: 'u16' } } })).toBeUndefined()
  })
})

describe('the first samples of a trip', () => {
  // a retrofit car with a run contactor and a laser, no direction contactors
  const retrofit = (moving: boolean, position: number) => ({ moving, position, doorClosed: true, doorOpenLimit: false })

  it('never say moving with direction none while the position can still tell', () => {
    const r = reporter(signedCdab)
    const sent = [
      r.sample(retrofit(false, 3.5), 0), r.sample(retrofit(true, 3.5), 200), r.sample(retrofit(true, 3.5), 400),
      r.sample(retrofit(true, 3.6), 600), r.sample(retrofit(true, 3.6), 800), r.sample(retrofit(true, 4.2), 1000),
    ].flatMap(telemetry)
    expect(sent.map((t) => [t.moving, t.direction])).toEqual([[false, 'none'], [true, 'up'], [true, 'up'], [true, 'up']])
    expect(sent[1]).toMatchObject({ ts: 600, seq: 1 })
  })

  it('say it after a second when the position never moves (a stuck car is news too)', () => {
    const r = reporter(signedCdab)
    const sent = [0, 200, 400, 600, 800, 1000, 1200, 1400].flatMap((t) => telemetry(r.sample(retrofit(t > 0, 3.5), t)))
    expect(sent.map((t) => [t.ts, t.moving, t.direction])).toEqual([[0, false, 'none'], [1200, true, 'none']])
  })
})

describe('the v1 contract, before the outbox', () => {
  it('a message the contract rejects is reported, never published, and takes no seq', () => {
    const rejected: Problem[][] = []
    const r = reporter(signedCdab, rejected)
    const out = [
      ...r.sample(sampled(signedCdab, PARKED), 0),
      ...r.sample(sampled(signedCdab, { ...PARKED, floor: 'LOBBY-EAST-1' }), 200),
      ...r.sample(sampled(signedCdab, { ...PARKED, floor: 'L1' }), 400),
    ]
    expect(rejected).toEqual([[{ path: 'floor', message: 'must NOT have more than 8 characters' }]])
    const sent = telemetry(out)
    expect(sent.map((t) => [t.seq, t.floor])).toEqual([[0, '4'], [1, 'L1']])
  })
})

describe("the profile's faultCodes", () => {
  it('travel with the code as faultType: the mapped type, null when unmapped, absent for 0', () => {
    const r = reporter(signedCdab)
    const sent = [
      r.sample(sampled(signedCdab, PARKED), 0),
      r.sample(sampled(signedCdab, { ...PARKED, faultCode: 33 }), 200),
      r.sample(sampled(signedCdab, { ...PARKED, faultCode: 81 }), 400),
    ].flatMap(telemetry)
    expect(sent.map((t) => [t.faultCode, 'faultType' in t ? t.faultType : 'absent'])).toEqual([[0, 'absent'], [33, 'safety_circuit_open'], [81, null]])
    for (const t of sent) expect(validateTelemetry(t)).toMatchObject({ ok: true })
  })
})
