// The incidents table: one row per incident, the indexed columns beside the whole Incident as JSON
// (broker/incidents/db.ts). The engine (response/engine.ts) makes every state; this only keeps it.
import type { Db } from '../../core/sqlite.ts'
import { isClosed, type Incident } from '../../response/index.ts'
import type { Scope } from '../accounts/scope.ts'
import type { IncidentQuery } from './types.ts'

export const LIST_LIMIT = 5000

interface Row { data: string; wake_at: number | null }

export class IncidentStore {
  constructor(private readonly db: Db) {}

  save(i: Incident, wakeAt: number | null): void {
    this.db.prepare(`INSERT INTO incidents (id, elevator_id, region, township, maintenance, property, state, drill, source,
        alarm_type, trapped_at, alarm_at, closed_at, wake_at, data)
      VALUES (@id, @elevatorId, @region, @township, @maintenance, @property, @state, @drill, @source,
        @alarmType, @trappedAt, @alarmAt, @closedAt, @wakeAt, @data)
      ON CONFLICT (id) DO UPDATE SET state = excluded.state, alarm_type = excluded.alarm_type, closed_at = excluded.closed_at,
        wake_at = excluded.wake_at, data = excluded.data`).run({
      id: i.id, elevatorId: i.elevator.elevatorId, region: i.elevator.region, township: i.elevator.township ?? null,
      maintenance: i.elevator.maintenance ?? null, property: i.elevator.property ?? null, state: i.state, drill: i.drill ? 1 : 0,
      source: i.source, alarmType: i.alarmType ?? null, trappedAt: i.trappedAt, alarmAt: i.alarmAt,
      // closed_at drives the open index: a closed incident always has one
      closedAt: isClosed(i.state) ? i.closedAt ?? i.alarmAt : null, wakeAt: isClosed(i.state) ? null : wakeAt, data: JSON.stringify(i),
    })
  }

  get(id: string): Incident | undefined {
    const r = this.db.prepare('SELECT data FROM incidents WHERE id = ?').get(id) as Row | undefined
    return r ? (JSON.parse(r.data) as Incident) : undefined
  }

  openFor(elevatorId: string): Incident[] {
    return (this.db.prepare('SELECT data FROM incidents WHERE elevator_id = ? AND closed_at IS NULL ORDER BY alarm_at').all(elevatorId) as Row[])
      .map((r) => JSON.parse(r.data) as Incident)
  }

  /** Every open incident and when it wants to wake: what a restarted service picks up. */
  open(): { incident: Incident; wakeAt: number | null }[] {
    return (this.db.prepare('SELECT data, wake_at FROM incidents WHERE closed_at IS NULL ORDER BY alarm_at').all() as Row[])
      .map((r) => ({ incident: JSON.parse(r.data) as Incident, wakeAt: r.wake_at }))
  }

  /**
   * Newest alarm first. `region` and a region scope match the township code (or the county code
   * for a 6-digit prefix); a village prefix (12 digits) is matched to its township here and cut
   * further by the caller, which knows the registry's villages.
   */
  list(q: IncidentQuery & { scope?: Scope }): Incident[] {
    const where: string[] = []
    const args: (string | number)[] = []
    const prefix = (p: string) => { where.push('COALESCE(township, region) LIKE ?'); args.push(`${p.slice(0, 9)}%`) }
    if (q.open) where.push('closed_at IS NULL')
    if (q.elevatorId !== undefined) { where.push('elevator_id = ?'); args.push(q.elevatorId) }
    if (q.region !== undefined) prefix(q.region)
    if (q.from !== undefined) { where.push('alarm_at >= ?'); args.push(q.from) }
    if (q.to !== undefined) { where.push('alarm_at < ?'); args.push(q.to) }
    if (q.drill !== undefined) { where.push('drill = ?'); args.push(q.drill ? 1 : 0) }
    if (q.scope && 'region' in q.scope) prefix(q.scope.region)
    if (q.scope && 'org' in q.scope) { where.push('(maintenance = ? OR property = ?)'); args.push(q.scope.org, q.scope.org) }
    const limit = Math.max(1, Math.min(q.limit ?? LIST_LIMIT, LIST_LIMIT))
    const sql = `SELECT data FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY alarm_at DESC, id DESC LIMIT ${limit}`
    return (this.db.prepare(sql).all(...args) as Row[]).map((r) => JSON.parse(r.data) as Incident)
  }

  /** Every incident whose alarm time is in [from, to), for KPIs. */
  all(from: number, to: number): Incident[] {
    return (this.db.prepare('SELECT data FROM incidents WHERE alarm_at >= ? AND alarm_at < ? ORDER BY alarm_at').all(from, to) as Row[])
      .map((r) => JSON.parse(r.data) as Incident)
  }
}
