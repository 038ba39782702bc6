// The monthly report per township and for the county:
// incidents and their KPIs, alarms by type, hazards opened / closed / overdue, patrols and drills
// done, residents' reports filed and answered in time. The KPIs come from the incident service's
// kpis(), the very function GET /api/kpis answers with, so `liftwatch report` and the API agree.
import type { Db } from '../../core/sqlite.ts'
import { catalogueEntry, isAlarmType } from '../../protocol/index.ts'
import type { Aggregate } from '../../response/index.ts'
import { inScope, type Principal } from '../accounts/scope.ts'
import type { AlarmStore } from '../alarms/store.ts'
import type { Registry } from '../registry/registry.ts'

const CST = 8 * 3_600_000
export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/
export const NO_TOWNSHIP = '(none)'

export interface ReportSources {
  readonly registry: Registry
  /** the response store: incidents (drills), hazards, patrols, complaints */
  readonly db: Db
  readonly alarms: Pick<AlarmStore, 'countsBetween'>
  /** the incident service's kpis(by, { from, to, region }, principal) */
  readonly kpis: (by: 'township' | 'county', from: number, to: number, region: string) => Aggregate[]
  /** whose report: elevators out of this scope are left out */
  readonly principal: Principal
  readonly townshipName?: (code: string) => string | undefined
  readonly now: number
}

export interface ReportRow {
  /** township code (9 digits), NO_TOWNSHIP, or the region for the whole */
  readonly key: string
  readonly name: string
  readonly elevators: number
  /** null: no incident in the period */
  readonly kpi: Aggregate | null
  readonly alarms: number
  readonly hazards: { opened: number; closed: number; overdue: number }
  readonly patrols: number
  readonly drills: number
  readonly complaints: { filed: number; ackInTime: number; resolvedInTime: number }
}

export interface AlarmTypeRow {
  readonly type: string
  readonly zh: string
  readonly en: string
  readonly severity: string
  readonly count: number
  readonly byTownship: Readonly<Record<string, number>>
}

export interface MonthlyReport {
  /** YYYY-MM, or YYYY for a year */
  readonly period: string
  readonly region: string
  /** [from, to) in ms, China Standard Time boundaries */
  readonly from: number
  readonly to: number
  readonly generatedAt: number
  readonly total: ReportRow
  readonly townships: readonly ReportRow[]
  readonly alarmsByType: readonly AlarmTypeRow[]
}

/** [from, to) of a CST month (YYYY-MM) or year (YYYY); null when malformed. */
export function periodBounds(period: string): { from: number; to: number } | null {
  const m = MONTH_PATTERN.exec(period)
  if (m) return { from: Date.UTC(Number(m[1]), Number(m[2]) - 1, 1) - CST, to: Date.UTC(Number(m[1]), Number(m[2]), 1) - CST }
  const y = /^(\d{4})$/.exec(period)
  return y ? { from: Date.UTC(Number(y[1]), 0, 1) - CST, to: Date.UTC(Number(y[1]) + 1, 0, 1) - CST } : null
}

interface Counts {
  elevators: number; alarms: number; patrols: number; drills: number
  hazards: { opened: number; closed: number; overdue: number }
  complaints: { filed: number; ackInTime: number; resolvedInTime: number }
}
const zero = (): Counts => ({ elevators: 0, alarms: 0, hazards: { opened: 0, closed: 0, overdue: 0 }, patrols: 0, drills: 0, complaints: { filed: 0, ackInTime: 0, resolvedInTime: 0 } })

export function monthlyReport(q: { month: string; region: string }, src: ReportSources): MonthlyReport {
  return periodReport({ period: q.month, region: q.region }, src)
}

