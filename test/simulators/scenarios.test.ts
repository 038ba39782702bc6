import { describe, expect, it } from 'vitest'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ALARM_TYPES, compile, ControllerStateSchema, formatProblems, type AlarmType } from '../../protocol/index.ts'
import { topHeight, type CarSpec } from '../../simulators/model/index.ts'
import {
  SCENARIO_DIR, ScenarioError, checkExpectations, loadScenario, parseScenario, runScenario, scenarioTick, startScenario,
  type Scenario, type ScenarioFrame,
} from '../../simulators/scenario.ts'

const EXTRA = ['inspection-visit', 'wire-exception', 'wire-slow', 'normal-day']
const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).sort()
const validState = compile(ControllerStateSchema)

/**
 * A reference judge for the scenario files, not a detector: how far each catalogue condition of
 * docs/domain.md goes in a run, as a multiple of its default threshold (0 = not at all, Infinity =
 * an event that happened). Lets the test hold every file to "clearly exceeded or clearly not".
 */
function judge(frames: Iterable<ScenarioFrame>, spec: CarSpec): Record<AlarmType, number> {
  const top = topHeight(spec)
  const fullTravel = Math.max(45, (1.5 * top) / spec.ratedSpeed)
  const r = Object.fromEntries(ALARM_TYPES.map((t) => [t, 0])) as Record<AlarmType, number>
  const most = (t: AlarmType, x: number) => { r[t] = Math.max(r[t], x) }
  const since: Record<string, number | null> = {}
  const hold = (key: string, on: boolean, t: number): number => {
    if (!on) { since[key] = null; return 0 }
    since[key] ??= t
    return t - (since[key] ?? t)
  }
  let prev: ScenarioFrame | undefined
  let stopEvidence = false
  let cycles = 0
  let reversals = 0
  let moveStartedClosed = false
  // a stop: standing, or re-levelling (≤ 0.3 m/s inside the door zone) for under 10 s at a time
  let stopped = true
  let relevelFrom: number | null = null
  let tripEndedInZoneAt: number | null = null
  let tripped = false
  let lastTrip = 0
  let lastVisitEnd = 0
  let visitFrom: number | null = null
  let closingFrom: number | null = null
  const closings: number[] = []
  const window: number[] = []
  for (const f of frames) {
    const s = f.state
    const t = f.t
    const normal = s.mode === 'normal'
    // re-levelling (inside the door zone, ≤ 0.3 m/s) is not a trip
    const travelling = s.moving && !(s.doorZone && (s.speed ?? 0) <= 0.3)
    const wasTravelling = prev ? prev.state.moving && !(prev.state.doorZone && (prev.state.speed ?? 0) <= 0.3) : false
    if (travelling) { lastTrip = t; cycles = 0; reversals = 0 }
    if (s.moving && !prev?.state.moving) moveStartedClosed = s.door === 'closed'
    if (s.moving && s.door === 'closed') moveStartedClosed = true
    if (!s.moving || travelling) relevelFrom = null
    if (!s.moving) stopped = true
    else if (travelling) stopped = false
    else if (stopped && t - (relevelFrom ??= t) >= 10) stopped = false
    if (!stopped) stopEvidence = false
    const watched = s.mode !== 'inspection' && s.mode !== 'maintenance'
    if (!travelling && s.alarmButton) stopEvidence = true
    const evidence = s.occupied === true || stopEvidence
    const trapped = hold('trap', watched && stopped && s.door !== 'open' && evidence, t)
    most('entrapment', trapped / (s.doorZone ? 90 : 15))
    if (prev && prev.state.safetyCircuit && !s.safetyCircuit && (wasTravelling || travelling)) r.safety_circuit_open = Infinity
    if (prev?.state.door === 'closing' && s.door === 'opening') reversals++
    most('door_close_fault', Math.max(hold('closing', normal && s.door === 'closing', t) / 20, reversals / 5))
    // stopped (re-levels are part of the stop; a car hunting on past them is still moving) in the door zone after a trip
    tripped = normal && (tripped || travelling)
    if (tripped && stopped && s.doorZone && normal && tripEndedInZoneAt === null) tripEndedInZoneAt = t
    if (s.door === 'open' || !stopped) tripEndedInZoneAt = null
    if (s.door === 'open') tripped = false
    if (tripEndedInZoneAt !== null) most('door_open_fault', (t - tripEndedInZoneAt) / 20)
    most('stop_outside_door_zone', hold('outside', normal && !travelling && !s.doorZone, t) / 45)
    // a door that opens on a run that set off closed is door_open_while_running's: one event, one alarm
    most('unintended_movement', hold('um', normal && s.moving && !moveStartedClosed && s.door !== 'closed' && !(s.doorZone && (s.speed ?? 0) <= 0.3), t) / 1)
    most('door_open_while_running', hold('dowr', normal && s.moving && moveStartedClosed && s.door !== 'closed' && !s.doorZone, t) / 1)
    most('runtime_limit', hold('run', normal && s.moving, t) / fullTravel)
    const jumped = prev && !s.moving && !prev.state.moving && s.position !== null && prev.state.position !== null &&
      Math.abs(s.position - prev.state.position) > 3.5
    if (s.floorIndex >= spec.landings.length || s.position === null || jumped) r.floor_lost = Infinity
    if (s.faultCode === 81) r.restart_prevented = Infinity
    if (s.upLimit || (s.position ?? 0) > top + 0.15) r.overtravel_top = Infinity
    if (s.downLimit || (s.position ?? 0) < -0.15) r.overtravel_bottom = Infinity
    // the speed held for a whole second, as a share of the 10 % margin over rated speed
    window.push(s.speed ?? 0)
    if (window.length > 10) window.shift()
    most('overspeed', Math.max(0, Math.min(...window) / spec.ratedSpeed - 1) / 0.1)
    most('power_failure', hold('power', s.power !== 'mains', t) / 5)
    most('alarm_button', hold('alarm', s.alarmButton, t) / 3)
    most('door_open_too_long', hold('open', normal && !travelling && s.door !== 'closed', t) / 120)
    if (prev && prev.state.door !== 'closed' && s.door === 'closed' && normal) cycles++
    most('repeated_door_reopen', cycles / 20)
    most('communication_lost', hold('wire', f.wire.mode === 'silent' || f.wire.mode === 'exception', t) / 30)
    most('long_idle', (normal ? t - lastTrip : 0) / 86400)
    if (!normal) lastTrip = t
    if (s.door === 'closing' && prev?.state.door !== 'closing') closingFrom = t
    if (s.door === 'closed' && prev?.state.door === 'closing' && closingFrom !== null) closings.push(t - closingFrom)
    if (s.door !== 'closing' && s.door !== 'closed') closingFrom = null
    const visiting = s.mode === 'inspection' || s.mode === 'maintenance'
    if (visiting) visitFrom ??= t
    else {
      if (visitFrom !== null && t - visitFrom >= 1200) lastVisitEnd = t
      visitFrom = null
    }
    most('maintenance_overdue', (t - (visitFrom ?? lastVisitEnd)) / (15 * 86400) * (visitFrom === null ? 1 : 0))
    prev = f
  }
  // drift of the door closing time from its own baseline, in units of 4 MAD
  if (closings.length >= 20) {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
    const base = closings.slice(0, Math.floor(closings.length * 0.4))
    const recent = closings.slice(Math.floor(closings.length * 0.8))
    const mad = Math.max(0.05, median(base.map((x) => Math.abs(x - median(base)))))
    r.anomaly = Math.abs(median(recent) - median(base)) / (4 * mad)
  }
  return r
}

