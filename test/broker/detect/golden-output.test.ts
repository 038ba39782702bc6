// The golden-output guard (docs/detectors-benchmark.md#issue-14-second-pass-one-link-state-change-driven-dispatch):
// a fixed, seeded load (golden-load.ts) through the real DetectorRuntime must publish exactly the
// alarm events it published when this constant was recorded, byte for byte and at the same
// clock times. A change that makes the detectors faster must leave this hash alone: a different
// hash means some detection changed. The count and the types keep it from passing vacuously.
import { describe, expect, it } from 'vitest'
import { goldenLoad, runGolden } from './golden-load.ts'

// recorded on the runtime before issue 14's second pass (det14 at 50509cf)
const GOLDEN = {
  sha256: 'b442b00af817658de6f30855fa90f719c6454359cafcd32a115c74895c9ea552',
  events: 1056,
  late: 52,
  inputs: 141_189,
}
const TYPES = [
  'alarm_button', 'anomaly', 'communication_lost', 'door_close_fault', 'door_open_fault', 'door_open_too_long',
  'door_open_while_running', 'entrapment', 'floor_lost', 'long_idle', 'maintenance_overdue', 'overspeed',
  'overtravel_bottom', 'overtravel_top', 'power_failure', 'repeated_door_reopen', 'restart_prevented', 'runtime_limit',
  'safety_circuit_open', 'stop_outside_door_zone', 'unintended_movement',
]

describe('golden output of the detector runtime', () => {
  it('300 elevators, outages, replayed history and every short scenario give the recorded alarm events', () => {
    const run = runGolden(goldenLoad())
    expect(run.inputs).toBe(GOLDEN.inputs)
    expect(run.types).toEqual(TYPES)
    expect(run.events).toBe(GOLDEN.events)
    expect(run.late).toBe(GOLDEN.late)
    expect(run.sha256).toBe(GOLDEN.sha256)
  }, 60_000)
})
