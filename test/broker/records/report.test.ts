// The monthly report (broker/records/report.ts) of a simulated January: incidents through the real
// incident service in virtual time, alarms in the real alarm store, hazards in the real register,
// patrols and residents' reports in their tables. Its KPIs equal GET /api/kpis for the same month
// through the HTTP app; the XLSX opens with exceljs; a township gets its own township only.
import ExcelJS from 'exceljs'
import { afterEach, describe, expect, it } from 'vitest'
import { monthlyReport, periodBounds } from '../../../broker/records/report.ts'
import { reportSources } from '../../../broker/http/report-routes.ts'
import { REPORT_SHEETS } from '../../../broker/records/report-xlsx.ts'
import { SYSTEM_ACTOR } from '../../../broker/records/types.ts'
import type { Actor } from '../../../response/index.ts'
import { clock, COUNTY, runUntil, T0 } from '../incidents/fixtures.ts'
import { DESK, MAINT, PROPERTY, TOWN_A, USERS } from '../http/incident-fixture.ts'
import {
  CAIYUAN, DESK_ACTOR, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, MIN, plantComplaint, plantPatrol, recordsRig, reportApp, storeAlarm, type RecordsRig,
} from './report-fixture.ts'

const DAY = 86_400_000
const HOUR = 3_600_000
const FEB = Date.UTC(2026, 1, 5)
const TECH: Actor = { name: '王师傅', via: 'link', role: 'maintenance' }
let r: RecordsRig | undefined
afterEach(() => { r?.close(); r = undefined })

/** January 2026 in 嵊泗县, and a little of December and February around it. */
function simulateJanuary(): { r: RecordsRig; s: ReturnType<typeof clock> } {
  const s = clock()
  s.frame = T0 - 10 * DAY
  const rr = recordsRig(s)
  // a December hazard still open in January: overdue in January
  expect(rr.hazards.register({ elevatorId: LIFT_ISLAND, description: '底坑进水', grade: 'major', foundBy: 'patrol' }, SYSTEM_ACTOR).ok).toBe(true)
  runUntil(s, T0)
  const trap = (elevatorId: string, at: number, after: { responded: number; arrived: number; released: number } | 'false') => {
    runUntil(s, at)
    const a = storeAlarm(rr, at, { elevatorId })
    rr.service.onAlarm(a)
    const id = rr.service.list({ elevatorId, open: true }, COUNTY)[0]!.id
    if (after === 'false') { expect(rr.service.act(id, { kind: 'false_alarm' }, TECH).ok).toBe(true); return }
    runUntil(s, at + after.responded)
    expect(rr.service.act(id, { kind: 'responded' }, TECH).ok).toBe(true)
    runUntil(s, at + after.arrived)
    expect(rr.service.act(id, { kind: 'arrived' }, TECH).ok).toBe(true)
    runUntil(s, at + after.released)
    expect(rr.service.act(id, { kind: 'released', persons: 1 }, TECH).ok).toBe(true)
  }
  trap(LIFT1, T0 + DAY, { responded: 2 * MIN, arrived: 20 * MIN, released: 30 * MIN })
  trap(LIFT_ISLAND, T0 + 2 * DAY, { responded: 5 * MIN, arrived: 80 * MIN, released: 100 * MIN })
  trap(LIFT2, T0 + 3 * DAY, 'false')
  // a drill, closed
  runUntil(s, T0 + 4 * DAY)
  const d = rr.service.drill(LIFT1, DESK_ACTOR)
  if (!d.ok) throw new Error(d.reason)
  runUntil(s, T0 + 4 * DAY + 15 * MIN)
  expect(rr.service.act(d.incident.id, { kind: 'released', persons: 0 }, DESK_ACTOR).ok).toBe(true)
  // faults and a drill alarm (the false alarm's entrapment counts as an alarm, not an incident)
  for (const k of [5, 6, 7]) storeAlarm(rr, T0 + k * DAY, { elevatorId: LIFT2, type: 'door_close_fault', code: '02', severity: 'major' })
  storeAlarm(rr, T0 + 8 * DAY, { drill: true })
  // hazards: a major one past its 7 days, a general one closed within the month
  runUntil(s, T0 + 9 * DAY)
  expect(rr.hazards.register({ elevatorId: LIFT1, description: '安全回路短接', grade: 'major', foundBy: 'monitoring' }, SYSTEM_ACTOR).ok).toBe(true)
  const g = rr.hazards.register({ elevatorId: LIFT2, description: '轿厢照明不足', grade: 'general', foundBy: 'patrol' }, SYSTEM_ACTOR)
  if (!g.ok) throw new Error(g.reason)
  runUntil(s, T0 + 12 * DAY)
  for (const st of ['rectifying', 'rectified', 'closed'] as const) expect(rr.hazards.change(g.value.id, { kind: 'state', state: st, measures: '更换灯具', checkedBy: '徐干部' }, SYSTEM_ACTOR).ok).toBe(true)
  // patrols and residents' reports
  plantPatrol(rr, LIFT1, T0 + 10 * DAY)
  plantPatrol(rr, LIFT2, T0 + 10 * DAY)
  plantPatrol(rr, LIFT_ISLAND, T0 + 11 * DAY)
  plantComplaint(rr, LIFT1, T0 + 13 * DAY, { ackAt: T0 + 13 * DAY + 2 * HOUR, resolvedAt: T0 + 15 * DAY })
  plantComplaint(rr, LIFT1, T0 + 14 * DAY, { ackAt: T0 + 15 * DAY + 6 * HOUR })
  plantComplaint(rr, LIFT_ISLAND, T0 + 14 * DAY)
  // February: outside the report
  runUntil(s, FEB)
  storeAlarm(rr, FEB, { elevatorId: LIFT2, type: 'door_close_fault', code: '02', severity: 'major' })
  rr.service.onAlarm(storeAlarm(rr, FEB, { elevatorId: LIFT2 }))
  plantPatrol(rr, LIFT1, FEB)
  plantComplaint(rr, LIFT1, FEB)
  return { r: rr, s }
}