const CLEAR = 1.2
const CLEARLY_NOT = 0.8

describe('scenario files', () => {
  it('cover every catalogue type with a file named after it, plus the no-alarm and wire files', () => {
    const names = files.map((f) => f.replace(/\.yaml$/, ''))
    const missing = [...ALARM_TYPES, ...EXTRA].filter((t) => !names.includes(t))
    expect(missing).toEqual([])
  })

  describe.each(files)('%s', (file) => {
    const name = file.replace(/\.yaml$/, '')
    let scenario: Scenario
    it('loads, validates and is named after its file', () => {
      scenario = loadScenario(join(SCENARIO_DIR, file))
      expect(scenario.name).toBe(name)
      expect(scenario.description.zh).toMatch(/[\u4e00-\u9fff]/)
      if ((ALARM_TYPES as readonly string[]).includes(name)) expect(scenario.alarms).toContain(name)
      if (['inspection-visit', 'normal-day', 'wire-slow'].includes(name)) expect(scenario.alarms).toEqual([])
    })

    it('runs in virtual time: every frame valid, every expectation met, alarms exactly the conditions it clearly exceeds', () => {
      scenario ??= loadScenario(join(SCENARIO_DIR, file))
      const frames: ScenarioFrame[] = []
      let invalid: unknown = null
      let last: unknown = null
      for (const f of runScenario(scenario)) {
        if (f.state !== last && invalid === null) {
          const v = validState(f.state)
          if (!v.ok) invalid = { t: f.t, problems: v.problems }
          last = f.state
        }
        frames.push(f)
      }
      expect(invalid).toBeNull()
      expect(frames[frames.length - 1]?.t).toBe(scenario.duration)
      expect(checkExpectations(scenario, frames)).toEqual([])
      const measured = judge(frames, scenario.car)
      const exceeded = ALARM_TYPES.filter((t) => measured[t] >= CLEAR)
      const borderline = ALARM_TYPES.filter((t) => measured[t] > CLEARLY_NOT && measured[t] < CLEAR).map((t) => `${t} ×${measured[t].toFixed(2)}`)
      expect(borderline).toEqual([])
      expect([...exceeded].sort()).toEqual([...scenario.alarms].sort())
    })
  })
})

