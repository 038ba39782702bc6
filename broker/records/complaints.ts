// Residents' reports from a car's public page (docs/domain.md, Public disclosure and residents):
// stored as complaints (cp-…), told at once to the use unit and the steward with a signed link to
// acknowledge and resolve; acknowledged within 24 h and resolved within 7 days (defaults), else
// the grid and the township are told, once for each missed deadline. Each change and its outbox
// rows are written in one transaction; the deadlines are timers on the injected scheduler,
// planned again at start() from the store.
import { randomBytes } from 'node:crypto'
import type { Subscription } from 'rxjs'
import type { PartyRole } from '../../response/index.ts'
import { inScope, type Principal } from '../accounts/scope.ts'
import { LinkSigner } from '../incidents/links.ts'
import type { LinkClaims } from '../incidents/types.ts'
import type { AttemptReport, OutboxItem } from '../notify/types.ts'
import type { Party } from '../parties/directory.ts'
import { complaintMessage, CATEGORY_ZH, type ComplaintPurpose } from './complaint-messages.ts'
import { recordNotices } from './notify.ts'
import { PublicCodes } from './public-codes.ts'
import { DEFAULT_REPORT_LIMITS, ReportLimiter, type ReportLimits } from './report-limits.ts'
import {
  SUBJECT_PREFIX, type Complaint, type ComplaintCategory, type ComplaintState, type HazardGrade, type HazardRegister,
  type RecordActor, type RecordEvent, type RecordResult, type RecordsDeps, type RecordsPart,
} from './types.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

export interface ComplaintsOptions {
  /** hours to acknowledge (default 24) */
  ackHours?: number
  /** days to resolve (default 7) */
  resolveDays?: number
  limits?: Partial<ReportLimits>
  /** days a party's link stays valid after the resolve deadline (default 30) */
  linkDays?: number
}

export interface ComplaintInput {
  readonly elevatorId: string
  readonly category: ComplaintCategory
  readonly text: string
  readonly phone?: string
}

export interface ComplaintQuery {
  readonly state?: ComplaintState | 'open'
  readonly elevatorId?: string
  readonly limit?: number
}

export type ComplaintAction =
  | { readonly kind: 'acknowledge'; readonly note?: string }
  | { readonly kind: 'resolve'; readonly resolution: string }
  | { readonly kind: 'hazard'; readonly grade?: HazardGrade }

const FIRST_ROLES: readonly PartyRole[] = ['property', 'steward']
const LATE_ROLES: readonly PartyRole[] = ['grid', 'township']
const MAX_SCAN = 5000

export class Complaints implements RecordsPart {
  readonly codes: PublicCodes
  readonly limiter: ReportLimiter
  private readonly signer: LinkSigner
  private readonly ackMs: number
  private readonly resolveMs: number
  private readonly linkMs: number
  private readonly timers = new Map<string, Subscription>()
  private running = false
  private readonly counts = { filed: 0, acknowledged: 0, resolved: 0, escalated: 0, hazards: 0 }

  constructor(private readonly deps: RecordsDeps, private readonly hazards: HazardRegister, opts: ComplaintsOptions = {}) {
    this.codes = new PublicCodes(deps.db)
    this.limiter = new ReportLimiter({ ...DEFAULT_REPORT_LIMITS, ...opts.limits }, () => deps.scheduler.now())
    this.signer = new LinkSigner(deps.linkKey, () => deps.scheduler.now())
    this.ackMs = (opts.ackHours ?? 24) * HOUR
    this.resolveMs = (opts.resolveDays ?? 7) * DAY
    this.linkMs = (opts.linkDays ?? 30) * DAY
  }

  private get now(): number { return this.deps.scheduler.now() }

  start(): void {
    this.running = true
    const open = this.deps.db.prepare("SELECT data FROM complaints WHERE state != 'resolved'").all() as { data: string }[]
    for (const r of open) this.plan(JSON.parse(r.data) as Complaint)
  }

  stop(): void {
    this.running = false
    for (const t of this.timers.values()) t.unsubscribe()
    this.timers.clear()
  }

  stats(): Record<string, number> {
    return { ...this.counts, pendingDeadlines: this.timers.size }
  }

