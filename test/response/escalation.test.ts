// Escalation in virtual time: wake-ups scheduled from the engine's wakeAt (response/engine.ts).
import { describe, expect, it } from 'vitest'
import { defaultPolicy, openForAlarm, type Policy } from '../../response/index.ts'
import { Driver, MIN, vts } from './harness.ts'
import { FERRY_ISLAND, MAIN_TOWN, TECH, alarm, lift } from './fixtures.ts'

const POLICY = defaultPolicy([MAIN_TOWN])
const start = (policy: Policy = POLICY, township = MAIN_TOWN) => {
  const s = vts()
  const d = new Driver(s).open(0, (now) => openForAlarm({ id: 'inc', elevator: lift(township), policy, now }, alarm(0, {}, lift(township))))
  return { s, d }
}

describe('escalation of the default policy', () => {
  it('nobody acts: reminders every 2 min, level 2 at 3 min with a dispatch suggestion, level 3 at the 30-min limit', () => {
    const { s, d } = start()
    s.maxFrames = 40 * MIN
    s.flush()
    const first = d.notified().filter((n) => !n.reminder)
    expect(first.map((n) => [n.at / MIN, n.step, n.role])).toEqual([
      [0, 'at_once', 'maintenance'], [0, 'at_once', 'property'], [0, 'at_once', 'steward'], [0, 'at_once', 'desk'],
      [3, 'level2', 'grid'], [3, 'level2', 'township'],
      [30, 'level3', 'police'], [30, 'level3', 'bureau'],
    ])
    expect(d.commands.filter((c) => c.value.kind === 'suggest_dispatch').map((c) => c.at)).toEqual([3 * MIN])
    const maintenanceReminders = d.notified().filter((n) => n.reminder && n.role === 'maintenance').map((n) => n.at / MIN)
    expect(maintenanceReminders.slice(0, 4)).toEqual([2, 4, 6, 8])
    const gridReminders = d.notified().filter((n) => n.reminder && n.role === 'grid').map((n) => n.at / MIN)
    expect(gridReminders.slice(0, 2)).toEqual([5, 7])
    // after the last step, only reminders are left: every wake-up is on an even minute or a step time
    expect(d.wakes.every((w) => w % MIN === 0)).toBe(true)
    expect(d.incident.state).toBe('01')
  })

  it('a response within 3 min skips level 2 and stops every reminder', () => {
    const { s, d } = start()
    d.at(150_000, { kind: 'action', action: { kind: 'responded' }, actor: TECH })
    s.maxFrames = 40 * MIN
    s.flush()
    const told = d.notified()
    expect(told.filter((n) => n.reminder).map((n) => n.at)).toEqual([2 * MIN, 2 * MIN, 2 * MIN, 2 * MIN])
    expect(told.some((n) => n.role === 'grid' || n.role === 'township')).toBe(false)
    expect(d.incident.timeline.filter((e) => e.kind === 'step_skipped').map((e) => (e.kind === 'step_skipped' ? [e.step, e.at - d.incident.alarmAt] : []))).toEqual([['level2', 3 * MIN]])
    // level 3 still comes at 30 min: responded is not arrived
    expect(told.filter((n) => n.step === 'level3').map((n) => n.at)).toEqual([30 * MIN, 30 * MIN])
  })

  it('arrival within the limit skips level 3 and nothing wakes the incident afterwards', () => {
    const { s, d } = start()
    d.at(MIN, { kind: 'action', action: { kind: 'responded' }, actor: TECH })
    d.at(14 * MIN, { kind: 'action', action: { kind: 'arrived' }, actor: TECH })
    s.maxFrames = 120 * MIN
    s.flush()
    expect(d.notified().some((n) => n.step === 'level3')).toBe(false)
    expect(d.incident.timeline.filter((e) => e.kind === 'step_skipped')).toMatchObject([
      { step: 'level2', because: 'responded', at: d.incident.alarmAt + 3 * MIN },
      { step: 'level3', because: 'arrived', at: d.incident.alarmAt + 30 * MIN },
    ])
    expect(d.wakes.at(-1)).toBe(30 * MIN)
  })
})

describe('steps naming a role already told', () => {
  it('a later step tells it again, two steps due at once tell it once', () => {
    const p: Policy = {
      ...POLICY,
      steps: [...POLICY.steps.slice(0, 2), { id: 'level3', after: 'arrival_limit', unless: 'arrived', roles: ['desk', 'police', 'bureau'] }],
      townships: { [MAIN_TOWN]: { atOnce: ['steward', 'rescuer'] } },
    }
    const { s, d } = start(p)
    s.maxFrames = 40 * MIN
    s.flush()
    const first = d.notified().filter((n) => !n.reminder)
    expect(first.filter((n) => n.at === 0).map((n) => n.role)).toEqual(['steward', 'rescuer', 'maintenance', 'property', 'desk'])
    expect(first.filter((n) => n.step === 'level3').map((n) => n.role)).toEqual(['desk', 'police', 'bureau'])
  })
})

describe('island township policy', () => {
  const island: Policy = { ...POLICY, townships: { [FERRY_ISLAND]: { arrivalLimitMin: 90, atOnce: ['rescuer'] } } }

  it('tells the local trained rescuer at once and escalates to level 3 only at 90 min', () => {
    const { s, d } = start(island, FERRY_ISLAND)
    s.maxFrames = 120 * MIN
    s.flush()
    const first = d.notified().filter((n) => !n.reminder)
    expect(first.filter((n) => n.at === 0).map((n) => n.role)).toEqual(['rescuer', 'maintenance', 'property', 'steward', 'desk'])
    expect(first.filter((n) => n.step === 'level3').map((n) => n.at / MIN)).toEqual([90, 90])
    expect(d.incident.arrivalLimitMs).toBe(90 * MIN)
  })

  it('the main town keeps 30 min and no rescuer under the same policy', () => {
    const { s, d } = start(island, MAIN_TOWN)
    s.maxFrames = 40 * MIN
    s.flush()
    expect(d.notified().some((n) => n.role === 'rescuer')).toBe(false)
    expect(d.notified().filter((n) => n.step === 'level3').map((n) => n.at / MIN)).toEqual([30, 30])
  })

  it('the rescuer arriving at 25 min counts as arrived in limit and stops level 3', () => {
    const { s, d } = start(island, FERRY_ISLAND)
    d.at(25 * MIN, { kind: 'action', action: { kind: 'arrived' }, actor: { name: '岛上盘车员', via: 'link', role: 'rescuer' } })
    s.maxFrames = 120 * MIN
    s.flush()
    expect(d.incident.state).toBe('04')
    expect(d.notified().some((n) => n.step === 'level3')).toBe(false)
  })
})