describe('runScenario', () => {
  const text = (body: string) => `name: tiny\ndescription: { zh: 测试, en: test }\n${body}`

  it('is deterministic, starts at 0 and jumps over idle time in steps of at most idleStep', () => {
    const sc = parseScenario(text('duration: 3600\nsteps:\n  - { at: 100, set: { carCalls: [5] } }\nexpect: []\nalarms: []\n'), 'tiny.yaml')
    const a = [...runScenario(sc, { idleStep: 30 })]
    const b = [...runScenario(sc, { idleStep: 30 })]
    expect(a.map((f) => [f.t, f.state])).toEqual(b.map((f) => [f.t, f.state]))
    expect(a[0]?.t).toBe(0)
    const gaps = a.slice(1).map((f, i) => f.t - a[i]!.t)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(30 + 1e-9)
    expect(a.length).toBeLessThan(600)
    // the car starts on the step at 100 s (closing nothing, it moves on the tick after), not later
    const started = a.find((f) => f.state.moving)?.t ?? 0
    expect(started).toBeGreaterThan(100)
    expect(started).toBeLessThanOrEqual(100.2 + 1e-9)
  })

  it('keeps persistent settings between steps and plays one-shot events once', () => {
    const sc = parseScenario(text(`duration: 60
steps:
  - { at: 0, set: { faults: { stuck: true }, carCalls: [3], alarmButton: true } }
  - { at: 5, set: { faults: { controllerFault: 81 } } }
  - { at: 10, every: 10, until: 30, set: { board: 1 } }
  - { at: 20, set: { faults: { stuck: false } }, wire: { mode: silent } }
expect: []
alarms: []
`), 'tiny.yaml')
    expect(sc.steps.map((s) => s.at)).toEqual([0, 5, 10, 20, 20, 30])
    let c = startScenario()
    const at0 = scenarioTick(sc, c, 0)
    expect(at0.inputs).toMatchObject({ carCalls: [3], faults: { stuck: true }, alarmButton: true })
    c = at0.cursor
    const at1 = scenarioTick(sc, c, 1)
    expect(at1.inputs.carCalls).toBeUndefined()
    expect(at1.inputs).toMatchObject({ faults: { stuck: true }, alarmButton: true })
    expect(at1.cursor).toBe(c)
    c = scenarioTick(sc, at1.cursor, 20).cursor
    expect(c.faults).toEqual({ controllerFault: 81 })
    expect(c.wire).toEqual({ mode: 'silent' })
  })

  it('reports an expectation the run breaks, so scenario tests can fail', () => {
    const sc = parseScenario(text(`duration: 30
steps:
  - { at: 0, set: { carCalls: [5] } }
expect:
  - { at: 25, state: { floor: '6' } }
  - { during: [2, 8], state: { moving: false } }
  - { during: [0, 30], state: { speed: { max: 1 } } }
  - { at: 1, wire: { mode: silent } }
alarms: []
`), 'tiny.yaml')
    const failures = checkExpectations(sc, runScenario(sc))
    expect(failures).toHaveLength(4)
    expect(failures[0]).toBe('expect.0 (at 25 s): floor is "5", expected "6"')
    expect(failures[1]).toMatch(/^expect\.1 \(during 2–8 s\): .*moving is true, expected false/)
    expect(failures[2]).toMatch(/speed is [\d.]+, expected a number ≤ 1/)
    expect(failures[3]).toMatch(/wire\.mode is "ok", expected "silent"/)
  })
})

