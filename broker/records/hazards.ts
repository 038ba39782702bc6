// The hazard register (重大安全隐患登记表, docs/domain.md#kpis): hazards registered by alarm rules,
// by hand, from patrols, complaints and the inspection checker; their owner, deadline and state to
// closure (销号); overdue ones escalated to the township and the bureau. Each change and the outbox
// rows it causes are written in ONE transaction, then the dispatcher is kicked.
import type { Subscription } from 'rxjs'
import type { AlarmEvent } from '../../protocol/index.ts'
import { inScope, type Principal } from '../accounts/scope.ts'
import { MAX_LIST } from '../alarms/store.ts'
import type { AttemptReport } from '../notify/types.ts'
import { hazardNotices } from './hazard-notices.ts'
import { alarmDescription, alarmRule, canMove, DAY_MS, DEFAULT_HAZARD_OPTIONS, isOverdue, nextEscalation, yearCst, type HazardOptions } from './hazard-rules.ts'
import { HazardStore } from './hazard-store.ts'
import { attachPhoto, readPhoto } from './photos.ts'
import {
  HAZARD_SOURCES, HAZARD_STATES, SUBJECT_PREFIX, SYSTEM_ACTOR, type Hazard, type HazardChange, type HazardDraft, type HazardQuery,
  type HazardRegister, type RecordActor, type RecordEvent, type RecordResult, type RecordsDeps, type RecordsPart,
} from './types.ts'

export interface HazardsOptions {
  readonly deadlineDays?: { major: number; general: number }
  readonly repeat?: { count: number; days: number }
  readonly escalateEveryHours?: number
}

export const TEXT_MAX = 2000
export const NAME_MAX = 100
export const LIST_DEFAULT = 1000

const fail = (status: 400 | 404 | 409, reason: string): RecordResult<never> => ({ ok: false, status, reason })
const visible = (s: string | undefined, max: number): boolean => s !== undefined && s.trim().length > 0 && s.length <= max

export class Hazards implements HazardRegister, RecordsPart {
  private store: HazardStore | undefined
  private readonly timers = new Map<string, Subscription>()
  private stopped = true
  private readonly counts = { registered: 0, joined: 0, escalated: 0, errors: 0 }
  private readonly o: HazardOptions

  constructor(private readonly deps: RecordsDeps, opts: HazardsOptions = {}) {
    const d = DEFAULT_HAZARD_OPTIONS
    this.o = { deadlineDays: opts.deadlineDays ?? d.deadlineDays, repeat: opts.repeat ?? d.repeat, escalateEveryHours: opts.escalateEveryHours ?? d.escalateEveryHours }
  }

  /** the register's clock (its scheduler): the `now` of answers */
  now(): number { return this.deps.scheduler.now() }

  private get db(): HazardStore {
    if (!this.store) throw new Error('hazard register not started')
    return this.store
  }

