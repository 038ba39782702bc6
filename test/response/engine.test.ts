// The policy engine for one incident: states, timeline, joining alarms, closing (response/engine.ts).
import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY, defaultPolicy, openForAlarm, openForDeskCall, route, routeCall, step, type Incident } from '../../response/index.ts'
import { MIN, T0 } from './harness.ts'
import { DESK, MAIN_TOWN, STEWARD, TECH, alarm, lift } from './fixtures.ts'

const open = (a = alarm(0), policy = defaultPolicy([MAIN_TOWN])) => openForAlarm({ id: 'inc-1', elevator: lift(), policy, now: T0 }, a)

describe('opening an incident', () => {
  it('an entrapment tells maintenance, property, steward and the desk at once and wakes at 2 min for reminders', () => {
    const r = open()
    expect(r.state.state).toBe('01')
    expect(r.commands.map((c) => (c.kind === 'notify' ? c.role : c.kind))).toEqual(['maintenance', 'property', 'steward', 'desk'])
    expect(r.commands.every((c) => c.kind === 'notify' && !c.reminder && !c.drill && c.step === 'at_once')).toBe(true)
    expect(r.wakeAt).toBe(T0 + 2 * MIN)
    expect(r.state.arrivalLimitMs).toBe(30 * MIN)
    expect(r.state.timeline.map((e) => e.kind)).toEqual(['opened', 'alarm', 'notify', 'notify', 'notify', 'notify'])
    expect(r.state.alarmAt).toBe(T0)
    expect(r.state.trappedAt).toBe(T0 - 20_000)
  })

  it('the alarm time is detectedAt: a late alarm counts from when the broker raised it', () => {
    const r = open(alarm(0, { raisedAt: T0 - 3_600_000, detectedAt: T0 }))
    expect(r.state.plan.find((s) => s.id === 'level2')!.dueAt).toBe(T0 + 3 * MIN)
  })

  it('a township not named main gets 60 min', () => {
    const r = openForAlarm({ id: 'i', elevator: lift('330922200'), policy: defaultPolicy([MAIN_TOWN]), now: T0 }, alarm(0))
    expect(r.state.arrivalLimitMs).toBe(60 * MIN)
  })

  it('a drill flag travels into every command', () => {
    const r = open(alarm(0, { drill: true }))
    expect(r.state.drill).toBe(true)
    expect(r.commands.length).toBe(4)
    expect(r.commands.every((c) => c.drill)).toBe(true)
    const done = step(r.state, { kind: 'action', action: { kind: 'released', persons: 0 }, actor: DESK }, T0 + MIN)
    expect(done.commands).toEqual([{ kind: 'close', incidentId: 'inc-1', state: '00', drill: true }])
  })

  it('the desk opens one for a phone call, found by rescue code, and is recorded as the actor', () => {
    const r = openForDeskCall({ id: 'inc-2', elevator: lift(), policy: DEFAULT_POLICY, now: T0 }, { foundBy: 'rescueCode', code: '12345', caller: '住户 138****', drill: false }, DESK)
    expect(r.state.source).toBe('desk')
    expect(r.state.timeline.slice(0, 2)).toMatchObject([
      { kind: 'opened', actor: DESK, source: 'desk' },
      { kind: 'desk_call', actor: DESK, foundBy: 'rescueCode', code: '12345', caller: '住户 138****' },
    ])
    expect(r.state.notes).toEqual(['救援识别码 12345 · 住户 138****'])
    expect(r.commands.filter((c) => c.kind === 'notify')).toHaveLength(4)
  })
})

describe('one open incident per elevator', () => {
  it('routes: a critical alarm opens, a minor one is ignored, anything joins an open incident', () => {
    expect(route(undefined, alarm(0))).toBe('open')
    expect(route(undefined, alarm(0, { type: 'door_open_too_long', severity: 'minor' }))).toBe('ignore')
    expect(route(undefined, alarm(0, { type: 'communication_lost', severity: 'major', scope: 'gateway' }))).toBe('ignore')
    const inc = open().state
    expect(route(inc, alarm(0, { type: 'alarm_button', severity: 'major' }))).toBe('join')
    // a real entrapment during a drill is never swallowed by the drill
    expect(route(inc, alarm(0, { drill: true }))).toBe('open')
    const closed = step(inc, { kind: 'action', action: { kind: 'false_alarm' }, actor: DESK }, T0).state
    expect(route(closed, alarm(0))).toBe('open')
  })

  it('a phone call about an elevator with an open incident joins it, notifying nobody again', () => {
    const inc = open().state
    const call = { foundBy: 'registrationCode' as const, code: '33092231102023080001', caller: '物业', drill: false }
    expect(routeCall(inc, call)).toBe('join')
    expect(routeCall(undefined, call)).toBe('open')
    expect(routeCall(inc, { ...call, drill: true })).toBe('open')
    const r = step(inc, { kind: 'desk_call', call, actor: DESK }, T0 + 40_000)
    expect(r.commands).toEqual([])
    expect(r.state.timeline.at(-1)).toMatchObject({ kind: 'desk_call', actor: DESK, foundBy: 'registrationCode' })
    expect(r.state.notes).toEqual(['注册代码 33092231102023080001 · 物业'])
  })

  it('a second alarm joins the timeline once and notifies nobody again', () => {
    const inc = open().state
    const second = alarm(30_000, { type: 'alarm_button', severity: 'major' })
    const r = step(inc, { kind: 'alarm_raised', alarm: second }, T0 + 30_000)
    expect(r.commands).toEqual([])
    expect(r.state.alarmIds).toEqual([inc.alarmIds[0], second.id])
    expect(r.state.timeline.at(-1)).toMatchObject({ kind: 'alarm', alarmId: second.id, joined: true })
    const again = step(r.state, { kind: 'alarm_raised', alarm: second }, T0 + 31_000)
    expect(again.state.timeline.length).toBe(r.state.timeline.length)
  })
})

