// Commissioning that used to pass what was wrong: a position read in the wrong word order, door
// contacts that contradict each other; the steps it never asked for (door zone, presence sensor,
// safety chain); and a failed read that did not say where. Pure: the checklist is fed decoded
// samples (gateway/commission/checklist.ts), registers encoded with protocol/codec.ts.
import { describe, expect, it } from 'vitest'
import { decode, encode, liftwatchRef, type Profile } from '../../../protocol/index.ts'
import { loadProfile } from '../../../gateway/profiles.ts'
import { GatewayError, GatewayErrorCode } from '../../../gateway/errors.ts'
import { advance, createChecklist, summary, type ChecklistOptions, type ChecklistState } from '../../../gateway/commission/checklist.ts'
import { errorInfo } from '../../../gateway/commission/snapshot.ts'
import { statsLine } from '../../../gateway/commission/render.ts'
import { STEP_IDS, type StepId, type Values } from '../../../gateway/commission/steps.ts'

/** Samples one second apart, each the previous one with changes applied. */
function feed(s: ChecklistState, start: Values, changes: Record<string, Values[string]>[], t0 = 1000): ChecklistState {
  let prev = start
  let t = t0
  for (const c of changes) {
    const cur = { ...prev, ...c }
    s = advance(s, prev, cur, t)
    prev = cur
    t += 1000
  }
  return s
}
const results = (s: ChecklistState) => s.results.map((r) => `${r.id}:${r.status}:${r.reason}`)

describe('the top and bottom steps check the position against the landing heights', () => {
  // the controller stores position as f32, low word first (CDAB); the profile was written ABCD
  const cdab: Profile = { ...liftwatchRef, points: { ...liftwatchRef.points, position: { area: 'input', address: 1, type: 'f32', order: 'CDAB' } } }
  const asAbcd: Profile = { ...cdab, points: { ...cdab.points, position: { ...cdab.points.position!, order: 'ABCD' } } }
  const heights = Array.from({ length: 16 }, (_, i) => i * 3)
  /** What the misconfigured gateway decodes from the controller's registers. */
  const read = (profile: Profile, v: Record<string, unknown>): Values => decode(profile, encode(cdab, { ...PARKED, ...v }))
  const PARKED = { floor: '1', floorIndex: 0, position: 0, moving: false, door: 'closed', doorZone: true, landings: 16 }
  const trip = (profile: Profile) => [
    read(profile, { moving: true, floorIndex: 6, position: 18 }), read(profile, { moving: true, floorIndex: 15, position: 45 }),
    read(profile, { floorIndex: 15, position: 45 }),
  ]
  const opts = (over: Partial<ChecklistOptions>): ChecklistOptions => ({ timeoutMs: 60_000, context: { tolerance: 0.15 }, points: Object.keys(cdab.points), steps: ['top'] as StepId[], ...over })

  it('CDAB configured as ABCD: 2.4e-41 m at the top landing fails the step, against the configured heights', () => {
    expect(trip(asAbcd)[2]!.position).toBeCloseTo(2.37e-41, 43)
    const start = read(asAbcd, {})
    const s = feed(createChecklist(opts({ context: { tolerance: 0.15, landingHeights: heights } }), 0, start), start, trip(asAbcd))
    expect(results(s)).toEqual(['top:fail:mismatch'])
    expect(s.results[0]!.detail).toBe('position 2.37e-41 m at landing 15, but its height is 45.000 m (± 0.15): check the position\'s order, type, scale and offset')
    expect(summary(s)).toMatchObject({ pass: 0, fail: 1 })
  })

  it('without configured heights: against what 15 storeys can be', () => {
    const start = read(asAbcd, {})
    const s = feed(createChecklist(opts({}), 0, start), start, trip(asAbcd))
    expect(s.results[0]).toMatchObject({ status: 'fail', reason: 'mismatch' })
    expect(s.results[0]!.detail).toMatch(/^position 2\.37e-41 m at landing 15, outside 22\.5…300 m for 15 storeys above the lowest/)
  })

  it('the right word order passes; the bottom landing must read 0', () => {
    const start = read(cdab, {})
    const ok = feed(createChecklist(opts({ context: { tolerance: 0.15, landingHeights: heights } }), 0, start), start, trip(cdab))
    expect(results(ok)).toEqual(['top:pass:seen'])
    const top = read(cdab, { floorIndex: 15, position: 45 })
    const bottom = feed(createChecklist(opts({ steps: ['bottom'] }), 0, top), top, [
      read(cdab, { moving: true, floorIndex: 3, position: 10.2 }), read(cdab, { floorIndex: 0, position: 1.2 }),
    ])
    expect(results(bottom)).toEqual(['bottom:fail:mismatch'])
    expect(bottom.results[0]!.detail).toMatch(/^position 1\.200 m at landing 0, the lowest, where it must read 0/)
  })
})