  start(): void {
    this.store ??= new HazardStore(this.deps.db)
    this.stopped = false
    const open = this.db.open()
    for (const h of open) this.plan(h)
    this.deps.log.info({ open: open.length, timers: this.timers.size }, 'hazard register started')
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers.values()) t.unsubscribe()
    this.timers.clear()
  }

  stats(): Record<string, number> {
    const c = this.store ? this.store.counts(this.now()) : { open: 0, overdue: 0 }
    return { ...this.counts, ...c }
  }

  register(d: HazardDraft, actor: RecordActor, principal?: Principal): RecordResult<Hazard> {
    const e = this.deps.registry.elevator(d.elevatorId)
    if (!e || (principal && !inScope(principal.scope, e))) return fail(404, `no elevator ${d.elevatorId}`)
    if (!visible(d.description, TEXT_MAX)) return fail(400, `description: 1 to ${TEXT_MAX} characters`)
    if (d.grade !== 'major' && d.grade !== 'general') return fail(400, 'grade: major or general')
    if (!(HAZARD_SOURCES as readonly string[]).includes(d.foundBy)) return fail(400, `foundBy: one of ${HAZARD_SOURCES.join(', ')}`)
    if (d.owner !== undefined && !visible(d.owner, NAME_MAX)) return fail(400, `owner: 1 to ${NAME_MAX} characters`)
    if (d.deadline !== undefined && !Number.isSafeInteger(d.deadline)) return fail(400, 'deadline: ms since the epoch')
    const now = this.now()
    const joined = d.rule ? this.db.openFor(d.elevatorId, d.rule) : null
    if (joined) return { ok: true, value: this.join(joined, d, actor, now) }
    const dir = this.deps.parties()
    const useUnit = e.property ?? dir.elevator(e.id)?.property
    const useUnitName = useUnit ? dir.organisation(useUnit)?.name : undefined
    const county = e.region.slice(0, 6)
    let h!: Hazard
    this.tx(() => {
      const number = this.db.nextNumber(county, yearCst(now))
      const base: Hazard = {
        id: `${SUBJECT_PREFIX.hazard}${number}`, number, elevatorId: e.id, registrationCode: e.registrationCode, region: e.region,
        ...(e.township ? { township: e.township } : {}), ...(e.village ? { village: e.village } : {}),
        ...(e.maintenance ? { maintenance: e.maintenance } : {}), ...(useUnit ? { useUnit } : {}), ...(useUnitName ? { useUnitName } : {}),
        location: [e.address, e.building].filter(Boolean).join(' '), description: d.description.trim(), grade: d.grade,
        foundAt: now, foundBy: d.foundBy, ...(d.sourceRef ? { sourceRef: d.sourceRef } : {}), ...(d.rule ? { rule: d.rule } : {}),
        ...(d.owner ? { owner: d.owner.trim() } : {}),
        deadline: d.deadline ?? now + this.o.deadlineDays[d.grade] * DAY_MS,
        state: 'open', photos: [...new Set(d.photos ?? [])], timeline: [],
      }
      h = this.event(base, actor, 'registered', { foundBy: d.foundBy, ...(d.sourceRef ? { sourceRef: d.sourceRef } : {}), ...(d.rule ? { rule: d.rule } : {}) })
      for (const p of h.photos) attachPhoto(this.deps.db, p, h.id)
      h = this.notify(h, 'registered', now)
    })
    this.counts.registered++
    this.deps.log.info({ hazardId: h.id, elevatorId: h.elevatorId, rule: h.rule, foundBy: h.foundBy }, 'hazard registered')
    this.plan(h)
    return { ok: true, value: h }
  }

  /** Automatic registration by the alarm rules (broker/records/hazard-rules.ts). */
  onAlarm(a: AlarmEvent): void {
    this.guard({ alarmId: a.id }, () => {
      const rule = alarmRule(a)
      if (!rule) return
      let count = 1
      if (rule.kind === 'repeat') {
        const since = a.raisedAt - this.o.repeat.days * DAY_MS
        const ids = new Set(this.deps.alarms.list({ elevatorId: a.elevatorId, since, limit: MAX_LIST })
          .filter((x) => x.type === a.type && !x.drill && x.raisedAt <= a.raisedAt).map((x) => x.id))
        ids.add(a.id)
        count = ids.size
        if (count < this.o.repeat.count) return
      }
      const r = this.register({
        elevatorId: a.elevatorId, description: alarmDescription(rule, a.type, count, this.o.repeat.days, a.raisedAt),
        grade: rule.grade, foundBy: 'monitoring', sourceRef: a.id, rule: rule.rule,
      }, SYSTEM_ACTOR)
      if (!r.ok) this.deps.log.warn({ alarmId: a.id, elevatorId: a.elevatorId, reason: r.reason }, 'hazard not registered')
    })
  }

  /** The due-date checker found the periodic inspection overdue (due `dueDate`, YYYY-MM-DD). */
  inspectionOverdue(elevatorId: string, dueDate: string): RecordResult<Hazard> {
    return this.register({
      elevatorId, description: `定期检验已超期：应于 ${dueDate} 前完成检验，超期电梯不得继续使用`,
      grade: 'major', foundBy: 'inspection', sourceRef: `inspection:${dueDate}`, rule: 'inspection_overdue',
    }, SYSTEM_ACTOR)
  }

  change(id: string, c: HazardChange, actor: RecordActor, principal?: Principal): RecordResult<Hazard> {
    const h = this.db.get(id)
    if (!h || (principal && !this.inScope(h, principal))) return fail(404, `no hazard ${id}`)
    const now = this.now()
    let next: Hazard
    switch (c.kind) {
      case 'state': {
        if (!(HAZARD_STATES as readonly string[]).includes(c.state)) return fail(400, `state: one of ${HAZARD_STATES.join(', ')}`)
        if (c.measures !== undefined && !visible(c.measures, TEXT_MAX)) return fail(400, `measures: 1 to ${TEXT_MAX} characters`)
        if (c.checkedBy !== undefined && !visible(c.checkedBy, NAME_MAX)) return fail(400, `checkedBy: 1 to ${NAME_MAX} characters`)
        if (!canMove(h.state, c.state)) return fail(409, `a hazard cannot go from ${h.state} to ${c.state}`)
        if (c.state === 'closed' && c.checkedBy === undefined) return fail(400, 'checkedBy: closing a hazard (销号) needs who checked it')
        const { doneAt: _d, ...rest } = h
        next = {
          ...(c.state === 'rectifying' ? rest : h), state: c.state,
          ...(c.measures ? { measures: c.measures.trim() } : {}),
          ...(c.state === 'rectified' ? { doneAt: now } : {}),
          ...(c.state === 'closed' ? { closedAt: now, checkedBy: c.checkedBy!.trim() } : {}),
        }
        next = this.event(next, actor, 'state', { from: h.state, to: c.state, ...(c.measures ? { measures: c.measures } : {}), ...(c.checkedBy ? { checkedBy: c.checkedBy } : {}) })
        break
      }
      case 'assign':
        if (!visible(c.owner, NAME_MAX)) return fail(400, `owner: 1 to ${NAME_MAX} characters`)
        if (c.deadline !== undefined && !Number.isSafeInteger(c.deadline)) return fail(400, 'deadline: ms since the epoch')
        if (h.state === 'closed') return fail(409, 'a closed hazard cannot be assigned')
        next = this.event({ ...h, owner: c.owner.trim(), ...(c.deadline !== undefined ? { deadline: c.deadline } : {}) }, actor, 'assign',
          { owner: c.owner.trim(), ...(c.deadline !== undefined ? { deadline: c.deadline } : {}) })
        break
      case 'note':
        if (!visible(c.text, TEXT_MAX)) return fail(400, `text: 1 to ${TEXT_MAX} characters`)
        next = this.event(h, actor, 'note', { text: c.text.trim() })
        break
      default:
        return fail(400, 'kind: state, assign or note')
    }
    this.tx(() => this.db.save(next))
    this.plan(next)
    return { ok: true, value: next }
  }

  onAttempt(r: AttemptReport): void {
    this.guard({ itemId: r.item.id }, () => {
      const h = this.db.get(r.item.incidentId)
      if (!h) return
      const detail = { channel: r.item.channel, party: r.item.partyName, role: r.item.role, attempt: r.attempt, ok: r.result.ok, detail: r.result.detail, state: r.state }
      this.db.save(this.event(h, SYSTEM_ACTOR, 'delivery', detail, r.at))
    })
  }

  list(q: HazardQuery, principal: Principal): Hazard[] {
    const now = this.now()
    const states = q.state === 'open_any' ? ['open', 'rectifying', 'rectified'] : q.state === 'overdue' ? ['open', 'rectifying'] : q.state ? [q.state] : undefined
    const scope = principal.scope
    const rows = this.db.list({
      ...(states ? { states } : {}), ...(q.elevatorId ? { elevatorId: q.elevatorId } : {}), ...(q.region ? { region: q.region } : {}),
      ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}),
      ...(q.state === 'overdue' ? { deadlineBefore: now } : {}), ...('org' in scope ? { org: scope.org } : {}),
    })
    const limit = Math.max(0, Math.min(q.limit ?? LIST_DEFAULT, MAX_LIST))
    return rows.filter((h) => this.inScope(h, principal)).slice(0, limit)
  }

  get(id: string, principal: Principal): Hazard | null {
    const h = this.db.get(id)
    return h && this.inScope(h, principal) ? h : null
  }

  /** A photo may be shown when some hazard in the caller's scope lists it. */
  photoVisible(photoId: string, principal: Principal): boolean {
    return this.db.withPhoto(photoId).some((h) => this.inScope(h, principal))
  }

  /** A photo's bytes and type (broker/records/photos.ts); the caller checks photoVisible first. */
  photoBytes(photoId: string): { type: string; bytes: Buffer } | null {
    return readPhoto(this.deps.dataDir, photoId, this.deps.db)
  }

  private join(h: Hazard, d: HazardDraft, actor: RecordActor, now: number): Hazard {
    const refs = h.sourceRef ? h.sourceRef.split(',') : []
    // the same alarm re-emitted (new evidence, flapping) is not a second finding
    if (d.sourceRef && refs.includes(d.sourceRef)) return h
    const photos = [...new Set([...h.photos, ...(d.photos ?? [])])]
    const sourceRef = [...refs, ...(d.sourceRef ? [d.sourceRef] : [])].join(',')
    const next = this.event({ ...h, photos, ...(sourceRef ? { sourceRef } : {}) }, actor, 'joined',
      { foundBy: d.foundBy, description: d.description, ...(d.sourceRef ? { sourceRef: d.sourceRef } : {}) }, now)
    this.tx(() => {
      this.db.save(next)
      for (const p of d.photos ?? []) attachPhoto(this.deps.db, p, h.id)
    })
    this.counts.joined++
    return next
  }

  /** Adds the notice's outbox rows (saved by the caller's transaction) and its timeline entry; saves. */
  private notify(h: Hazard, kind: 'registered' | 'escalated', now: number): Hazard {
    const n = hazardNotices({ hazard: h, kind, directory: this.deps.parties(), now, link: `${this.deps.linkBase().replace(/\/+$/, '')}/ui/hazards.html#${h.id}` })
    const next = this.event(h, SYSTEM_ACTOR, 'notify', {
      kind, notificationId: n.notificationId, told: n.items.map((i) => ({ role: i.role, party: i.partyName, channel: i.channel })),
      ...(n.unreached.length ? { unreached: n.unreached } : {}),
    }, now)
    this.db.save(next)
    this.deps.outbox.insert(n.items)
    if (n.unreached.length) this.deps.log.warn({ hazardId: h.id, elevatorId: h.elevatorId, roles: n.unreached }, 'no party of these roles can be told of the hazard')
    if (n.items.length) this.kickAfter = true
    return next
  }

  private kickAfter = false

  /** One transaction; the dispatcher is kicked after the commit if it added outbox rows. */
  private tx(fn: () => void): void {
    this.kickAfter = false
    this.deps.db.transaction(fn)()
    if (this.kickAfter) { this.kickAfter = false; this.deps.kick() }
  }

  private plan(h: Hazard): void {
    this.timers.get(h.id)?.unsubscribe()
    this.timers.delete(h.id)
    const at = nextEscalation(h, this.o.escalateEveryHours * 3_600_000)
    if (at === null || this.stopped) return
    this.timers.set(h.id, this.deps.scheduler.schedule(() => {
      this.timers.delete(h.id)
      this.guard({ hazardId: h.id }, () => this.wake(h.id))
    }, Math.max(0, at - this.now())))
  }

  private wake(id: string): void {
    const h = this.db.get(id)
    if (!h) return
    const now = this.now()
    const at = nextEscalation(h, this.o.escalateEveryHours * 3_600_000)
    if (at === null) return
    if (at > now || !isOverdue(h, now)) { this.plan(h); return }
    let next!: Hazard
    this.tx(() => {
      const n = h.timeline.filter((e) => e.kind === 'escalated').length + 1
      next = this.event({ ...h, escalatedAt: h.escalatedAt ?? now }, SYSTEM_ACTOR, 'escalated', { n, overdueMs: now - h.deadline }, now)
      next = this.notify(next, 'escalated', now)
    })
    this.counts.escalated++
    this.deps.log.info({ hazardId: h.id, elevatorId: h.elevatorId, overdueMs: now - h.deadline }, 'overdue hazard escalated')
    this.plan(next)
  }

  private event(h: Hazard, actor: RecordActor, kind: string, detail?: Record<string, unknown>, at = this.now()): Hazard {
    const e: RecordEvent = { at, actor, kind, ...(detail ? { detail } : {}) }
    return { ...h, timeline: [...h.timeline, e] }
  }

  private inScope(h: Hazard, p: Principal): boolean {
    const e = this.deps.registry.elevator(h.elevatorId)
    return inScope(p.scope, e ?? { region: h.region, ...(h.township ? { township: h.township } : {}), ...(h.village ? { village: h.village } : {}),
      ...(h.maintenance ? { maintenance: h.maintenance } : {}), ...(h.useUnit ? { property: h.useUnit } : {}) })
  }

  /** A failing record is logged and counted; the register goes on with every other one. */
  private guard(ctx: Record<string, unknown>, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.counts.errors++
      this.deps.log.error({ err, ...ctx }, 'hazard register step failed')
    }
  }
}
