// Risk assessment (风险评估, one of the records the county keeps): a grade per elevator with its
// reasons, from its age, entrapments and faults in the last 12 months, open hazards, an overdue
// inspection or maintenance and residents' reports; ranked per township so patrols and inspections
// go first where the risk is (预防为主). riskOf is pure; riskRows reads the stores.
//
// Points (POINTS below; a grade is the sum):
//   age            ≥ 20 years 3, ≥ 15 years 2, ≥ 10 years 1 (inServiceSince, else the registration code's year-month)
//   entrapments    3 each in 12 months, at most 9
//   faults         1 each major/critical fault in 12 months (not entrapment, power failure, alarm button, lost link), at most 5
//   open hazards   major 4 each, general 2 each, at most 8
//   inspection     overdue 4, due within 30 days 1
//   maintenance    overdue (an active maintenance_overdue alarm) 3
//   residents      1 each report in 12 months, at most 3
//   grade          high ≥ 8, medium ≥ 4, else low
import type { Db } from '../../core/sqlite.ts'
import { inScope, type Principal } from '../accounts/scope.ts'
import type { AlarmCount, AlarmStore } from '../alarms/store.ts'
import type { Elevator, Registry } from '../registry/registry.ts'
import { DAY, inspectionState, type DueState } from './due.ts'

export const POINTS = {
  age: [{ years: 20, points: 3 }, { years: 15, points: 2 }, { years: 10, points: 1 }],
  entrapment: { each: 3, max: 9 },
  fault: { each: 1, max: 5 },
  hazard: { major: 4, general: 2, max: 8 },
  inspection: { overdue: 4, due_soon: 1 },
  maintenanceOverdue: 3,
  complaint: { each: 1, max: 3 },
  grade: { high: 8, medium: 4 },
} as const

/** Alarm types that are not the elevator's own fault, or are counted apart. */
export const NOT_FAULTS: ReadonlySet<string> = new Set(['entrapment', 'power_failure', 'alarm_button', 'communication_lost'])

export type RiskGrade = 'high' | 'medium' | 'low'
export const RISK_GRADE_ZH: Readonly<Record<RiskGrade, string>> = { high: '高', medium: '中', low: '低' }

export interface RiskFacts {
  readonly ageYears?: number
  readonly entrapments: number
  readonly faults: number
  readonly openHazards: { readonly major: number; readonly general: number }
  readonly inspection: DueState
  readonly maintenanceOverdue: boolean
  readonly complaints: number
}

export interface RiskReason { readonly key: string; readonly points: number; readonly zh: string; readonly en: string }
export interface Risk { readonly grade: RiskGrade; readonly score: number; readonly reasons: readonly RiskReason[] }

export interface RiskRow extends Risk {
  readonly elevatorId: string
  readonly registrationCode: string
  readonly township?: string
  readonly village?: string
  readonly address: string
  readonly building?: string
  /** 1 = the highest risk in its township */
  readonly rank: number
  readonly facts: RiskFacts
}

export function riskOf(f: RiskFacts): Risk {
  const reasons: RiskReason[] = []
  const add = (key: string, points: number, zh: string, en: string) => { if (points > 0) reasons.push({ key, points, zh, en }) }
  if (f.ageYears !== undefined) {
    const band = POINTS.age.find((a) => f.ageYears! >= a.years)
    if (band) add('age', band.points, `使用超过 ${band.years} 年`, `in use over ${band.years} years`)
  }
  add('entrapments', Math.min(f.entrapments * POINTS.entrapment.each, POINTS.entrapment.max), `近 12 个月困人 ${f.entrapments} 次`, `${f.entrapments} entrapment(s) in 12 months`)
  add('faults', Math.min(f.faults * POINTS.fault.each, POINTS.fault.max), `近 12 个月故障 ${f.faults} 次`, `${f.faults} fault(s) in 12 months`)
  const h = f.openHazards
  add('hazards', Math.min(h.major * POINTS.hazard.major + h.general * POINTS.hazard.general, POINTS.hazard.max),
    `未销号隐患 ${h.major + h.general} 项（重大 ${h.major}）`, `${h.major + h.general} open hazard(s), ${h.major} major`)
  if (f.inspection === 'overdue') add('inspection', POINTS.inspection.overdue, '定期检验已超期', 'periodic inspection overdue')
  if (f.inspection === 'due_soon') add('inspection', POINTS.inspection.due_soon, '定期检验即将到期', 'periodic inspection due soon')
  if (f.maintenanceOverdue) add('maintenance', POINTS.maintenanceOverdue, '维保超期', 'maintenance overdue')
  add('complaints', Math.min(f.complaints * POINTS.complaint.each, POINTS.complaint.max), `近 12 个月群众投诉 ${f.complaints} 件`, `${f.complaints} resident report(s) in 12 months`)
  const score = reasons.reduce((s, r) => s + r.points, 0)
  const grade: RiskGrade = score >= POINTS.grade.high ? 'high' : score >= POINTS.grade.medium ? 'medium' : 'low'
  return { grade, score, reasons: reasons.sort((a, b) => b.points - a.points) }
}

