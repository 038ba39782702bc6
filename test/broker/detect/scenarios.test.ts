// Every scenario of simulators/scenarios/, run through the simulator model, reported as a gateway
// would (change at once, heartbeat 10 s), and through the detector runtime with every registered
// detector and the registry's facts about the car: the alarm types raised are exactly the ones
// this table expects. The table is the one place that says which scenario raises what; each
// scenario file's own `alarms` list must agree with it.
import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { SCENARIO_DIR, loadScenario } from '../../../simulators/scenario.ts'
import type { AlarmType } from '../../../protocol/index.ts'
import { factsOf, scenarioInputs } from '../../detectors/harness.ts'
import { runRuntime } from './run-runtime.ts'

const EXPECTED: Record<string, AlarmType[]> = {
  'alarm_button': ['alarm_button'],
  'anomaly': ['anomaly'],
  'communication_lost': ['communication_lost'],
  'door_close_fault': ['door_close_fault'],
  'door_open_fault': ['door_open_fault'],
  'door_open_too_long': ['door_open_too_long'],
  'door_open_while_running': ['door_open_while_running'],
  'entrapment': ['alarm_button', 'entrapment'],
  'floor_lost': ['floor_lost'],
  'hunting': ['entrapment'],
  'inspection-visit': [],
  'long_idle': ['long_idle'],
  'maintenance_overdue': ['maintenance_overdue'],
  'normal-day': [],
  'overspeed': ['overspeed'],
  'overtravel_bottom': ['overtravel_bottom', 'safety_circuit_open'],
  'overtravel_top': ['overtravel_top', 'safety_circuit_open'],
  'power_failure': ['power_failure'],
  'repeated_door_reopen': ['repeated_door_reopen'],
  'restart_prevented': ['restart_prevented'],
  'runtime_limit': ['runtime_limit'],
  'safety_circuit_open': ['safety_circuit_open'],
  'stop_outside_door_zone': ['stop_outside_door_zone'],
  'unintended_movement': ['unintended_movement'],
  'wire-exception': ['communication_lost'],
  'wire-slow': [],
}

const scenarios = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => loadScenario(join(SCENARIO_DIR, f)))

describe('scenarios through the detector runtime', () => {
  it('the table covers every scenario file, and every file\'s own alarms list agrees with it', () => {
    expect(scenarios.map((sc) => sc.name)).toEqual(Object.keys(EXPECTED).sort())
    for (const sc of scenarios) expect([...sc.alarms].sort(), sc.name).toEqual(EXPECTED[sc.name])
  })

  it.each(scenarios.map((sc) => [sc.name, sc] as const))('%s', (name, sc) => {
    const facts = factsOf(sc)
    const events = runRuntime(scenarioInputs(sc), { until: sc.duration * 1000, facts: () => facts })
    const raised = [...new Set(events.filter((e) => e.state === 'raised').map((e) => e.type))].sort()
    expect(raised).toEqual(EXPECTED[name])
  }, 120_000)
})
