import { describe, expect, it } from 'vitest'
import { powerFailure } from '../../detectors/power-failure.ts'
import { T0, availability, beats, cleared, drive, raised, tele } from './harness.ts'

describe('power-failure', () => {
  it('raises 5 s after the supply is lost, not before; clears when mains returns', () => {
    expect(drive(powerFailure, [tele(0, { power: 'battery' }), tele(4_900, { power: 'mains' })])).toEqual([])
    const out = drive(powerFailure, [...beats(0, 20_000, { power: 'off' }), tele(20_000, { power: 'mains' })])
    expect(raised(out).map((e) => e.frame)).toEqual([5_000])
    expect(raised(out)[0]!.signal).toMatchObject({ type: 'power_failure', at: T0, evidence: { power: 'off', thresholdMs: 5_000 } })
    expect(cleared(out).map((e) => [e.frame, e.signal.at])).toEqual([[20_000, T0 + 20_000]])
  })

  it('is watched in every mode by default, and modes are configuration', () => {
    expect(raised(drive(powerFailure, beats(0, 20_000, { power: 'off', mode: 'inspection' })))).toHaveLength(1)
    expect(drive(powerFailure, beats(0, 20_000, { power: 'off', mode: 'inspection' }), { config: { modes: ['normal'] } })).toEqual([])
  })

  it('never raises from stale data', () => {
    expect(drive(powerFailure, [tele(0, { power: 'off' }), availability(1_000, 'offline')], { until: 120_000 })).toEqual([])
  })
})
