// Part of the simulated day in a process of its own, so the fleet's gateways spread over the
// cores: node bin/run-ts.js simulated-day-child.ts MIDNIGHT_MS GATEWAY_ID…
// The cars behind those gateways run through one DetectorRuntime with every registered detector
// in virtual time; one JSON line (DayPart) on stdout. Detector state is per elevator and the
// gateway inhibition per gateway, so parts split by gateway detect what one runtime would.
import { Subject } from 'rxjs'
import { DetectorRuntime, type DetectorRuntimeStats } from '../../../broker/detect/runtime.ts'
import type { DetectorInput } from '../../../detectors/runtime/types.ts'
import type { AlarmEvent } from '../../../protocol/index.ts'
// RxJS's VirtualTimeScheduler re-sorts its whole queue on every schedule: with 25 elevators'
// timers re-armed by every message it manages a few thousand messages a second. This is a heap.
import { EventClock } from '../../../bench/event-clock.ts'
import { DAY_S, fleetDay } from './fleet-day.ts'
import { fleetRun, type CarTally } from './fleet-run.ts'

export interface DayPart {
  readonly gateways: readonly string[]
  readonly messages: number
  readonly tallies: Record<string, CarTally>
  /** every AlarmEvent the runtime emitted, raised and cleared */
  readonly alarms: readonly AlarmEvent[]
  readonly stats: DetectorRuntimeStats
  readonly seconds: number
  readonly cpuSeconds: number
}

const [midnight, ...gateways] = process.argv.slice(2)
const start = Number(midnight)
if (!Number.isInteger(start) || gateways.length === 0) throw new Error('usage: simulated-day-child.ts MIDNIGHT_MS GATEWAY_ID…')

const began = performance.now()
const cpu = process.cpuUsage()
const cars = fleetDay().filter((c) => gateways.includes(c.who.gatewayId))
const facts = new Map(cars.map((c) => [c.who.elevatorId, c.facts]))
const clock = new EventClock(start)
const input$ = new Subject<DetectorInput>()
const runtime = new DetectorRuntime({ input$, scheduler: clock, facts: (id) => facts.get(id) })
const alarms: AlarmEvent[] = []
runtime.alarms$.subscribe((e) => alarms.push(e))
runtime.start()
const { inputs, tallies } = fleetRun(cars, { start })
let messages = 0
for (const i of inputs) {
  clock.advanceTo(i.ts)
  input$.next(i)
  messages++
}
clock.advanceTo(start + DAY_S * 1000)
const stats = runtime.stats()
runtime.stop()
const used = process.cpuUsage(cpu)
const part: DayPart = {
  gateways, messages, tallies: Object.fromEntries(tallies), alarms, stats,
  seconds: (performance.now() - began) / 1000, cpuSeconds: (used.user + used.system) / 1e6,
}
process.stdout.write(`${JSON.stringify(part)}\n`)
