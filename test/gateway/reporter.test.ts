import { describe, expect, it } from 'vitest'
import { decode, encode, liftwatchRef, markReplay, validateAvailability, validateTelemetry, type ControllerState } from '../../protocol/index.ts'
import { ElevatorReporter } from '../../gateway/reporter.ts'
import { changed, deriveState } from '../../gateway/telemetry.ts'

const band = { position: 0.05, speed: 0.05, load: 2 }
const parked: ControllerState = {
  floor: '1', floorIndex: 1, position: 4, speed: 0, direction: 'none', moving: false, door: 'closed',
  doorZone: true, occupied: false, load: 0, alarmButton: false, safetyCircuit: true, mode: 'normal',
  power: 'mains', upLimit: false, downLimit: false, faultCode: 0,
}
const reporter = () => new ElevatorReporter({
  elevatorId: 'E1', region: '330922', gatewayId: 'gw-1', boot: 'boot-1', heartbeatMs: 10_000,
  offlineAfterFailures: 3, deadband: band,
})
const points = (s: ControllerState) => decode(liftwatchRef, encode(liftwatchRef, s))

describe('ElevatorReporter', () => {
  it('first sample: availability online, then a change; valid v1 payloads', () => {
    const r = reporter()
    const out = r.sample(points(parked), 1000)
    expect(out.map((m) => m.kind)).toEqual(['availability', 'change'])
    expect(out[0]!.topic).toBe('lift/v1/330922/E1/availability')
    expect(out[0]!.retain).toBe(true)
    const t = JSON.parse(out[1]!.payload)
    expect(validateTelemetry(t)).toMatchObject({ ok: true })
    expect(validateAvailability(JSON.parse(out[0]!.payload))).toMatchObject({ ok: true })
    expect(t).toMatchObject({ seq: 0, boot: 'boot-1', gateway: 'gw-1', reason: 'change', ts: 1000, ...parked })
  })

  it('unchanged samples send nothing until the heartbeat is due; seq counts every message', () => {
    const r = reporter()
    r.sample(points(parked), 0)
    for (let t = 200; t < 10_000; t += 200) expect(r.sample(points(parked), t)).toEqual([])
    const hb = r.sample(points(parked), 10_000)
    expect(hb).toHaveLength(1)
    expect(JSON.parse(hb[0]!.payload)).toMatchObject({ reason: 'heartbeat', seq: 1 })
    const moved = r.sample(points({ ...parked, door: 'opening' }), 10_200)
    expect(JSON.parse(moved[0]!.payload)).toMatchObject({ reason: 'change', seq: 2, door: 'opening' })
  })

  it('goes offline after N consecutive failures, once, and online on recovery with a fresh change', () => {
    const r = reporter()
    r.sample(points(parked), 0)
    expect(r.failure(1, 'LW_ERR_MODBUS_TIMEOUT', 200)).toEqual([])
    expect(r.failure(2, 'LW_ERR_MODBUS_TIMEOUT', 400)).toEqual([])
    const off = r.failure(3, 'LW_ERR_MODBUS_TIMEOUT', 600)
    expect(JSON.parse(off[0]!.payload)).toMatchObject({ state: 'offline', reason: 'LW_ERR_MODBUS_TIMEOUT' })
    expect(r.failure(4, 'LW_ERR_MODBUS_TIMEOUT', 800)).toEqual([])
    const back = r.sample(points(parked), 1000)
    expect(back.map((m) => m.kind)).toEqual(['availability', 'change'])
    expect(r.currentAvailability()!.payload).toContain('"online"')
  })

  it('says which elevator each message is about, and the availability state, without parsing it', () => {
    const r = reporter()
    const out = [...r.sample(points(parked), 0), ...r.failure(3, 'LW_ERR_MODBUS_TIMEOUT', 600)]
    expect(out.map((m) => [m.kind, m.elevatorId, m.kind === 'availability' ? m.state : '-'])).toEqual([
      ['availability', 'E1', 'online'], ['change', 'E1', '-'], ['availability', 'E1', 'offline'],
    ])
    for (const m of out) if (m.kind === 'availability') expect(JSON.parse(m.payload).state).toBe(m.state)
  })

  it('writes telemetry that markReplay marks in place, and availability it leaves alone', () => {
    const r = reporter()
    const [online, change] = r.sample(points(parked), 0)
    const replayed = markReplay(change!.payload)
    expect(replayed).toBe(change!.payload.replace('"reason":"change"', '"reason":"replay"'))
    expect(JSON.parse(replayed)).toEqual({ ...JSON.parse(change!.payload), reason: 'replay' })
    expect(markReplay(online!.payload)).toBe(online!.payload)
    const [off] = r.failure(3, 'LW_ERR_MODBUS_TIMEOUT', 600)
    expect(markReplay(off!.payload)).toBe(off!.payload)
  })
})

describe('changed', () => {
  it('discrete fields always, numbers past their deadband, stopping always', () => {
    expect(changed(parked, { ...parked, alarmButton: true }, band)).toBe(true)
    expect(changed(parked, { ...parked, position: 4.01 }, band)).toBe(false)
    expect(changed(parked, { ...parked, position: 4.06 }, band)).toBe(true)
    expect(changed({ ...parked, speed: 0.02 }, parked, band)).toBe(true)
    expect(changed(parked, { ...parked, load: null }, band)).toBe(true)
  })
})

describe('deriveState for retrofit signals', () => {
  const landings = [{ label: 'B1', height: 0 }, { label: '1', height: 3.5 }, { label: '2', height: 6.5 }]
  it('floor from position, speed and direction from position differences, door from contacts', () => {
    const a = deriveState({ position: 3.5, doorClosed: true, doorOpenLimit: false, doorZone: true }, 0, { landings })
    expect(a).toMatchObject({ floor: '1', floorIndex: 1, speed: 0, moving: false, direction: 'none', door: 'closed', mode: 'normal', power: 'mains' })
    const b = deriveState({ position: 4.5, doorClosed: true, doorOpenLimit: false }, 1000, { landings, prev: { state: a, ts: 0 } })
    expect(b).toMatchObject({ speed: 1, moving: true, direction: 'up' })
    const c = deriveState({ position: 3.5, doorClosed: false, doorOpenLimit: false, inspection: true, mainsPresent: false }, 2000, { landings, prev: { state: a, ts: 1000 } })
    expect(c).toMatchObject({ door: 'opening', mode: 'inspection', power: 'off' })
  })
})