describe('parseScenario', () => {
  it('reports every problem of a broken file as <path>: <message>, naming the file', () => {
    const broken = `name: Broken File
description: { zh: 坏 }
duration: 60
car: { mainLanding: 40, ratedSpeed: -1 }
steps:
  - at: 10
    set: { stuk: true, mode: vacation, carCalls: [3, 99] }
  - at: 90
    wire: { mode: exception }
  - at: 5
expect:
  - { state: { door: ajar } }
  - { at: 3, during: [1, 2], state: { moving: false } }
alarms: [entrapment, fire_alarm]
`
    let err: unknown
    try { parseScenario(broken, 'scenarios/broken.yaml') } catch (e) { err = e }
    expect(err).toBeInstanceOf(ScenarioError)
    const e = err as ScenarioError
    expect(e.code).toBe('LW_ERR_SCENARIO')
    expect(e.file).toBe('scenarios/broken.yaml')
    expect(e.message).toMatch(/^scenarios\/broken\.yaml: invalid scenario/)
    const lines = formatProblems(e.problems).split('\n')
    const text = lines.join('\n')
    for (const p of [
      /^name: must match pattern/m,
      /^description\.en: is required/m,
      /^car\.ratedSpeed: must be > 0/m,
      /^steps\.0\.set\.stuk: unknown property \(line 7\)/m,
      /^steps\.0\.set\.mode: must be one of normal, inspection/m,
      /^expect\.0\.state\.door: must be a door value, \{min, max\} or \{oneOf: \[values\]\}/m,
      /^alarms\.1: must be one of entrapment/m,
    ]) expect(text).toMatch(p)
    for (const line of lines) expect(line).toMatch(/^[\w.()]+: \S/)
  })

  it('after the schema, checks times, landings and the car', () => {
    const file = `name: late
description: { zh: 迟, en: late }
duration: 60
car: { mainLanding: 40 }
steps:
  - { at: 90, wire: { mode: exception } }
  - { at: 5, set: { carCalls: [3, 99] } }
  - { at: 6 }
expect:
  - { at: 3, during: [1, 2], state: { moving: false } }
  - { during: [50, 70], state: { moving: false } }
alarms: []
`
    let problems: string[] = []
    try { parseScenario(file, 'late.yaml') } catch (e) { problems = formatProblems((e as ScenarioError).problems).split('\n') }
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^car\.mainLanding: must be a landing index 0\.\.12/),
      expect.stringMatching(/^steps\.0\.at: 90 s is after the end \(duration 60 s\)/),
      expect.stringMatching(/^steps\.0\.wire\.code: is required for mode exception/),
      expect.stringMatching(/^steps\.1\.set\.carCalls\.1: landing 99 does not exist/),
      expect.stringMatching(/^steps\.2: needs set or wire/),
      expect.stringMatching(/^expect\.0: needs exactly one of at or during/),
      expect.stringMatching(/^expect\.1\.during\.1: 70 s is after the end/),
    ]))
  })

  it('reports YAML syntax errors with their line, and a missing file by name', () => {
    expect(() => parseScenario('name: x\nsteps: [\n', 'bad.yaml')).toThrow(/^bad\.yaml: invalid scenario\n {2}\(yaml\): line \d+:/)
    expect(() => loadScenario('/nonexistent/nowhere.yaml')).toThrow(/^\/nonexistent\/nowhere\.yaml: invalid scenario/)
  })
})
