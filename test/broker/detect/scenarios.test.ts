// Every fault scenario of simulators/scenarios/, reported as a gateway would and run through the
// runtime with every registered detector: the alarm types raised, among those a detector exists
// for, are exactly the scenario's `alarms`. Scenarios of days (long_idle, anomaly,
// maintenance_overdue) are left to their own detectors' tests: simulating them takes tens of seconds.
import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DETECTORS } from '../../../detectors/index.ts'
import { SCENARIO_DIR, loadScenario } from '../../../simulators/scenario.ts'
import { DetectorRuntime } from '../../../broker/detect/runtime.ts'
import type { AlarmEvent } from '../../../protocol/index.ts'
import { play, scenarioInputs, vts } from '../../detectors/harness.ts'

const covered = new Set(DETECTORS.flatMap((d) => d.types))
const MAX_SECONDS = 4 * 3600
const scenarios = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()
  .map((f) => loadScenario(join(SCENARIO_DIR, f))).filter((sc) => sc.duration <= MAX_SECONDS)

describe('scenarios through the detector runtime', () => {
  it('covers the short scenarios, the three of this detector set among them', () => {
    expect(scenarios.map((sc) => sc.name)).toEqual(expect.arrayContaining(['entrapment', 'alarm_button', 'communication_lost', 'normal-day', 'inspection-visit', 'wire-slow']))
  })

  it.each(scenarios.map((sc) => [sc.name, sc] as const))('%s', (_name, sc) => {
    const scheduler = vts(sc.duration * 1000)
    const runtime = new DetectorRuntime({ input$: play(scheduler, scenarioInputs(sc)), scheduler })
    const events: AlarmEvent[] = []
    runtime.alarms$.subscribe((e) => events.push(e))
    runtime.start()
    scheduler.flush()
    runtime.stop()
    const raised = [...new Set(events.filter((e) => e.state === 'raised').map((e) => e.type))].sort()
    expect(raised).toEqual(sc.alarms.filter((t) => covered.has(t)).sort())
  })
})