  /** A resident's report (the public page has checked the limits); the use unit and steward told at once. */
  file(input: ComplaintInput, actor: RecordActor): RecordResult<Complaint> {
    const e = this.deps.registry.elevator(input.elevatorId)
    if (!e) return { ok: false, status: 404, reason: `no elevator ${input.elevatorId}` }
    const now = this.now
    const where = this.deps.parties().elevator(e.id)
    const township = where?.township ?? e.township
    const village = where?.village ?? e.village
    const c: Complaint = {
      id: `${SUBJECT_PREFIX.complaint}${now.toString(36)}-${randomBytes(5).toString('hex')}`,
      elevatorId: e.id, ...(township ? { township } : {}), ...(village ? { village } : {}),
      category: input.category, text: input.text, ...(input.phone ? { phone: input.phone } : {}),
      createdAt: now, state: 'new', ackDueAt: now + this.ackMs, resolveDueAt: now + this.resolveMs,
      timeline: [{ at: now, actor, kind: 'registered', detail: { category: input.category } }],
    }
    const saved = this.save(c, 'new', FIRST_ROLES, true)
    this.counts.filed++
    this.deps.log.info({ complaint: c.id, elevatorId: e.id, category: c.category }, 'resident report filed')
    return { ok: true, value: saved }
  }

  act(id: string, action: ComplaintAction, actor: RecordActor): RecordResult<Complaint> {
    const c = this.load(id)
    if (!c) return { ok: false, status: 404, reason: `no complaint ${id}` }
    const now = this.now
    const event = (kind: string, detail: Record<string, unknown>): RecordEvent => ({ at: now, actor, kind, detail })
    switch (action.kind) {
      case 'acknowledge': {
        if (c.state !== 'new') return { ok: false, status: 409, reason: `already ${c.state}` }
        this.counts.acknowledged++
        return { ok: true, value: this.save({ ...c, state: 'acknowledged', ackAt: now, timeline: [...c.timeline, event('state', { state: 'acknowledged', ...(action.note ? { note: action.note } : {}) })] }) }
      }
      case 'resolve': {
        if (c.state === 'resolved') return { ok: false, status: 409, reason: 'already resolved' }
        this.counts.resolved++
        const next: Complaint = {
          ...c, state: 'resolved', ackAt: c.ackAt ?? now, resolvedAt: now, resolution: action.resolution,
          timeline: [...c.timeline, event('state', { state: 'resolved', resolution: action.resolution })],
        }
        return { ok: true, value: this.save(next) }
      }
      case 'hazard': {
        if (c.hazardId) return { ok: false, status: 409, reason: `hazard ${c.hazardId} already registered` }
        const r = this.hazards.register({
          elevatorId: c.elevatorId, description: `群众投诉（${CATEGORY_ZH[c.category]}）：${c.text}`, grade: action.grade ?? 'general',
          foundBy: 'complaint', sourceRef: c.id,
        }, actor)
        if (!r.ok) return r
        this.counts.hazards++
        return { ok: true, value: this.save({ ...c, hazardId: r.value.id, timeline: [...c.timeline, event('hazard', { hazardId: r.value.id, number: r.value.number })] }) }
      }
    }
  }

  list(q: ComplaintQuery, principal: Principal): Complaint[] {
    const where: string[] = []
    const args: (string | number)[] = []
    if (q.state === 'open') where.push("state != 'resolved'")
    else if (q.state) { where.push('state = ?'); args.push(q.state) }
    if (q.elevatorId) { where.push('elevator_id = ?'); args.push(q.elevatorId) }
    const sql = `SELECT data FROM complaints ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ${MAX_SCAN}`
    const rows = this.deps.db.prepare(sql).all(...args) as { data: string }[]
    return rows.map((r) => JSON.parse(r.data) as Complaint).filter((c) => this.sees(c, principal)).slice(0, q.limit ?? 200)
  }

  get(id: string, principal: Principal): Complaint | null {
    const c = this.load(id)
    return c && this.sees(c, principal) ? c : null
  }

  /** The claims of a party's link to a complaint, or why not; `complaint:<id>` in incidentId. */
  verifyLink(token: string): { claims: LinkClaims; complaint: Complaint } | null {
    const claims = this.signer.verify(token)
    if (typeof claims === 'string' || !claims.incidentId.startsWith('complaint:')) return null
    const complaint = this.load(claims.incidentId.slice('complaint:'.length))
    return complaint ? { claims, complaint } : null
  }

  linkFor(c: Complaint, party: { id: string; name: string; role: PartyRole }): string {
    const token = this.signer.sign({ incidentId: `complaint:${c.id}`, partyId: party.id, partyName: party.name, role: party.role, expiresAt: c.resolveDueAt + this.linkMs })
    return `${this.deps.linkBase().replace(/\/+$/, '')}/c/${token}`
  }

