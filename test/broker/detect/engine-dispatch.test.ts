// The engine's own skip test (broker/detect/plan.ts): samples that move only the position within
// a detector's band are not stepped, and the sample that leaves the band is. Each case is
// checked against the detector's stream contract, whose driver steps on every position change
// (the raises: clears go through the lifecycle's holds).
import { describe, expect, it } from 'vitest'
import type { DetectorInput } from '../../../detectors/index.ts'
import { floorLost } from '../../../detectors/floor-lost.ts'
import { overtravelTop } from '../../../detectors/overtravel-top.ts'
import { overtravelBottom } from '../../../detectors/overtravel-bottom.ts'
import { overspeed } from '../../../detectors/overspeed.ts'
import type { AlarmEvent } from '../../../protocol/index.ts'
import { E1, FACTS, drive, driveAlarms, tele } from '../../detectors/harness.ts'
import { runRuntimeSeen } from './run-runtime.ts'

const summary = (inputs: DetectorInput[], type: string) =>
  runRuntimeSeen(inputs, { until: 120_000, facts: () => FACTS })
    .filter((x) => x.e.type === type && x.e.elevatorId === E1.elevatorId && x.e.state === 'raised')
    .map((x) => `raised ${x.e.raisedAt}`)

/** A car running from `from` to `to` metres in 0.2 s polls, standing at both ends for 2 s. */
function run(from: number, to: number, startMs: number, state: object = {}): DetectorInput[] {
  const out: DetectorInput[] = []
  const steps = 40
  for (let s = 0; s <= steps; s++) {
    const position = from + ((to - from) * s) / steps
    const moving = s > 0 && s < steps
    out.push(tele(startMs + s * 200, { position, moving, speed: moving ? 1 : 0, direction: moving ? (to > from ? 'up' : 'down') : 'none', doorZone: !moving, ...state }))
  }
  return out
}

describe('engine dispatch with bands', () => {
  it('overtravel-top: a trip below the top is skipped, the sample past travel + tolerance raises', () => {
    const inputs = [...run(0, 36.9, 0), ...run(36.9, 37.3, 20_000)]
    const contract = drive(overtravelTop, inputs, { facts: FACTS }).filter((e) => e.signal.state === 'raised').map((e) => `raised ${e.signal.at}`)
    expect(contract.length).toBeGreaterThan(0)
    expect(summary(inputs, 'overtravel_top')).toEqual(contract)
  })

  it('overtravel-bottom: the sample below the tolerance raises', () => {
    const inputs = [...run(10, 0, 0), ...run(0, -0.4, 20_000)]
    const contract = drive(overtravelBottom, inputs, { facts: FACTS }).filter((e) => e.signal.state === 'raised').map((e) => `raised ${e.signal.at}`)
    expect(contract.length).toBeGreaterThan(0)
    expect(summary(inputs, 'overtravel_bottom')).toEqual(contract)
  })

  it('floor-lost: a standing car creeping within a storey is not a jump; past a storey it is', () => {
    const creep: DetectorInput[] = []
    // 0.1 m per sample away from where it came to rest, standing: a jump once past 37 / 12 m
    for (let s = 1; s <= 40; s++) creep.push(tele(20_000 + s * 200, { position: 10 + s * 0.1 }))
    const inputs = [...run(0, 10, 0), ...creep]
    const contract = drive(floorLost, inputs, { facts: FACTS }).filter((e) => e.signal.state === 'raised').map((e) => `raised ${e.signal.at}`)
    expect(contract.length).toBeGreaterThan(0)
    expect(summary(inputs, 'floor_lost')).toEqual(contract)
  })

  it('overspeed: speeds below the peak of the run are skipped, the run that goes past the warning speed raises', () => {
    const trip = (startMs: number, peak: number): DetectorInput[] => {
      const out: DetectorInput[] = []
      // up to the peak in 2 s, 4 s at it, down again, one sample every 0.2 s, then standing
      for (let s = 0; s <= 40; s++) {
        const speed = Number((peak * Math.min(1, s / 10, (40 - s) / 10)).toFixed(3))
        out.push(tele(startMs + s * 200, { moving: s > 0 && s < 40, speed, direction: 'up', doorZone: false }))
      }
      out.push(tele(startMs + 8_400, { speed: 0, doorZone: true }))
      return out
    }
    // rated 1.75 m/s: 1.95 is above 1.1 × rated, 2.1 above 1.15 × rated
    const inputs = [...trip(0, 1.7), ...trip(20_000, 1.95), ...trip(40_000, 2.1)]
    // alarm events on both sides: a raise while the first is still held active is an update
    const events = (xs: { frame: number; e: AlarmEvent }[]) => xs.map(({ frame, e }) => `${frame} ${e.state} ${e.raisedAt} ${String(e.evidence.level)}`)
    const contract = events(driveAlarms(overspeed, inputs, { facts: FACTS, until: 120_000 }).map(({ frame, event }) => ({ frame, e: event })))
    expect(contract.filter((x) => x.includes('critical')).length).toBeGreaterThan(0)
    expect(events(runRuntimeSeen(inputs, { until: 120_000, facts: () => FACTS }).filter((x) => x.e.type === 'overspeed'))).toEqual(contract)
  })
})