describe('door contacts must agree', () => {
  const profile = loadProfile('io-retrofit')
  const ctx = { tolerance: 0.15, landingHeights: [0, 4, 7, 10] }
  const IO: Values = { doorClosed: true, doorOpenLimit: false, doorZone: true, alarmButton: false, moving: false, inspection: false, position: 4.002 }
  const only = (id: StepId) => createChecklist({ timeoutMs: 60_000, context: ctx, points: Object.keys(profile.points), steps: [id] }, 0, IO)

  it('door open with the closed contact still on (bridged) fails, naming both contacts', () => {
    const s = feed(only('doorOpen'), IO, [{ doorOpenLimit: true }])
    expect(results(s)).toEqual(['doorOpen:fail:mismatch'])
    expect(s.results[0]!.detail).toBe('doorClosed and doorOpenLimit are both true: one contact is bridged, stuck or wired to the wrong input')
  })

  it('door closed with the open limit stuck on fails; contacts that agree pass', () => {
    const open = { ...IO, doorClosed: false, doorOpenLimit: true }
    expect(results(feed(only('doorClose'), open, [{ doorClosed: true }]))).toEqual(['doorClose:fail:mismatch'])
    expect(results(feed(only('doorClose'), open, [{ doorOpenLimit: false }, { doorClosed: true }]))).toEqual(['doorClose:pass:seen'])
  })
})

describe('the door zone, the presence sensor and the safety chain are asked for', () => {
  const REF = Object.keys(liftwatchRef.points)
  const IDLE: Values = { floor: '1', floorIndex: 0, landings: 4, moving: false, door: 'closed', doorZone: true, occupied: false, safetyCircuit: true, alarmButton: false, mode: 'normal', position: 0 }
  const only = (id: StepId, start = IDLE) => createChecklist({ timeoutMs: 60_000, context: { tolerance: 0.15 }, points: REF, steps: [id] }, 0, start)

  it('are in the default checklist', () => {
    expect(STEP_IDS).toEqual(['top', 'bottom', 'doorZone', 'doorOpen', 'doorClose', 'presence', 'alarm', 'inspection', 'safetyChain', 'normal'])
  })

  it('door zone: off while the car is away, on again at the landing; an input stuck on never passes', () => {
    const s = feed(only('doorZone'), IDLE, [{ moving: true }, { moving: true, doorZone: false }, { moving: false, doorZone: true }])
    expect(results(s)).toEqual(['doorZone:pass:seen'])
    expect(s.results[0]).toMatchObject({ endedAt: 3000, before: { doorZone: true }, observed: { doorZone: true, moving: false } })
    // a door-zone input stuck on never passes
    expect(results(feed(createChecklist({ timeoutMs: 3000, context: { tolerance: 0.15 }, points: REF, steps: ['doorZone'] }, 0, IDLE), IDLE, [{ moving: true }, { moving: false }, {}]))).toEqual(['doorZone:fail:timeout'])
  })

  it('presence: someone steps in; a sensor that is not fitted (null) cannot pass', () => {
    expect(results(feed(only('presence'), IDLE, [{ door: 'open' }, { occupied: true }]))).toEqual(['presence:pass:seen'])
    expect(results(feed(only('presence', { ...IDLE, occupied: null }), { ...IDLE, occupied: null }, [{ door: 'open' }, {}]))).toEqual([])
  })

  it('safety chain: the stop switch opens it', () => {
    expect(results(feed(only('safetyChain'), IDLE, [{ mode: 'inspection' }, { safetyCircuit: false }]))).toEqual(['safetyChain:pass:seen'])
  })

  it('a profile without those signals records them as unmapped', () => {
    const s = createChecklist({ timeoutMs: 60_000, context: { tolerance: 0.15 }, points: ['floorIndex', 'door', 'mode'], steps: ['doorZone', 'presence', 'safetyChain'] }, 0, IDLE)
    expect(results(s)).toEqual(['doorZone:skip:unmapped', 'presence:skip:unmapped', 'safetyChain:skip:unmapped'])
  })
})

describe('a read that fails names its address', () => {
  const refused = new GatewayError(GatewayErrorCode.ModbusException, 'exception 2', { link: 'l', unitId: 1, area: 'holding', address: 100, count: 2, exceptionCode: 2 })
  const timeout = new GatewayError(GatewayErrorCode.ModbusTimeout, 'timeout', { link: 'l', unitId: 1, area: 'input', address: 0, count: 10 })

  it('in the profile\'s numbering, with the wire address when they differ', () => {
    expect(errorInfo(refused, 0).text).toBe('exception 02 illegal data address at holding 100–101')
    expect(errorInfo(refused, 1).text).toBe('exception 02 illegal data address at holding 101–102 (wire 100–101)')
    expect(errorInfo(timeout, 0).text).toBe('timeout at input 0–9')
  })

  it('on the poll statistics line of the probe and the commissioning screen', () => {
    const lastError = { ...errorInfo(refused, 1), at: 0 }
    expect(statsLine('en', { polls: 3, ok: 0, partial: 0, failed: 3, requests: 1, lastError }, true)[1])
      .toMatch(/^last error: exception 02 illegal data address at holding 101–102 \(wire 100–101\) \(LW_ERR_MODBUS_EXCEPTION, /)
  })
})
