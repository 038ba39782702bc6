// Inspections and drills due (the county's records, docs/domain.md#response-chain for drills): the periodic inspection's
// date from the registry (warn 30 days before, alarm when overdue), an emergency drill every 6
// months per elevator from the drills run through the real chain (closed incidents with drill).
// Dates are China Standard Time days; time comes from the injected scheduler.
import type { Subscription } from 'rxjs'
import { inScope, type Principal } from '../accounts/scope.ts'
import type { AttemptReport } from '../notify/types.ts'
import type { Elevator } from '../registry/registry.ts'
import { recordMessage, recordNotices } from './notify.ts'
import type { HazardRegister, RecordsDeps, RecordsPart } from './types.ts'

export const DAY = 86_400_000
// the county keeps China Standard Time, UTC+8 all year (response/kpi.ts)
const CST = 8 * 3_600_000

export type DueState = 'ok' | 'due_soon' | 'overdue' | 'unknown'
export const DUE_STATE_ZH: Readonly<Record<DueState, string>> = { ok: '正常', due_soon: '即将到期', overdue: '已超期', unknown: '未登记' }

/** 00:00 China Standard Time of a YYYY-MM-DD day, in ms. */
export const cstDayStart = (date: string): number => Date.parse(`${date}T00:00:00Z`) - CST
/** The CST day (YYYY-MM-DD) of an instant. */
export const cstDate = (ms: number): string => new Date(ms + CST).toISOString().slice(0, 10)

export interface InspectionDue {
  readonly elevatorId: string
  readonly township?: string
  readonly village?: string
  readonly address: string
  readonly building?: string
  readonly nextInspection?: string
  readonly state: DueState
  /** days until the date (negative: days overdue) */
  readonly days?: number
}

export interface DrillDue {
  readonly elevatorId: string
  readonly township?: string
  readonly village?: string
  readonly address: string
  readonly building?: string
  readonly lastDrillAt?: number
  readonly dueAt: number
  readonly state: DueState
}

/** An inspection dated `next` is due soon `warnDays` before the day, overdue from the day after. */
export function inspectionState(next: string | undefined, now: number, warnDays: number): { state: DueState; days?: number } {
  if (!next) return { state: 'unknown' }
  const day = cstDayStart(next)
  const days = Math.floor((day - cstDayStart(cstDate(now))) / DAY)
  if (now >= day + DAY) return { state: 'overdue', days }
  return { state: now >= day - warnDays * DAY ? 'due_soon' : 'ok', days }
}

/** A drill is due `everyDays` after the last one, and at once when there was none. */
export function drillState(lastAt: number | undefined, now: number, everyDays: number, warnDays: number): { state: DueState; dueAt: number } {
  if (lastAt === undefined) return { state: 'overdue', dueAt: now }
  const dueAt = lastAt + everyDays * DAY
  return { state: now >= dueAt ? 'overdue' : now >= dueAt - warnDays * DAY ? 'due_soon' : 'ok', dueAt }
}

/** Every elevator's last completed drill (closed drill incidents in the response store). */
export function lastDrills(db: RecordsDeps['db']): Map<string, number> {
  const rows = db.prepare('SELECT elevator_id AS id, MAX(closed_at) AS at FROM incidents WHERE drill = 1 AND closed_at IS NOT NULL GROUP BY elevator_id')
    .all() as { id: string; at: number }[]
  return new Map(rows.map((r) => [r.id, r.at]))
}

export interface DueOptions {
  /** warn this many days before the inspection date (and before a drill falls due) */
  readonly warnDays?: number
  readonly drillEveryDays?: number
  /** how often the check runs; an overdue inspection reaches the hazard register once a CST day */
  readonly checkEveryMs?: number
}

type OverdueHook = { inspectionOverdue?: (elevatorId: string, date: string) => unknown }
const WARNED = (id: string) => `due.inspection.warned.${id}`

export class DueDates implements RecordsPart {
  private readonly warnDays: number
  private readonly drillEveryDays: number
  private readonly checkEveryMs: number
  private timer: Subscription | undefined
  /** elevator → the CST day its overdue inspection was last handed to the register */
  private readonly reported = new Map<string, string>()
  private readonly counts = { checks: 0, warnings: 0, overdueReported: 0, unreachedRoles: 0, delivered: 0, failed: 0, errors: 0 }

  constructor(private readonly deps: RecordsDeps, private readonly hazards: HazardRegister & OverdueHook, opts: DueOptions = {}) {
    this.warnDays = opts.warnDays ?? 30
    this.drillEveryDays = opts.drillEveryDays ?? 182
    this.checkEveryMs = opts.checkEveryMs ?? 3_600_000
  }