/** Whole years in use: registry inServiceSince, else digits 11–16 (YYYYMM) of the registration code (docs/domain.md#identifiers). */
export function ageYears(e: Pick<Elevator, 'inServiceSince' | 'registrationCode'>, now: number): number | undefined {
  const since = e.inServiceSince ?? (/^\d{20}$/.test(e.registrationCode) ? `${e.registrationCode.slice(10, 14)}-${e.registrationCode.slice(14, 16)}` : undefined)
  const m = since ? /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(since) : null
  if (!m) return undefined
  const month = Number(m[2] ?? 1)
  if (month < 1 || month > 12) return undefined
  const start = Date.UTC(Number(m[1]), month - 1, Number(m[3] ?? 1))
  return Math.max(0, Math.floor((now - start) / (365.25 * DAY)))
}

export interface RiskSources {
  readonly registry: Registry
  readonly db: Db
  readonly alarms: Pick<AlarmStore, 'countsBetween' | 'active'>
  readonly warnDays?: number
}

/** Every elevator in the principal's scope (and township, if given) graded, ranked per township. */
export function riskRows(src: RiskSources, principal: Principal, now: number, township?: string): RiskRow[] {
  const since = now - 365 * DAY
  const elevators = src.registry.elevators.filter((e) => inScope(principal.scope, e) && (township === undefined || (e.township ?? '').startsWith(township)))
  const ids = new Set(elevators.map((e) => e.id))
  const entrapments = new Map<string, number>()
  const faults = new Map<string, number>()
  const bump = (m: Map<string, number>, id: string, n: number) => m.set(id, (m.get(id) ?? 0) + n)
  for (const c of src.alarms.countsBetween(since, now + 1) as AlarmCount[]) {
    if (!ids.has(c.elevatorId)) continue
    if (c.type === 'entrapment') bump(entrapments, c.elevatorId, c.n)
    else if (!NOT_FAULTS.has(c.type) && (c.severity === 'critical' || c.severity === 'major')) bump(faults, c.elevatorId, c.n)
  }
  const hazards = new Map<string, { major: number; general: number }>()
  for (const r of src.db.prepare("SELECT elevator_id AS id, grade, COUNT(*) AS n FROM hazards WHERE state != 'closed' GROUP BY elevator_id, grade").all() as { id: string; grade: string; n: number }[]) {
    const h = hazards.get(r.id) ?? { major: 0, general: 0 }
    if (r.grade === 'major') h.major += r.n
    else h.general += r.n
    hazards.set(r.id, h)
  }
  const complaints = new Map((src.db.prepare('SELECT elevator_id AS id, COUNT(*) AS n FROM complaints WHERE created_at >= ? GROUP BY elevator_id').all(since) as { id: string; n: number }[]).map((r) => [r.id, r.n]))
  const maintenance = new Set(src.alarms.active().filter((a) => a.type === 'maintenance_overdue').map((a) => a.elevatorId))
  const rows = elevators.map((e) => {
    const age = ageYears(e, now)
    const facts: RiskFacts = {
      ...(age !== undefined ? { ageYears: age } : {}), entrapments: entrapments.get(e.id) ?? 0, faults: faults.get(e.id) ?? 0,
      openHazards: hazards.get(e.id) ?? { major: 0, general: 0 }, inspection: inspectionState(e.nextInspection, now, src.warnDays ?? 30).state,
      maintenanceOverdue: maintenance.has(e.id), complaints: complaints.get(e.id) ?? 0,
    }
    return {
      elevatorId: e.id, registrationCode: e.registrationCode, address: e.address, rank: 0, facts, ...riskOf(facts),
      ...(e.township ? { township: e.township } : {}), ...(e.village ? { village: e.village } : {}), ...(e.building ? { building: e.building } : {}),
    }
  })
  rows.sort((a, b) => (a.township ?? '').localeCompare(b.township ?? '') || b.score - a.score || a.elevatorId.localeCompare(b.elevatorId))
  let town: string | undefined
  let rank = 0
  return rows.map((r) => {
    rank = r.township === town ? rank + 1 : 1
    town = r.township
    return { ...r, rank }
  })
}
