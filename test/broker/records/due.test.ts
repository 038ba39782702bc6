// Inspections and drills due (broker/records/due.ts) in virtual time over the real stores: the
// warning 30 days before goes to the use unit and the maintenance unit once (also after a
// restart), an overdue inspection registers a hazard through the real register once a day, and a
// drill run through the real chain sets the next one 182 days on.
import { afterEach, describe, expect, it } from 'vitest'
import { cstDate, cstDayStart, DAY, DueDates, drillState, inspectionState } from '../../../broker/records/due.ts'
import { clock, COUNTY, principal, runUntil, T0 } from '../incidents/fixtures.ts'
import { DESK_ACTOR, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, recordsRig, type RecordsRig } from './report-fixture.ts'

const HOUR = 3_600_000
let r: RecordsRig | undefined
afterEach(() => { r?.close(); r = undefined })

describe('inspectionState', () => {
  it('is due soon within warnDays, overdue from the day after the date (CST days)', () => {
    const day = cstDayStart('2026-02-10')
    expect(cstDate(day)).toBe('2026-02-10')
    expect(cstDate(day - 1)).toBe('2026-02-09')
    expect(inspectionState('2026-02-10', day - 31 * DAY, 30).state).toBe('ok')
    expect(inspectionState('2026-02-10', day - 30 * DAY, 30)).toEqual({ state: 'due_soon', days: 30 })
    expect(inspectionState('2026-02-10', day + DAY - 1, 30)).toEqual({ state: 'due_soon', days: 0 })
    expect(inspectionState('2026-02-10', day + DAY, 30)).toEqual({ state: 'overdue', days: -1 })
    expect(inspectionState(undefined, day, 30).state).toBe('unknown')
  })

  it('a drill is due 182 days after the last, at once when never', () => {
    expect(drillState(undefined, T0, 182, 30)).toEqual({ state: 'overdue', dueAt: T0 })
    expect(drillState(T0, T0 + 100 * DAY, 182, 30)).toEqual({ state: 'ok', dueAt: T0 + 182 * DAY })
    expect(drillState(T0, T0 + 160 * DAY, 182, 30).state).toBe('due_soon')
    expect(drillState(T0, T0 + 182 * DAY, 182, 30).state).toBe('overdue')
  })
})

describe('DueDates', () => {
  // T0 is 2026-01-01 08:00 CST
  const more = { [LIFT1]: { nextInspection: '2026-01-20' }, [LIFT2]: { nextInspection: '2025-12-30' }, [LIFT_ISLAND]: { nextInspection: '2026-06-01' } }

  it('warns the use unit and maintenance unit once, and sends an overdue inspection to the hazard register once a day', () => {
    const s = clock()
    r = recordsRig(s, more)
    const due = new DueDates(r.deps, r.hazards)
    due.start()
    runUntil(s, T0 + 1)
    const warned = r.outbox.forIncident(`in-${LIFT1}`)
    expect(new Set(warned.map((i) => i.role))).toEqual(new Set(['property', 'maintenance']))
    expect(new Set(warned.map((i) => i.endpointId))).toEqual(new Set(['wecom-shahe', 'wecom-lift', 'sms-main']))
    expect(warned[0]!.message.text).toContain('2026-01-20')
    expect(r.kicks).toBeGreaterThan(0)
    expect(r.outbox.forIncident(`in-${LIFT2}`)).toEqual([])
    expect(r.outbox.forIncident(`in-${LIFT_ISLAND}`)).toEqual([])

    const hz = r.hazards.list({ elevatorId: LIFT2 }, COUNTY)
    expect(hz).toHaveLength(1)
    expect(hz[0]!.foundBy).toBe('inspection')
    expect(r.hazards.list({ elevatorId: LIFT1 }, COUNTY)).toEqual([])
    expect(due.stats()).toMatchObject({ warnings: 1, overdueReported: 1 })

    // hourly checks the same day: nothing new
    runUntil(s, T0 + 5 * HOUR)
    expect(due.stats()).toMatchObject({ warnings: 1, overdueReported: 1 })
    expect(due.stats().checks).toBeGreaterThanOrEqual(5)
    expect(r.outbox.forIncident(`in-${LIFT1}`)).toHaveLength(warned.length)
    // the next CST day: reported again; the register keeps one open hazard for it
    runUntil(s, T0 + 17 * HOUR)
    expect(due.stats()).toMatchObject({ overdueReported: 2 })
    expect(r.hazards.list({ elevatorId: LIFT2 }, COUNTY)).toHaveLength(1)
    due.stop()

    // a restarted service does not warn again for the same date
    const again = new DueDates(r.deps, r.hazards)
    again.start()
    runUntil(s, T0 + 18 * HOUR)
    expect(again.stats()).toMatchObject({ warnings: 0 })
    expect(r.outbox.forIncident(`in-${LIFT1}`)).toHaveLength(warned.length)
    again.stop()
  })

  it('lists inspections by urgency, cut to the scope', () => {
    const s = clock()
    r = recordsRig(s, more)
    const due = new DueDates(r.deps, r.hazards)
    expect(due.inspections(COUNTY).map((x) => [x.elevatorId, x.state])).toEqual([[LIFT2, 'overdue'], [LIFT1, 'due_soon'], [LIFT_ISLAND, 'ok']])
    expect(due.inspections(principal({ region: ISLAND }, 'township')).map((x) => x.elevatorId)).toEqual([LIFT_ISLAND])
    expect(due.inspections(principal({ org: 'wy-island' }, 'property')).map((x) => x.elevatorId)).toEqual([LIFT_ISLAND])
  })

  it('drills are due from the last drill run through the real chain', () => {
    const s = clock()
    r = recordsRig(s, more)
    const due = new DueDates(r.deps, r.hazards)
    expect(due.drills(COUNTY).every((d) => d.state === 'overdue' && d.dueAt === T0)).toBe(true)

    runUntil(s, T0 + 10 * 60_000)
    const d = r.service.drill(LIFT1, DESK_ACTOR)
    if (!d.ok) throw new Error(d.reason)
    runUntil(s, T0 + 12 * 60_000)
    expect(r.service.act(d.incident.id, { kind: 'arrived' }, DESK_ACTOR).ok).toBe(true)
    runUntil(s, T0 + 20 * 60_000)
    expect(r.service.act(d.incident.id, { kind: 'released', persons: 0 }, DESK_ACTOR).ok).toBe(true)
    const closedAt = T0 + 20 * 60_000

    const row = due.drills(COUNTY).find((x) => x.elevatorId === LIFT1)!
    expect(row).toMatchObject({ state: 'ok', lastDrillAt: closedAt, dueAt: closedAt + 182 * DAY })
    expect(due.drills(COUNTY).find((x) => x.elevatorId === LIFT2)!.state).toBe('overdue')
    // an open drill does not count
    const open = r.service.drill(LIFT2, DESK_ACTOR)
    expect(open.ok).toBe(true)
    expect(due.drills(COUNTY).find((x) => x.elevatorId === LIFT2)!.lastDrillAt).toBeUndefined()

    s.frame = closedAt + 160 * DAY
    expect(due.drills(COUNTY).find((x) => x.elevatorId === LIFT1)!.state).toBe('due_soon')
    s.frame = closedAt + 182 * DAY
    expect(due.drills(COUNTY).find((x) => x.elevatorId === LIFT1)!.state).toBe('overdue')
  })
})
