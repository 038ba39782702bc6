// KPIs per incident and per township, maintenance unit and month (docs/domain.md#kpis): the
// 3-minute response rate, the arrival-in-limit rate, mean arrival and mean rescue times.
import type { Incident } from './types.ts'

export interface IncidentKpi {
  readonly incidentId: string
  /** alarm → first response (acknowledgement) */
  readonly responseMs?: number
  /** alarm → a rescuer on site */
  readonly arrivalMs?: number
  /** alarm → passengers released */
  readonly rescueMs?: number
  /** on site → passengers released */
  readonly onSiteMs?: number
  readonly respondedInLimit: boolean
  readonly arrivedInLimit: boolean
}

export function incidentKpi(i: Incident): IncidentKpi {
  const since = (t: number | undefined) => (t === undefined ? undefined : t - i.alarmAt)
  const responseMs = since(i.respondedAt)
  const arrivalMs = since(i.arrivedAt)
  const rescueMs = since(i.releasedAt)
  return {
    incidentId: i.id,
    ...(responseMs !== undefined ? { responseMs } : {}),
    ...(arrivalMs !== undefined ? { arrivalMs } : {}),
    ...(rescueMs !== undefined ? { rescueMs } : {}),
    ...(i.arrivedAt !== undefined && i.releasedAt !== undefined ? { onSiteMs: i.releasedAt - i.arrivedAt } : {}),
    respondedInLimit: responseMs !== undefined && responseMs <= i.responseLimitMs,
    arrivedInLimit: arrivalMs !== undefined && arrivalMs <= i.arrivalLimitMs,
  }
}

export interface Aggregate {
  readonly key: string
  /** incidents counted: closed or open, drills and false alarms excluded unless asked */
  readonly incidents: number
  readonly responseRate: number
  readonly arrivalInLimitRate: number
  readonly meanArrivalMs: number | null
  readonly meanRescueMs: number | null
  readonly meanOnSiteMs: number | null
}

export type GroupBy = 'township' | 'maintenance' | 'month' | 'county'

// the county keeps China Standard Time, UTC+8 all year
const CST = 8 * 3_600_000
export function monthOf(ms: number): string {
  return new Date(ms + CST).toISOString().slice(0, 7)
}

function keyOf(i: Incident, by: GroupBy): string {
  switch (by) {
    case 'township': return i.elevator.township ?? '(none)'
    case 'maintenance': return i.elevator.maintenance ?? '(none)'
    case 'month': return monthOf(i.alarmAt)
    case 'county': return i.elevator.region
  }
}

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)

export function aggregate(incidents: readonly Incident[], by: GroupBy, opts: { includeDrills?: boolean } = {}): Aggregate[] {
  const groups = new Map<string, IncidentKpi[]>()
  for (const i of incidents) {
    if ((i.drill && !opts.includeDrills) || i.state === '05') continue
    const k = keyOf(i, by)
    const list = groups.get(k) ?? []
    list.push(incidentKpi(i))
    groups.set(k, list)
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, ks]) => ({
    key,
    incidents: ks.length,
    responseRate: ks.filter((k) => k.respondedInLimit).length / ks.length,
    arrivalInLimitRate: ks.filter((k) => k.arrivedInLimit).length / ks.length,
    meanArrivalMs: mean(ks.flatMap((k) => (k.arrivalMs !== undefined ? [k.arrivalMs] : []))),
    meanRescueMs: mean(ks.flatMap((k) => (k.rescueMs !== undefined ? [k.rescueMs] : []))),
    meanOnSiteMs: mean(ks.flatMap((k) => (k.onSiteMs !== undefined ? [k.onSiteMs] : []))),
  }))
}