export function periodReport(q: { period: string; region: string }, src: ReportSources): MonthlyReport {
  const b = periodBounds(q.period)
  if (!b) throw new RangeError(`period ${q.period}: YYYY-MM or YYYY`)
  const { from, to } = b
  // the elevators reported on: in the region and the principal's scope, by township
  const townOf = new Map<string, string>()
  for (const e of src.registry.elevators) {
    if (!(e.village ?? e.township ?? e.region).startsWith(q.region) || !inScope(src.principal.scope, e)) continue
    townOf.set(e.id, e.township ?? NO_TOWNSHIP)
  }
  const groups = new Map<string, Counts>()
  const total = zero()
  const at = (elevatorId: string, f: (c: Counts) => void) => {
    const t = townOf.get(elevatorId)
    if (t === undefined) return
    if (!groups.has(t)) groups.set(t, zero())
    f(groups.get(t)!)
    f(total)
  }
  for (const id of townOf.keys()) at(id, (c) => { c.elevators++ })

  const byType = new Map<string, { severity: string; count: number; byTownship: Record<string, number> }>()
  for (const a of src.alarms.countsBetween(from, to)) {
    const t = townOf.get(a.elevatorId)
    if (t === undefined) continue
    at(a.elevatorId, (c) => { c.alarms += a.n })
    const row = byType.get(a.type) ?? { severity: a.severity, count: 0, byTownship: {} }
    row.count += a.n
    row.byTownship[t] = (row.byTownship[t] ?? 0) + a.n
    byType.set(a.type, row)
  }

  const ids = (sql: string, ...args: number[]) => (src.db.prepare(sql).all(...args) as { id: string }[]).map((r) => r.id)
  for (const id of ids('SELECT elevator_id AS id FROM hazards WHERE found_at >= ? AND found_at < ?', from, to)) at(id, (c) => { c.hazards.opened++ })
  for (const id of ids('SELECT elevator_id AS id FROM hazards WHERE closed_at >= ? AND closed_at < ?', from, to)) at(id, (c) => { c.hazards.closed++ })
  // overdue at some moment of the period: the deadline passed before its end, not done by then
  const done = "COALESCE(json_extract(data, '$.doneAt'), closed_at)"
  for (const id of ids(`SELECT elevator_id AS id FROM hazards WHERE deadline < ? AND (${done} IS NULL OR (${done} > deadline AND ${done} >= ?))`, to, from)) {
    at(id, (c) => { c.hazards.overdue++ })
  }
  for (const id of ids('SELECT elevator_id AS id FROM patrols WHERE at >= ? AND at < ?', from, to)) at(id, (c) => { c.patrols++ })
  for (const id of ids('SELECT elevator_id AS id FROM incidents WHERE drill = 1 AND closed_at IS NOT NULL AND alarm_at >= ? AND alarm_at < ?', from, to)) {
    at(id, (c) => { c.drills++ })
  }
  const complaints = src.db.prepare(`SELECT elevator_id AS id, ack_due_at AS ackDue, resolve_due_at AS resolveDue,
      json_extract(data, '$.ackAt') AS ackAt, json_extract(data, '$.resolvedAt') AS resolvedAt
    FROM complaints WHERE created_at >= ? AND created_at < ?`).all(from, to) as { id: string; ackDue: number; resolveDue: number; ackAt: number | null; resolvedAt: number | null }[]
  for (const r of complaints) {
    at(r.id, (c) => {
      c.complaints.filed++
      if (r.ackAt !== null && r.ackAt <= r.ackDue) c.complaints.ackInTime++
      if (r.resolvedAt !== null && r.resolvedAt <= r.resolveDue) c.complaints.resolvedInTime++
    })
  }

  const kpiTown = new Map(src.kpis('township', from, to, q.region).map((k) => [k.key, k]))
  const kpiAll = src.kpis('county', from, to, q.region)
  const name = (code: string) => (code === NO_TOWNSHIP ? '未分乡镇 / No township' : src.townshipName?.(code) ?? code)
  const townships = [...new Set([...groups.keys(), ...kpiTown.keys()])].sort().map((k) => ({
    key: k, name: name(k), kpi: kpiTown.get(k) ?? null, ...(groups.get(k) ?? zero()),
  }))
  return {
    period: q.period, region: q.region, from, to, generatedAt: src.now,
    // several counties only for an admin asking for a shorter prefix: their incidents counted together then
    total: { key: q.region, name: q.region.length === 6 ? `全县 / County ${q.region}` : name(q.region), kpi: kpiAll.length === 1 ? kpiAll[0]! : merged(kpiAll, q.region), ...total },
    townships,
    alarmsByType: [...byType.entries()].sort(([ta, a], [tb, b]) => b.count - a.count || ta.localeCompare(tb)).map(([type, r]) => {
      const c = isAlarmType(type) ? catalogueEntry(type) : undefined
      return { type, zh: c?.zh ?? type, en: c?.en ?? type, ...r }
    }),
  }
}

/** Several rows as one, weighted by incidents (null when none). */
function merged(rows: readonly Aggregate[], key: string): Aggregate | null {
  const n = rows.reduce((s, r) => s + r.incidents, 0)
  if (!n) return null
  const w = (f: (r: Aggregate) => number | null) => {
    const xs = rows.filter((r) => f(r) !== null)
    const m = xs.reduce((s, r) => s + r.incidents, 0)
    return m ? xs.reduce((s, r) => s + f(r)! * r.incidents, 0) / m : null
  }
  return {
    key, incidents: n, responseRate: w((r) => r.responseRate)!, arrivalInLimitRate: w((r) => r.arrivalInLimitRate)!,
    meanArrivalMs: w((r) => r.meanArrivalMs), meanRescueMs: w((r) => r.meanRescueMs), meanOnSiteMs: w((r) => r.meanOnSiteMs),
  }
}