  private get now(): number { return this.deps.scheduler.now() }

  start(): void {
    if (this.timer) return
    const tick = (): void => {
      this.check()
      this.timer = this.deps.scheduler.schedule(tick, this.checkEveryMs)
    }
    this.timer = this.deps.scheduler.schedule(tick, 0)
  }

  stop(): void {
    this.timer?.unsubscribe()
    this.timer = undefined
  }

  onAttempt(r: AttemptReport): void {
    if (r.state === 'delivered') this.counts.delivered++
    else if (r.state === 'failed') this.counts.failed++
  }

  stats(): Record<string, number> {
    return { ...this.counts }
  }

  /** One pass: warnings at warnDays, overdue inspections to the hazard register (once a day per car). */
  check(): void {
    this.counts.checks++
    const now = this.now
    const today = cstDate(now)
    for (const e of this.deps.registry.elevators) {
      try {
        const { state } = inspectionState(e.nextInspection, now, this.warnDays)
        if (state === 'due_soon') this.warn(e, now)
        if (state === 'overdue' && this.reported.get(e.id) !== today && this.hazards.inspectionOverdue) {
          this.reported.set(e.id, today)
          this.counts.overdueReported++
          this.hazards.inspectionOverdue(e.id, e.nextInspection!)
        }
      } catch (err) {
        this.counts.errors++
        this.deps.log.error({ err, elevatorId: e.id }, 'due check failed')
      }
    }
  }

  inspections(principal: Principal): InspectionDue[] {
    const now = this.now
    return this.visible(principal).map((e) => ({ ...where(e), ...(e.nextInspection ? { nextInspection: e.nextInspection } : {}), ...inspectionState(e.nextInspection, now, this.warnDays) }))
      .sort(byUrgency)
  }

  drills(principal: Principal): DrillDue[] {
    const now = this.now
    const last = lastDrills(this.deps.db)
    return this.visible(principal).map((e) => {
      const at = last.get(e.id)
      return { ...where(e), ...(at !== undefined ? { lastDrillAt: at } : {}), ...drillState(at, now, this.drillEveryDays, this.warnDays) }
    }).sort((a, b) => a.dueAt - b.dueAt || a.elevatorId.localeCompare(b.elevatorId))
  }

  private visible(p: Principal): Elevator[] {
    return this.deps.registry.elevators.filter((e) => inScope(p.scope, e))
  }

  /** Tells the use unit and maintenance unit once per inspection date; the mark and the outbox rows in one transaction. */
  private warn(e: Elevator, now: number): void {
    const date = e.nextInspection!
    const { db } = this.deps
    const seen = db.prepare('SELECT value FROM meta WHERE key = ?').get(WARNED(e.id)) as { value: string } | undefined
    if (seen?.value === date) return
    const subjectId = `in-${e.id}`
    const place = [e.address, e.building].filter(Boolean).join(' ')
    const { items, unreached } = recordNotices({
      subjectId, notificationId: `${subjectId}:${date}`, elevatorId: e.id, roles: ['property', 'maintenance'], directory: this.deps.parties(), now,
      message: () => recordMessage({
        title: `电梯定期检验即将到期 · ${place}`,
        lines: [`注册代码：${e.registrationCode}`, `下次检验日期：${date}`, `请在到期前申请定期检验 / Periodic inspection due on ${date}`],
        smsKind: 'inspection', sms: { address: place, code: e.rescueCode, date }, facts: { elevatorId: e.id, nextInspection: date, kind: 'inspection_due' },
      }),
    })
    db.transaction(() => {
      this.deps.outbox.insert(items)
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(WARNED(e.id), date)
    })()
    this.counts.warnings++
    this.counts.unreachedRoles += unreached.length
    if (unreached.length) this.deps.log.warn({ elevatorId: e.id, unreached }, 'inspection warning reached nobody in some roles')
    if (items.length) this.deps.kick()
  }
}

const where = (e: Elevator) => ({
  elevatorId: e.id, address: e.address,
  ...(e.township ? { township: e.township } : {}), ...(e.village ? { village: e.village } : {}), ...(e.building ? { building: e.building } : {}),
})

const RANK: Readonly<Record<DueState, number>> = { overdue: 0, due_soon: 1, unknown: 2, ok: 3 }
const byUrgency = (a: InspectionDue, b: InspectionDue) =>
  RANK[a.state] - RANK[b.state] || (a.days ?? 0) - (b.days ?? 0) || a.elevatorId.localeCompare(b.elevatorId)