  onAttempt(r: AttemptReport): void {
    try {
      const c = this.load(r.item.incidentId)
      if (!c) return
      const detail = { role: r.item.role, party: r.item.partyName, channel: r.item.channel, attempt: r.attempt, ok: r.result.ok, state: r.state, result: r.result.detail }
      this.save({ ...c, timeline: [...c.timeline, { at: r.at, actor: { name: 'dispatcher', via: 'system' }, kind: 'delivery', detail }] })
    } catch (err) {
      this.deps.log.error({ err, item: r.item.id }, 'complaint delivery report not recorded')
    }
  }

  // ---------------------------------------------------------------- inside

  private sees(c: Complaint, p: Principal): boolean {
    const e = this.deps.registry.elevator(c.elevatorId)
    return e ? inScope(p.scope, e) : 'all' in p.scope
  }

  private load(id: string): Complaint | null {
    const row = this.deps.db.prepare('SELECT data FROM complaints WHERE id = ?').get(id) as { data: string } | undefined
    return row ? (JSON.parse(row.data) as Complaint) : null
  }

  /** Writes the complaint, and when `purpose` is given its notices to `roles`, in one transaction; plans its next deadline. */
  private save(c0: Complaint, purpose?: ComplaintPurpose, roles: readonly PartyRole[] = [], insert = false): Complaint {
    let c = c0
    let items: OutboxItem[] = []
    if (purpose) {
      const n = c.timeline.filter((t) => t.kind === 'notify').length + 1
      const e = this.deps.registry.elevator(c.elevatorId)
      const r = recordNotices({
        subjectId: c.id, notificationId: `${c.id}:${n}`, elevatorId: c.elevatorId, roles, directory: this.deps.parties(), now: this.now,
        message: (role: PartyRole, parties: readonly Party[]) => complaintMessage(c, e, purpose, this.linkFor(c, { id: parties[0]!.id, name: parties[0]!.name, role })),
      })
      items = r.items
      const told = roles.filter((role) => !r.unreached.includes(role))
      c = { ...c, timeline: [...c.timeline, { at: this.now, actor: { name: 'system', via: 'system' }, kind: 'notify', detail: { purpose, roles: told, unreached: r.unreached, items: items.length } }] }
      if (r.unreached.length) this.deps.log.warn({ complaint: c.id, unreached: r.unreached }, 'complaint: nobody to tell in these roles')
    }
    const db = this.deps.db
    db.transaction(() => {
      if (insert) {
        db.prepare('INSERT INTO complaints (id, elevator_id, township, village, state, created_at, ack_due_at, resolve_due_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
          .run(c.id, c.elevatorId, c.township ?? null, c.village ?? null, c.state, c.createdAt, c.ackDueAt, c.resolveDueAt, JSON.stringify(c))
      } else {
        db.prepare('UPDATE complaints SET state = ?, data = ? WHERE id = ?').run(c.state, JSON.stringify(c), c.id)
      }
      if (items.length) this.deps.outbox.insert(items)
    })()
    if (items.length) this.deps.kick()
    this.plan(c)
    return c
  }

  /** The next deadline that would tell the grid and township, or null. */
  private nextDue(c: Complaint): { at: number; purpose: ComplaintPurpose } | null {
    if (c.state === 'resolved') return null
    const done = new Set(c.timeline.filter((t) => t.kind === 'escalated').map((t) => t.detail?.missed))
    if (c.state === 'new' && !done.has('ack')) return { at: c.ackDueAt, purpose: 'ack_late' }
    if (!done.has('resolve')) return { at: c.resolveDueAt, purpose: 'resolve_late' }
    return null
  }

  private plan(c: Complaint): void {
    this.timers.get(c.id)?.unsubscribe()
    this.timers.delete(c.id)
    const due = this.nextDue(c)
    if (!due || !this.running) return
    this.timers.set(c.id, this.deps.scheduler.schedule(() => {
      this.timers.delete(c.id)
      this.escalate(c.id)
    }, Math.max(0, due.at - this.now)))
  }

  private escalate(id: string): void {
    try {
      const c = this.load(id)
      const due = c && this.nextDue(c)
      if (!c || !due) return
      if (due.at > this.now) { this.plan(c); return }
      const missed = due.purpose === 'ack_late' ? 'ack' : 'resolve'
      const event: RecordEvent = { at: this.now, actor: { name: 'system', via: 'system' }, kind: 'escalated', detail: { missed, roles: LATE_ROLES } }
      this.counts.escalated++
      this.deps.log.info({ complaint: id, missed }, 'complaint late: grid and township told')
      this.save({ ...c, ...(c.escalatedAt ? {} : { escalatedAt: this.now }), timeline: [...c.timeline, event] }, due.purpose, LATE_ROLES)
    } catch (err) {
      this.deps.log.error({ err, complaint: id }, 'complaint escalation failed')
    }
  }
}
