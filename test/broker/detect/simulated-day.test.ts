// Acceptance: a simulated day of 50 elevators with realistic traffic — rush hours, people holding
// doors, re-levelling, a technician's inspection visit — through the DetectorRuntime with every
// registered detector, in virtual time, raises no critical or major alarm. The minor and warning
// alarms it does raise are counted and printed; the removal crews that prop a door open beyond
// 120 s must be among them, so a runtime that detects nothing cannot pass.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { catalogueEntry } from '../../../protocol/index.ts'
import { runScenario, type Scenario } from '../../../simulators/scenario.ts'
import { DAY_S, INSPECTIONS, LONG_HOLDS, fleetDay } from './fleet-day.ts'
import { fleetRun } from './fleet-run.ts'
import type { DayPart } from './simulated-day-child.ts'

const RUN_TS = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url))
const CHILD = fileURLToPath(new URL('./simulated-day-child.ts', import.meta.url))
// midnight 2024-06-03, China Standard Time
const MIDNIGHT = Date.UTC(2024, 5, 2, 16)
const HOUR_MS = 3_600_000
// two parts of about equal work (messages), one per core, split by gateway
const PARTS = [['gw-tower-03', 'gw-yiyuan-04'], ['gw-haidao-01', 'gw-jiezi-02', 'gw-gangcheng-05']]

const children = new Set<ChildProcess>()

function runPart(gateways: readonly string[]): Promise<DayPart> {
  const child = spawn(process.execPath, [RUN_TS, CHILD, String(MIDNIGHT), ...gateways], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      children.delete(child)
      if (code === 0) resolve(JSON.parse(stdout) as DayPart)
      else reject(new Error(`part ${gateways.join(',')} exited ${code}: ${stderr}`))
    })
  })
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0)

describe('a simulated day of the fleet', () => {
  // a part still running after a timeout would go on eating a core
  afterAll(() => { for (const c of children) c.kill('SIGKILL') })

  it('skipping cars at rest keeps the traffic runScenario makes', () => {
    // fleet-run.ts draws the wait for a hall call itself at traffic.ts's rate: same trips per hour
    const [car] = fleetDay()
    const sc: Scenario = { ...car!.sc, duration: 8 * 3600, steps: [{ at: 0, set: { traffic: 0.1 } }] }
    let stepped = 0
    let onTrip = false
    for (const f of runScenario(sc)) {
      if (f.car.trip && !onTrip) stepped++
      onTrip = f.car.trip
    }
    const { inputs, tallies } = fleetRun([{ ...car!, sc }], { start: MIDNIGHT })
    expect([...inputs].length).toBeGreaterThan(8 * 360)
    const skipped = tallies.get(car!.who.elevatorId)!.trips
    expect(stepped).toBeGreaterThan(100)
    expect(skipped / stepped).toBeGreaterThan(0.8)
    expect(skipped / stepped).toBeLessThan(1.25)
  })

  it('raises no critical or major alarm', async () => {
    const started = performance.now()
    const cars = fleetDay()
    const parts = await Promise.all(PARTS.map(runPart))
    const seconds = (performance.now() - started) / 1000

    const messages = sum(parts.map((p) => p.messages))
    const raised = parts.flatMap((p) => p.alarms.filter((e) => e.state === 'raised'))
    const tallies = new Map(parts.flatMap((p) => Object.entries(p.tallies)))
    const all = [...tallies.values()]
    const trips = all.map((t) => t.trips)
    const counts: Record<string, number> = {}
    for (const e of raised) counts[e.type] = (counts[e.type] ?? 0) + 1
    console.log(`simulated day: ${cars.length} elevators, 24 h, ${messages} telemetry messages, ` +
      `${sum(trips)} trips (${Math.min(...trips)}–${Math.max(...trips)} a car), ${sum(all.map((t) => t.boarded))} passengers, ` +
      `${sum(all.map((t) => t.relevels))} re-levellings, ${sum(all.map((t) => t.reopens))} closing doors reopened, ` +
      `doors held open ${Math.round(sum(all.map((t) => t.heldOpenS)))} s; ` +
      `${seconds.toFixed(1)} s (parts ${parts.map((p) => `${p.seconds.toFixed(1)} s, ${p.cpuSeconds.toFixed(1)} s CPU`).join('; ')}); ` +
      `alarms: ${JSON.stringify(counts)}`)

    const serious = raised.filter((e) => ['critical', 'major'].includes(catalogueEntry(e.type).severity))
    expect(serious.map((e) => ({ type: e.type, elevatorId: e.elevatorId, at: new Date(e.raisedAt).toISOString(), evidence: e.evidence }))).toEqual([])
    for (const e of raised) expect(e.severity).toBe(catalogueEntry(e.type).severity)

    // every detector ran the whole day: none failed (a contained failure would hide alarms)
    for (const p of parts) {
      expect(p.stats.eventsIn).toBe(p.messages)
      for (const [id, s] of Object.entries(p.stats.detectors)) expect(s, id).toEqual({ errors: 0, restarts: 0, invalidSignals: 0 })
    }

    // the day was busy: all 50 cars ran, reported and heartbeat all day
    expect(new Set(cars.map((c) => c.who.elevatorId)).size).toBe(50)
    expect([...tallies.keys()].sort()).toEqual(cars.map((c) => c.who.elevatorId).sort())
    expect(Math.min(...trips)).toBeGreaterThanOrEqual(80)
    expect(sum(trips)).toBeGreaterThanOrEqual(10_000)
    expect(sum(all.map((t) => t.relevels))).toBeGreaterThanOrEqual(20)
    for (const t of all) expect(t.messages).toBeGreaterThanOrEqual(DAY_S / 10)
    expect(sum(all.map((t) => t.heldOpenS))).toBeGreaterThan(30 * 50)

    // the technicians' visits happened: about 30 min in inspection mode, then back in service
    for (const v of INSPECTIONS) {
      const t = tallies.get(cars[v.car]!.who.elevatorId)!
      expect(t.inspection, `car ${v.car}`).not.toBeNull()
      expect(t.inspection!.first - MIDNIGHT).toBeGreaterThanOrEqual(v.at * 1000)
      expect(t.inspection!.last - t.inspection!.first).toBeGreaterThanOrEqual(0.45 * HOUR_MS)
      expect(t.inspection!.last - MIDNIGHT).toBeLessThan((v.at + 1801) * 1000)
    }
    expect(all.filter((t) => t.inspection).length).toBe(INSPECTIONS.length)

    // each door propped open past 120 s raised door_open_too_long on its car (minor)
    const tooLong = new Set(raised.filter((e) => e.type === 'door_open_too_long').map((e) => e.elevatorId))
    for (const l of LONG_HOLDS) expect(tooLong, `car ${l.car}`).toContain(cars[l.car]!.who.elevatorId)
    // about 80 s on an idle 2-core machine (each part ~75 s of CPU); slower when other work shares the cores
  }, 300_000)
})
