// The hazard register's rows in the response store (broker/incidents/db.ts, table hazards): the
// searchable columns beside the whole record as JSON. SQL only: no timers, no logs.
import type { Statement } from 'better-sqlite3'
import type { Db } from '../../core/sqlite.ts'
import type { Hazard } from './types.ts'

interface Row { data: string }

export interface HazardFilter {
  readonly states?: readonly string[]
  readonly elevatorId?: string
  /** prefix of the most specific region code (village, else township, else county) */
  readonly region?: string
  /** scope by organisation: the maintenance unit or the use unit */
  readonly org?: string
  readonly from?: number
  readonly to?: number
  /** deadline before (the overdue filter) */
  readonly deadlineBefore?: number
}

export class HazardStore {
  private readonly sql: {
    upsert: Statement<Record<string, unknown>>
    get: Statement<[string], Row>
    openFor: Statement<[string, string], Row>
    open: Statement<[], Row>
    seq: Statement<[string], { value: string }>
    setSeq: Statement<[string, string]>
    maxNumber: Statement<[string], { n: string | null }>
    counts: Statement<[number], { open: number; overdue: number }>
    withPhoto: Statement<[string], Row>
  }

  constructor(private readonly db: Db) {
    this.sql = {
      upsert: db.prepare(`INSERT INTO hazards (id, number, elevator_id, region, township, village, maintenance, use_unit, state, grade, found_by, rule, found_at, deadline, closed_at, data)
        VALUES (@id, @number, @elevatorId, @region, @township, @village, @maintenance, @useUnit, @state, @grade, @foundBy, @rule, @foundAt, @deadline, @closedAt, @data)
        ON CONFLICT (id) DO UPDATE SET state = excluded.state, deadline = excluded.deadline, closed_at = excluded.closed_at, data = excluded.data`),
      get: db.prepare('SELECT data FROM hazards WHERE id = ?'),
      openFor: db.prepare("SELECT data FROM hazards WHERE elevator_id = ? AND rule = ? AND state != 'closed' ORDER BY found_at LIMIT 1"),
      open: db.prepare("SELECT data FROM hazards WHERE state != 'closed'"),
      seq: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setSeq: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      maxNumber: db.prepare('SELECT max(number) AS n FROM hazards WHERE number LIKE ?'),
      counts: db.prepare(`SELECT count(*) FILTER (WHERE state != 'closed') AS open,
        count(*) FILTER (WHERE state IN ('open', 'rectifying') AND deadline <= ?) AS overdue FROM hazards`),
      withPhoto: db.prepare("SELECT h.data FROM hazards h, json_each(h.data, '$.photos') p WHERE p.value = ?"),
    }
  }

  save(h: Hazard): void {
    this.sql.upsert.run({
      id: h.id, number: h.number, elevatorId: h.elevatorId, region: h.region, township: h.township ?? null, village: h.village ?? null,
      maintenance: h.maintenance ?? null, useUnit: h.useUnit ?? null, state: h.state, grade: h.grade, foundBy: h.foundBy, rule: h.rule ?? null,
      foundAt: h.foundAt, deadline: h.deadline, closedAt: h.closedAt ?? null, data: JSON.stringify(h),
    })
  }

  get(id: string): Hazard | null {
    const r = this.sql.get.get(id)
    return r ? parse(r) : null
  }

  /** The open (not closed) hazard of a rule on a car: a second finding joins it. */
  openFor(elevatorId: string, rule: string): Hazard | null {
    const r = this.sql.openFor.get(elevatorId, rule)
    return r ? parse(r) : null
  }

  /** Every hazard not closed: the overdue timers are planned from them at start. */
  open(): Hazard[] {
    return this.sql.open.all().map(parse)
  }

  /**
   * The next register number of a county and year, counted in `meta` (call inside the register's
   * transaction); a file whose counter is missing starts after the highest number it holds.
   */
  nextNumber(county: string, year: number): string {
    const key = `hazard_seq/${county}/${year}`
    const prefix = `${county}-${year}-`
    let n = Number(this.sql.seq.get(key)?.value ?? NaN)
    if (!Number.isFinite(n)) n = Number(this.sql.maxNumber.get(`${prefix}%`)?.n?.slice(prefix.length) ?? 0) || 0
    n++
    this.sql.setSeq.run(key, String(n))
    return `${prefix}${String(n).padStart(4, '0')}`
  }

  list(f: HazardFilter): Hazard[] {
    const where: string[] = []
    const p: Record<string, unknown> = {}
    if (f.states) { where.push('state IN (SELECT value FROM json_each(@states))'); p.states = JSON.stringify(f.states) }
    if (f.elevatorId) { where.push('elevator_id = @elevatorId'); p.elevatorId = f.elevatorId }
    if (f.region) { where.push("coalesce(village, township, region) LIKE @region || '%'"); p.region = f.region }
    if (f.org) { where.push('(maintenance = @org OR use_unit = @org)'); p.org = f.org }
    if (f.from !== undefined) { where.push('found_at >= @from'); p.from = f.from }
    if (f.to !== undefined) { where.push('found_at < @to'); p.to = f.to }
    if (f.deadlineBefore !== undefined) { where.push('deadline <= @deadlineBefore'); p.deadlineBefore = f.deadlineBefore }
    const sql = `SELECT data FROM hazards ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY found_at DESC, number DESC`
    return (this.db.prepare(sql).all(p) as Row[]).map(parse)
  }

  counts(now: number): { open: number; overdue: number } {
    return this.sql.counts.get(now) ?? { open: 0, overdue: 0 }
  }

  /** The hazards that list a photo (a photo's subject may be the patrol it was taken on). */
  withPhoto(photoId: string): Hazard[] {
    return this.sql.withPhoto.all(photoId).map(parse)
  }
}

const parse = (r: Row): Hazard => JSON.parse(r.data) as Hazard