describe('monthlyReport', () => {
  it('counts a simulated month per township and for the county', () => {
    ({ r } = simulateJanuary())
    const rep = monthlyReport({ month: '2026-01', region: '330922' }, reportSources(r.deps, COUNTY))
    expect(periodBounds('2026-01')).toEqual({ from: Date.UTC(2025, 11, 31, 16), to: Date.UTC(2026, 0, 31, 16) })
    expect(rep.total).toMatchObject({
      elevators: 3, alarms: 6, patrols: 3, drills: 1,
      hazards: { opened: 2, closed: 1, overdue: 2 }, complaints: { filed: 3, ackInTime: 1, resolvedInTime: 1 },
    })
    expect(rep.total.kpi).toMatchObject({ incidents: 2, responseRate: 0.5 })
    expect(rep.townships.map((t) => [t.key, t.name, t.elevators, t.kpi?.incidents])).toEqual([[CAIYUAN, '菜园镇政府', 2, 1], [ISLAND, ISLAND, 1, 1]])
    const [cai, isl] = rep.townships
    expect(cai).toMatchObject({ alarms: 5, patrols: 2, drills: 1, hazards: { opened: 2, closed: 1, overdue: 1 }, complaints: { filed: 2, ackInTime: 1, resolvedInTime: 1 } })
    expect(cai!.kpi).toMatchObject({ responseRate: 1, arrivalInLimitRate: 1, meanArrivalMs: 20 * MIN, meanRescueMs: 30 * MIN })
    expect(isl).toMatchObject({ alarms: 1, patrols: 1, drills: 0, hazards: { opened: 0, closed: 0, overdue: 1 }, complaints: { filed: 1, ackInTime: 0 } })
    expect(isl!.kpi).toMatchObject({ responseRate: 0, meanArrivalMs: 80 * MIN })
    expect(rep.alarmsByType).toEqual([
      { type: 'door_close_fault', zh: '关门故障', en: 'Door fails to close', severity: 'major', count: 3, byTownship: { [CAIYUAN]: 3 } },
      { type: 'entrapment', zh: '困人', en: 'Passenger trapped', severity: 'critical', count: 3, byTownship: { [CAIYUAN]: 2, [ISLAND]: 1 } },
    ])
  })

  it('its KPIs equal GET /api/kpis for the month; JSON and XLSX through the API, scoped', async () => {
    const sim = simulateJanuary()
    r = sim.r
    const http = await reportApp(r, sim.s, USERS)
    try {
      const get = (url: string, user = DESK.username) => http.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${http.token(user)}` } })
      const { from, to } = periodBounds('2026-01')!
      const res = await get('/api/reports/monthly?month=2026-01&region=330922')
      expect(res.statusCode).toBe(200)
      const rep = res.json() as ReturnType<typeof monthlyReport>
      expect(rep).toEqual(monthlyReport({ month: '2026-01', region: '330922' }, reportSources(r.deps, COUNTY)))
      const byTown = (await get(`/api/kpis?by=township&from=${from}&to=${to}`)).json() as { rows: unknown[] }
      expect(byTown.rows).toHaveLength(2)
      expect(rep.townships.map((t) => t.kpi)).toEqual(byTown.rows)
      const county = (await get(`/api/kpis?by=county&from=${from}&to=${to}`)).json() as { rows: unknown[] }
      expect([rep.total.kpi]).toEqual(county.rows)

      const x = await get('/api/reports/monthly?month=2026-01&format=xlsx')
      expect(x.statusCode).toBe(200)
      expect(x.headers['content-type']).toContain('spreadsheetml')
      const wb = new ExcelJS.Workbook()
      await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer)
      expect(wb.worksheets.map((w) => w.name)).toEqual([...REPORT_SHEETS])
      const towns = wb.getWorksheet('乡镇')!
      expect(towns.getRow(1).getCell(2).value).toBe('乡镇 / Township')
      expect([2, 3, 4].map((i) => [towns.getRow(i).getCell(1).value, towns.getRow(i).getCell(4).value])).toEqual([[CAIYUAN, 1], [ISLAND, 1], ['330922', 2]])
      expect(wb.getWorksheet('告警')!.getRow(2).getCell(1).value).toBe('door_close_fault')

      // a township user gets their township, asked or not; another township is refused
      const mine = (await get('/api/reports/monthly?month=2026-01', TOWN_A.username)).json() as typeof rep
      expect(mine.region).toBe(CAIYUAN)
      expect(mine.townships.map((t) => t.key)).toEqual([CAIYUAN])
      expect(mine.total).toMatchObject({ elevators: 2, alarms: 5, kpi: { incidents: 1 } })
      expect((await get('/api/reports/monthly?month=2026-01&region=330922', TOWN_A.username)).json()).toMatchObject({ region: CAIYUAN })
      expect((await get(`/api/reports/monthly?month=2026-01&region=${ISLAND}`, TOWN_A.username)).statusCode).toBe(403)
      expect((await get('/api/reports/monthly?month=2026-01', MAINT.username)).statusCode).toBe(403)
      expect((await get('/api/reports/monthly?month=2026-13')).statusCode).toBe(400)
      const audit = http.accounts.auditLog({ limit: 50 }).map((e) => e.action)
      expect(audit).toEqual(expect.arrayContaining(['report.monthly', 'report.monthly.denied']))

      // risk and due dates through the API
      const risk = (await get('/api/risk')).json() as { rows: { elevatorId: string; rank: number }[] }
      expect(risk.rows.map((x) => x.elevatorId).sort()).toEqual([LIFT1, LIFT2, LIFT_ISLAND].sort())
      expect((await get('/api/risk', PROPERTY.username)).statusCode).toBe(403)
      const due = (await get('/api/due', PROPERTY.username)).json() as { inspections: { elevatorId: string }[]; drills: { elevatorId: string; state: string }[] }
      expect(due.inspections.map((x) => x.elevatorId).sort()).toEqual([LIFT1, LIFT2])
      expect(due.drills.find((x) => x.elevatorId === LIFT1)!.state).toBe('ok')
      expect(due.drills.find((x) => x.elevatorId === LIFT2)!.state).toBe('overdue')
    } finally {
      await http.close()
    }
  })
})
