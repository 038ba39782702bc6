// The controller profile's faultCodes reach the broker as the telemetry's faultType: the gateway
// knows the profile, the fault-code detector follows what it says (virtual time, harness.ts).
import { describe, expect, it } from 'vitest'
import { faultCode } from '../../detectors/fault-code.ts'
import type { DetectorInput } from '../../detectors/runtime/types.ts'
import type { ProfileFacts } from '../../protocol/index.ts'
import { beats, drive } from './harness.ts'

const FAULT = { floor: '3', floorIndex: 3, position: 10 }
const withType = (inputs: DetectorInput[], faultType: ProfileFacts['faultType']): DetectorInput[] =>
  inputs.map((i) => (i.kind === 'telemetry' ? { ...i, msg: { ...i.msg, faultType } } : i))

describe('fault-code with the profile\'s faultType', () => {
  it('raises the type the gateway says, for a code no broker map knows', () => {
    const out = drive(faultCode, withType(beats(0, 30_000, { ...FAULT, faultCode: 33 }), 'safety_circuit_open'))
    expect(out.map((e) => [e.signal.type, e.signal.state, e.frame])).toEqual([['safety_circuit_open', 'raised', 0]])
  })

  it('faultType null: the profile maps this code to nothing, whatever the default map says of 81', () => {
    expect(drive(faultCode, withType(beats(0, 30_000, { ...FAULT, faultCode: 81 }), null))).toEqual([])
  })

  it('without faultType (a gateway that does not say) the configured map still applies', () => {
    const out = drive(faultCode, beats(0, 30_000, { ...FAULT, faultCode: 81 }))
    expect(out.map((e) => [e.signal.type, e.signal.state])).toEqual([['restart_prevented', 'raised']])
  })
})