describe('actions and states', () => {
  const respond = (inc: Incident, at: number) => step(inc, { kind: 'action', action: { kind: 'responded' }, actor: TECH }, T0 + at)

  it('01 → 02 → 04 → 00 with times, persons, cause and who did it', () => {
    let r = respond(open().state, MIN)
    expect(r.state).toMatchObject({ state: '02', respondedAt: T0 + MIN, acted: ['maintenance'] })
    r = step(r.state, { kind: 'action', action: { kind: 'arrived' }, actor: TECH }, T0 + 14 * MIN)
    expect(r.state).toMatchObject({ state: '04', arrivedAt: T0 + 14 * MIN })
    r = step(r.state, { kind: 'action', action: { kind: 'dispatch', org: 'mu-west' }, actor: DESK }, T0 + 15 * MIN)
    r = step(r.state, { kind: 'action', action: { kind: 'released', persons: 2, cause: 'door_system', note: '门机故障' }, actor: DESK }, T0 + 20 * MIN)
    expect(r.state).toMatchObject({ state: '00', releasedAt: T0 + 20 * MIN, closedAt: T0 + 20 * MIN, personsReleased: 2, cause: 'door_system', dispatched: ['mu-west'] })
    expect(r.state.notes).toEqual(['门机故障'])
    expect(r.wakeAt).toBeNull()
    const acts = r.state.timeline.filter((e) => e.kind === 'action')
    expect(acts.map((e) => [e.at - T0, e.actor.name, e.kind === 'action' ? e.state : ''])).toEqual([
      [MIN, '王师傅', '02'], [14 * MIN, '王师傅', '04'], [15 * MIN, '96333 值班员', '04'], [20 * MIN, '96333 值班员', '00'],
    ])
  })

  it('arriving without a response first counts as both', () => {
    const r = step(open().state, { kind: 'action', action: { kind: 'arrived' }, actor: STEWARD }, T0 + 5 * MIN)
    expect(r.state).toMatchObject({ state: '04', respondedAt: T0 + 5 * MIN, arrivedAt: T0 + 5 * MIN })
  })

  it('a false alarm closes as 05; later actions are rejected into the timeline, notes still accepted', () => {
    let r = step(open().state, { kind: 'action', action: { kind: 'false_alarm', note: '住户误按' }, actor: DESK }, T0 + MIN)
    expect(r.state.state).toBe('05')
    expect(r.commands).toEqual([{ kind: 'close', incidentId: 'inc-1', state: '05', drill: false }])
    r = respond(r.state, 2 * MIN)
    expect(r.state.state).toBe('05')
    expect(r.state.timeline.at(-1)).toMatchObject({ kind: 'rejected', reason: 'incident is closed (05)' })
    r = step(r.state, { kind: 'action', action: { kind: 'note', text: '已回访' }, actor: DESK }, T0 + 3 * MIN)
    expect(r.state.notes).toEqual(['住户误按', '已回访'])
  })

  it('a negative or fractional count of persons is rejected', () => {
    const r = step(open().state, { kind: 'action', action: { kind: 'released', persons: 1.5 }, actor: DESK }, T0 + MIN)
    expect(r.state.state).toBe('01')
    expect(r.state.timeline.at(-1)).toMatchObject({ kind: 'rejected' })
  })

  it('delivery results and a cleared alarm join the timeline', () => {
    const inc = open().state
    let r = step(inc, { kind: 'delivery', notificationId: 'inc-1:1', ok: false, attempt: 1, detail: 'HTTP 503' }, T0 + 5_000)
    r = step(r.state, { kind: 'delivery', notificationId: 'inc-1:1', ok: true, attempt: 2, detail: 'errcode 0' }, T0 + 15_000)
    r = step(r.state, { kind: 'alarm_cleared', alarm: { ...alarm(0), id: inc.alarmIds[0]! } }, T0 + 90_000)
    expect(r.state.timeline.slice(-3)).toMatchObject([
      { kind: 'delivery', ok: false, attempt: 1, detail: 'HTTP 503' },
      { kind: 'delivery', ok: true, attempt: 2 },
      { kind: 'alarm', state: 'cleared', joined: true },
    ])
    expect(r.state.state).toBe('01')
  })
})
