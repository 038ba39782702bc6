// The incident service (docs/domain.md#response-chain): alarms and desk calls open or join incidents,
// the pure engine (response/engine.ts) decides, and each step's new state, the outbox items of its
// notify commands and its next wake-up are written in ONE transaction before anyone is told.
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { Subject, type Observable, type SchedulerLike, type Subscription } from 'rxjs'
import type { AlarmEvent } from '../../protocol/index.ts'
import type { Db } from '../../core/sqlite.ts'
import {
  aggregate, DEFAULT_POLICY, incidentKpi, isClosed, openForAlarm, openForDeskCall, route, routeCall, selectPolicy, step,
  type Action, type Actor, type Aggregate, type AlarmFacts, type DeskCall, type GroupBy, type Incident,
  type PartyRole, type PolicySet, type ResponseEvent, type StepResult,
} from '../../response/index.ts'
import { inScope, type Principal } from '../accounts/scope.ts'
import type { Outbox } from '../notify/outbox.ts'
import type { AttemptReport, OutboxItem } from '../notify/types.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import type { Registry } from '../registry/registry.ts'
import { LinkSigner, linkKey } from './links.ts'
import { noticesFor } from './notices.ts'
import { IncidentStore } from './store.ts'
import type {
  ActResult, IncidentDetail, IncidentEvent, IncidentQuery, IncidentService as IncidentServiceApi, IncidentSummary, LinkClaims, LinkRefusal,
} from './types.ts'
import { callableFor, deliveryOf, elevatorFacts, newIncidentId, summaryOf } from './view.ts'

export const LINK_TTL_MS = 24 * 3_600_000

export interface IncidentServiceOptions {
  readonly db: Db
  readonly registry: Registry
  readonly parties: () => PartiesDirectory
  readonly policies: PolicySet
  readonly scheduler: SchedulerLike
  readonly log: Logger
  readonly outbox: Outbox
  /** the dispatcher: new outbox rows are there */
  readonly kick: () => void
  /** the responder page's base URL; a link is `${linkBase}/r/${token}` */
  readonly linkBase: string
  readonly linkKey?: string
  readonly linkTtlMs?: number
  readonly carAt?: (elevatorId: string) => string | undefined
  readonly publish?: (s: IncidentSummary) => void
}

export interface IncidentStats {
  opened: number
  joined: number
  unreachedRoles: number
  stepErrors: number
  linkRefused: Record<LinkRefusal, number>
}

export class IncidentService implements IncidentServiceApi {
  private readonly store: IncidentStore
  private readonly live = new Subject<IncidentEvent>()
  readonly live$: Observable<IncidentEvent> = this.live.asObservable()
  private signer: LinkSigner | undefined
  private readonly wakes = new Map<string, Subscription>()
  /** elevator → its open incident, real and drill apart (response/engine.ts route) */
  private readonly openBy = new Map<string, { real?: string; drill?: string }>()
  private stopped = false
  private readonly counts = { opened: 0, joined: 0, unreachedRoles: 0, stepErrors: 0, unknownIncident: 0 }

  constructor(private readonly opts: IncidentServiceOptions) {
    this.store = new IncidentStore(opts.db)
  }

  private get now(): number { return this.opts.scheduler.now() }

  start(): void {
    this.stopped = false
    this.signer = new LinkSigner(linkKey(this.opts.db, this.opts.linkKey), () => this.now)
    for (const { incident, wakeAt } of this.store.open()) {
      this.track(incident)
      this.schedule(incident.id, wakeAt)
    }
    this.opts.log.info({ open: this.wakes.size }, 'incident service started')
  }

  stop(): void {
    this.stopped = true
    for (const s of this.wakes.values()) s.unsubscribe()
    this.wakes.clear()
    this.live.complete()
  }

  stats(): IncidentStats {
    const { unknownIncident, ...c } = this.counts
    return { ...c, linkRefused: { ...this.links().refused, unknown_incident: unknownIncident } }
  }

  onAlarm(a: AlarmEvent): void {
    const alarm: AlarmFacts = {
      id: a.id, type: a.type, severity: a.severity, elevatorId: a.elevatorId, raisedAt: a.raisedAt, drill: a.drill,
      ...(a.detectedAt !== undefined ? { detectedAt: a.detectedAt } : {}), ...(a.scope ? { scope: a.scope } : {}),
    }
    this.guard({ alarmId: a.id }, () => {
      if (a.state === 'cleared') {
        const ids = Object.values(this.openBy.get(a.elevatorId) ?? {})
        const inc = ids.map((id) => this.store.get(id)).find((i) => i?.alarmIds.includes(a.id))
        if (inc) this.apply(step(inc, { kind: 'alarm_cleared', alarm }, this.now))
        return
      }
      this.raise(alarm, a.region)
    })
  }

