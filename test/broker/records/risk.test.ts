// Risk grades (broker/records/risk.ts): the points table on its own, and grades with their reasons
// from facts planted in the real stores — entrapments and faults in the alarm store, a hazard in
// the real register, residents' reports, an overdue inspection, an old car — ranked per township.
import { afterEach, describe, expect, it } from 'vitest'
import { ageYears, riskOf, riskRows, type RiskFacts } from '../../../broker/records/risk.ts'
import { SYSTEM_ACTOR } from '../../../broker/records/types.ts'
import { clock, COUNTY, principal, T0 } from '../incidents/fixtures.ts'
import { CAIYUAN, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, plantComplaint, recordsRig, storeAlarm, type RecordsRig } from './report-fixture.ts'

const DAY = 86_400_000
const NONE: RiskFacts = { entrapments: 0, faults: 0, openHazards: { major: 0, general: 0 }, inspection: 'ok', maintenanceOverdue: false, complaints: 0 }
let r: RecordsRig | undefined
afterEach(() => { r?.close(); r = undefined })

describe('riskOf', () => {
  it('sums the points table into a grade, reasons highest first, zh and en', () => {
    expect(riskOf(NONE)).toEqual({ grade: 'low', score: 0, reasons: [] })
    const medium = riskOf({ ...NONE, ageYears: 16, faults: 2 })
    expect(medium).toMatchObject({ grade: 'medium', score: 4 })
    expect(medium.reasons.map((x) => [x.key, x.points])).toEqual([['age', 2], ['faults', 2]])
    expect(medium.reasons[0]!.zh).toBe('使用超过 15 年')
    const high = riskOf({ ...NONE, entrapments: 5, openHazards: { major: 3, general: 1 }, inspection: 'overdue', complaints: 9, faults: 40 })
    // capped: entrapments 9, hazards 8, faults 5, complaints 3; inspection 4
    expect(high).toMatchObject({ grade: 'high', score: 29 })
    expect(high.reasons.map((x) => x.key)).toEqual(['entrapments', 'hazards', 'faults', 'inspection', 'complaints'])
    expect(high.reasons.find((x) => x.key === 'entrapments')!.en).toBe('5 entrapment(s) in 12 months')
    expect(riskOf({ ...NONE, maintenanceOverdue: true, inspection: 'due_soon' })).toMatchObject({ grade: 'medium', score: 4 })
  })

  it('age from inServiceSince, else the registration code year-month (digits 11–16)', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(ageYears({ registrationCode: '31103309222004060001' }, now)).toBe(21)
    expect(ageYears({ registrationCode: '31103309222024010001', inServiceSince: '2010' }, now)).toBe(16)
    expect(ageYears({ registrationCode: '31103309222024010001', inServiceSince: '2015-06-30' }, now)).toBe(10)
    expect(ageYears({ registrationCode: '31103309222024130001' }, now)).toBeUndefined()
  })
})

describe('riskRows', () => {
  it('grades every car in scope from the stores, ranked per township', () => {
    const s = clock()
    s.frame = T0 + 30 * DAY
    r = recordsRig(s, { [LIFT2]: { inServiceSince: '2003-05', nextInspection: '2026-01-10' }, [LIFT_ISLAND]: { nextInspection: '2026-02-15' } })
    // LIFT1: three entrapments and two faults this year; an older entrapment and a drill do not count
    for (const d of [1, 5, 9]) storeAlarm(r, T0 + d * DAY)
    storeAlarm(r, T0 - 400 * DAY)
    storeAlarm(r, T0 + 2 * DAY, { drill: true })
    storeAlarm(r, T0 + 3 * DAY, { type: 'door_close_fault', code: '02', severity: 'major' })
    storeAlarm(r, T0 + 4 * DAY, { type: 'overtravel_top', code: '09', severity: 'critical' })
    storeAlarm(r, T0 + 4 * DAY, { type: 'power_failure', code: '41', severity: 'major' })
    storeAlarm(r, T0 + 4 * DAY, { type: 'door_open_too_long', code: null, severity: 'minor' })
    // LIFT2: a major hazard open, a general one closed; old; inspection overdue; two residents' reports
    const h = r.hazards.register({ elevatorId: LIFT2, description: '曳引钢丝绳断丝', grade: 'major', foundBy: 'manual' }, SYSTEM_ACTOR)
    expect(h.ok).toBe(true)
    const g = r.hazards.register({ elevatorId: LIFT2, description: '照明不足', grade: 'general', foundBy: 'manual' }, SYSTEM_ACTOR)
    if (!g.ok) throw new Error(g.reason)
    for (const st of ['rectifying', 'rectified', 'closed'] as const) expect(r.hazards.change(g.value.id, { kind: 'state', state: st, measures: '更换灯具', checkedBy: '检查员' }, SYSTEM_ACTOR).ok).toBe(true)
    plantComplaint(r, LIFT2, T0 + DAY)
    plantComplaint(r, LIFT2, T0 - 370 * DAY)
    plantComplaint(r, LIFT2, T0 + 2 * DAY)
    // LIFT_ISLAND: maintenance overdue (active alarm), inspection due in 16 days
    storeAlarm(r, T0 + 20 * DAY, { elevatorId: LIFT_ISLAND, type: 'maintenance_overdue', code: null, severity: 'warning' })

    const rows = riskRows({ registry: r.deps.registry, db: r.db, alarms: r.alarms }, COUNTY, s.now())
    const by = new Map(rows.map((x) => [x.elevatorId, x]))
    expect(by.get(LIFT1)!.facts).toMatchObject({ entrapments: 3, faults: 2, ageYears: 2 })
    expect(by.get(LIFT1)).toMatchObject({ grade: 'high', score: 11 })
    expect(by.get(LIFT2)!.facts).toMatchObject({ openHazards: { major: 1, general: 0 }, inspection: 'overdue', complaints: 2, ageYears: 22 })
    expect(by.get(LIFT2)!.reasons.map((x) => [x.key, x.points])).toEqual([['hazards', 4], ['inspection', 4], ['age', 3], ['complaints', 2]])
    expect(by.get(LIFT2)).toMatchObject({ grade: 'high', score: 13 })
    expect(by.get(LIFT_ISLAND)).toMatchObject({ grade: 'medium', score: 4 })
    expect(by.get(LIFT_ISLAND)!.reasons.map((x) => x.key)).toEqual(['maintenance', 'inspection'])
    // ranked per township: LIFT2 first in 菜园镇, the island its own township's first
    expect(rows.map((x) => [x.township, x.elevatorId, x.rank])).toEqual([[CAIYUAN, LIFT2, 1], [CAIYUAN, LIFT1, 2], [ISLAND, LIFT_ISLAND, 1]])
    // a township filter and a township's scope
    expect(riskRows({ registry: r.deps.registry, db: r.db, alarms: r.alarms }, COUNTY, s.now(), ISLAND).map((x) => x.elevatorId)).toEqual([LIFT_ISLAND])
    expect(riskRows({ registry: r.deps.registry, db: r.db, alarms: r.alarms }, principal({ region: CAIYUAN }, 'township'), s.now()).map((x) => x.elevatorId)).toEqual([LIFT2, LIFT1])
  })
})