  private raise(alarm: AlarmFacts, region: string): ActResult {
    const open = this.openOf(alarm.elevatorId, alarm.drill)
    switch (route(open, alarm)) {
      case 'join':
        this.counts.joined++
        return this.ok(this.apply(step(open!, { kind: 'alarm_raised', alarm }, this.now)))
      case 'open': {
        const policy = selectPolicy(this.opts.policies, alarm.type, alarm.severity)
        if (!policy) return { ok: false, status: 409, reason: `no response policy for ${alarm.type}` }
        this.counts.opened++
        return this.ok(this.apply(openForAlarm({ id: newIncidentId(this.now), elevator: elevatorFacts(this.opts.registry, alarm.elevatorId, region), policy, now: this.now }, alarm)))
      }
      case 'ignore':
        return { ok: false, status: 409, reason: `${alarm.type} opens no incident` }
    }
  }

  onAttempt(r: AttemptReport): void {
    this.guard({ itemId: r.item.id }, () => {
      const inc = this.store.get(r.item.incidentId)
      if (!inc) return
      const detail = `${r.item.channel} ${r.item.partyName}: ${r.result.detail}`
      this.apply(step(inc, { kind: 'delivery', notificationId: r.item.notificationId, ok: r.result.ok, attempt: r.attempt, detail }, this.now))
    })
  }

  list(q: IncidentQuery, principal: Principal): IncidentSummary[] {
    return this.visible(this.store.list({ ...q, scope: principal.scope }), q, principal).map((i) => this.summary(i))
  }

  get(id: string, principal: Principal): IncidentDetail | null {
    const inc = this.store.get(id)
    return inc && this.inScope(inc, principal) ? this.detail(inc) : null
  }

  getForLink(claims: LinkClaims): IncidentDetail | null {
    const inc = this.store.get(claims.incidentId)
    return inc ? this.detail(inc) : null
  }

  act(id: string, action: Action, actor: Actor): ActResult {
    const inc = this.store.get(id)
    if (!inc) return { ok: false, status: 404, reason: 'no such incident' }
    const after = this.apply(step(inc, { kind: 'action', action, actor }, this.now))
    // reminders due in the same instant may follow the engine's refusal in the timeline
    const refused = after.timeline.slice(inc.timeline.length).find((t) => t.kind === 'rejected')
    return refused ? { ok: false, status: 409, reason: refused.reason } : { ok: true, incident: after }
  }

  openCall(call: DeskCall, actor: Actor, principal: Principal): ActResult {
    const e = this.opts.registry.elevators.find((x) => x[call.foundBy] === call.code)
    if (!e || !inScope(principal.scope, e)) return { ok: false, status: 404, reason: `no elevator with ${call.foundBy} ${call.code}` }
    const open = this.openOf(e.id, call.drill)
    if (routeCall(open, call) === 'join') {
      this.counts.joined++
      return this.ok(this.apply(step(open!, { kind: 'desk_call', call, actor }, this.now)))
    }
    // a call to 96333 is a passenger trapped: the entrapment policy, or the default chain
    const policy = selectPolicy(this.opts.policies, 'entrapment', 'critical') ?? DEFAULT_POLICY
    this.counts.opened++
    return this.ok(this.apply(openForDeskCall({ id: newIncidentId(this.now), elevator: elevatorFacts(this.opts.registry, e.id, e.region), policy, now: this.now }, call, actor)))
  }

  drill(elevatorId: string, actor: Actor): ActResult {
    const e = this.opts.registry.elevator(elevatorId)
    if (!e) return { ok: false, status: 404, reason: `no elevator ${elevatorId}` }
    const now = this.now
    const r = this.raise({ id: `drill-${randomUUID()}`, type: 'entrapment', severity: 'critical', elevatorId, raisedAt: now, detectedAt: now, drill: true }, e.region)
    if (!r.ok) return r
    // who started it, in the timeline; without a role, so no party's reminders stop
    const { role: _role, ...who } = actor
    return this.act(r.incident.id, { kind: 'note', text: '演练开始 / Drill started' }, who)
  }

  kpis(by: GroupBy, q: IncidentQuery, principal: Principal): Aggregate[] {
    const all = this.store.all(q.from ?? 0, q.to ?? Number.MAX_SAFE_INTEGER).filter((i) =>
      (q.elevatorId === undefined || i.elevator.elevatorId === q.elevatorId) && (q.drill === undefined || i.drill === q.drill)
      && (!q.open || !isClosed(i.state)) && (q.region === undefined || this.regionOf(i).startsWith(q.region)))
    return aggregate(this.visible(all, {}, principal), by, { includeDrills: q.drill === true })
  }

  verifyLink(token: string): LinkClaims | LinkRefusal {
    const r = this.links().verify(token)
    if (typeof r === 'string') return r
    if (!this.store.get(r.incidentId)) { this.counts.unknownIncident++; return 'unknown_incident' }
    return r
  }

  linkFor(incidentId: string, party: { id: string; name: string; role: PartyRole }, expiresAt: number): string {
    const token = this.links().sign({ incidentId, partyId: party.id, partyName: party.name, role: party.role, expiresAt })
    return `${this.opts.linkBase.replace(/\/+$/, '')}/r/${token}`
  }

  private links(): LinkSigner {
    if (!this.signer) throw new Error('incident service not started')
    return this.signer
  }

  /** One engine step made durable: state, outbox items and wake-up in one transaction, then told. */
  private apply(r: StepResult): Incident {
    const inc = r.state
    const now = this.now
    const dir = this.opts.parties()
    const elevator = this.opts.registry.elevator(inc.elevator.elevatorId)
    const carAt = this.opts.carAt?.(inc.elevator.elevatorId)
    const items: OutboxItem[] = []
    // one step telling several roles through one group (the grid worker and the officer in the
    // township's robot group) sends the group one message naming them all, not one per role
    const sent = new Map<string, number>()
    for (const c of r.commands) {
      if (c.kind !== 'notify') continue
      const n = noticesFor(c, {
        incident: inc, directory: dir, now, ...(elevator ? { elevator } : {}), ...(carAt ? { carAt } : {}),
        link: (p) => this.linkFor(inc.id, p, now + (this.opts.linkTtlMs ?? LINK_TTL_MS)),
      })
      for (const it of n.items) {
        const key = `${c.step}|${c.reminder}|${it.endpointId}|${it.to ?? ''}`
        const at = sent.get(key)
        if (at === undefined) { sent.set(key, items.length); items.push(it); continue }
        const first = items[at]!
        const names = new Set([...first.partyName.split('、'), ...it.partyName.split('、')])
        items[at] = { ...first, partyName: [...names].join('、'), message: { ...first.message, mobiles: [...new Set([...first.message.mobiles, ...it.message.mobiles])] } }
      }
      if (n.unreached) {
        this.counts.unreachedRoles++
        this.opts.log.warn({ incidentId: inc.id, elevatorId: inc.elevator.elevatorId, role: c.role, step: c.step }, 'no party of this role can be told')
      }
    }
    this.opts.db.transaction(() => {
      this.store.save(inc, r.wakeAt)
      this.opts.outbox.insert(items)
    })()
    this.track(inc)
    this.schedule(inc.id, r.wakeAt)
    if (items.length) this.opts.kick()
    const summary = this.summary(inc)
    this.opts.publish?.(summary)
    this.live.next({ kind: 'incident', incident: summary })
    return inc
  }

  private schedule(id: string, wakeAt: number | null): void {
    this.wakes.get(id)?.unsubscribe()
    this.wakes.delete(id)
    if (wakeAt === null || this.stopped) return
    this.wakes.set(id, this.opts.scheduler.schedule(() => {
      this.wakes.delete(id)
      this.guard({ incidentId: id }, () => {
        const inc = this.store.get(id)
        if (inc && !isClosed(inc.state)) this.apply(step(inc, { kind: 'wake' } satisfies ResponseEvent, this.now))
      })
    }, Math.max(0, wakeAt - this.now)))
  }

  private track(inc: Incident): void {
    const id = inc.elevator.elevatorId
    const slot = inc.drill ? 'drill' : 'real'
    const cur = { ...this.openBy.get(id) }
    if (!isClosed(inc.state)) cur[slot] = inc.id
    else if (cur[slot] === inc.id) delete cur[slot]
    if (cur.real || cur.drill) this.openBy.set(id, cur)
    else this.openBy.delete(id)
  }

  private openOf(elevatorId: string, drill: boolean): Incident | undefined {
    const id = this.openBy.get(elevatorId)?.[drill ? 'drill' : 'real']
    return id ? this.store.get(id) : undefined
  }

  /** A failing step is logged and counted; the service goes on with every other incident. */
  private guard(ctx: Record<string, unknown>, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.counts.stepErrors++
      this.opts.log.error({ err, ...ctx }, 'incident step failed')
    }
  }

  private ok(inc: Incident): ActResult {
    return { ok: true, incident: inc }
  }

  private regionOf(i: Incident): string {
    const e = this.opts.registry.elevator(i.elevator.elevatorId)
    return e?.village ?? e?.township ?? i.elevator.township ?? i.elevator.region
  }

  private inScope(i: Incident, p: Principal): boolean {
    return inScope(p.scope, this.opts.registry.elevator(i.elevator.elevatorId) ?? i.elevator)
  }

  private visible(list: readonly Incident[], q: IncidentQuery, p: Principal): Incident[] {
    return list.filter((i) => this.inScope(i, p) && (q.region === undefined || this.regionOf(i).startsWith(q.region)))
  }

  private summary(i: Incident): IncidentSummary {
    return summaryOf(i, this.opts.registry.elevator(i.elevator.elevatorId), this.opts.carAt?.(i.elevator.elevatorId))
  }

  private detail(i: Incident): IncidentDetail {
    return {
      summary: this.summary(i), incident: i, kpi: incidentKpi(i),
      deliveries: this.opts.outbox.forIncident(i.id).map(deliveryOf), callable: callableFor(this.opts.parties(), i.elevator.elevatorId),
    }
  }
}
