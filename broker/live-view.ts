// BrokerView (broker/http/broker-view.ts) over the live parts: the registry, what ingest
// accepted, the alarm store, and the detector runtime's alarms. It keeps only the last state per
// elevator in memory. Every read is cut to the asking principal's scope.
import { Subject, type Observable, type Subscription } from 'rxjs'
import type { AlarmEvent, Telemetry } from '../protocol/index.ts'
import type { DetectorInput } from '../detectors/runtime/types.ts'
import type { Registry } from './registry/registry.ts'
import { DEFAULT_KEEP_UNTIL_ACKED, type AlarmStore, type Severity, type StoredAlarm } from './alarms/store.ts'
import type { AlarmQuery, AlarmView, BrokerView, ElevatorView, LiveEvent, Operator } from './http/broker-view.ts'
import { inScope, type Principal } from './accounts/scope.ts'
import type { IncidentEvent } from './incidents/types.ts'

type Availability = ElevatorView['availability']

// the event without the acknowledgement, which is the monitoring centre's, not the elevator's
const asEvent = ({ ackedAt: _at, ackedBy: _by, ackState: _state, ...event }: StoredAlarm): AlarmEvent => event

export class LiveView implements BrokerView {
  private readonly last = new Map<string, Telemetry>()
  private readonly availability = new Map<string, Availability>()
  private readonly live = new Subject<LiveEvent>()
  readonly live$: Observable<LiveEvent> = this.live.asObservable()
  private incidents: Subscription | undefined

  constructor(
    private readonly registry: Registry,
    private readonly store: AlarmStore,
    readonly metrics: () => Promise<string>,
    readonly health: () => { ok: boolean; checks: Record<string, boolean> },
    readonly keepUntilAcked: readonly Severity[] = DEFAULT_KEEP_UNTIL_ACKED,
    /** the clock acknowledgements are stamped with */
    private readonly now: () => number = Date.now,
  ) {}

  /** ingest's accepted inputs, in event order */
  onInput(e: DetectorInput): void {
    if (e.kind === 'telemetry') {
      // history replayed after an outage, or anything older than what is shown, is not the current state
      const shown = this.last.get(e.elevatorId)
      if (e.msg.reason === 'replay' || (shown !== undefined && e.msg.ts < shown.ts)) return
      this.last.set(e.elevatorId, e.msg)
      if (this.availability.get(e.elevatorId) !== 'online') this.setAvailability(e.elevatorId, 'online')
      this.live.next({ kind: 'state', elevatorId: e.elevatorId, telemetry: e.msg })
    } else if (e.state !== this.availability.get(e.elevatorId)) {
      this.setAvailability(e.elevatorId, e.state)
    }
  }

  /** whether the elevator's controller reports now, as the page shows it */
  availabilityOf(elevatorId: string): 'online' | 'offline' | 'unknown' {
    return this.availability.get(elevatorId) ?? 'unknown'
  }

  /** the elevator's current telemetry (what the page shows), if any */
  telemetry(elevatorId: string): Telemetry | undefined {
    return this.last.get(elevatorId)
  }

  /** after the store recorded it: the alarm as stored */
  onAlarm(a: AlarmView): void {
    this.live.next({ kind: 'alarm', alarm: a })
  }

  /** the incident service's changes (IncidentService.live$) join the live events; once */
  attachIncidents(live$: Observable<IncidentEvent>): void {
    if (this.incidents) return
    this.incidents = live$.subscribe((e) => this.live.next({ kind: 'incident', incident: e.incident }))
  }

  private setAvailability(elevatorId: string, state: 'online' | 'offline'): void {
    this.availability.set(elevatorId, state)
    this.live.next({ kind: 'availability', elevatorId, state })
  }

  /** in the principal's scope: an elevator of the registry; an unregistered one only for scope all */
  private covers(p: Principal, elevatorId: string): boolean {
    if ('all' in p.scope) return true
    const e = this.registry.elevator(elevatorId)
    return e !== undefined && inScope(p.scope, e)
  }

  /** elevator and gateway ids whose alarms the principal sees; undefined: every id */
  private ids(p: Principal): string[] | undefined {
    if ('all' in p.scope) return undefined
    const mine = this.registry.elevators.filter((e) => inScope(p.scope, e))
    return [...mine.map((e) => e.id), ...new Set(mine.map((e) => e.gatewayId))]
  }

  /** the alarm as the principal sees it: a gateway alarm with only the elevators in scope */
  private cut(a: AlarmView, p: Principal): AlarmView | undefined {
    if ('all' in p.scope) return a
    if (a.scope !== 'gateway') return this.covers(p, a.elevatorId) ? a : undefined
    if (!this.registry.byGateway(a.elevatorId).some((e) => inScope(p.scope, e))) return undefined
    if (!a.elevators) return a
    // the count in the evidence would tell how many elevators of other scopes the gateway serves
    const elevators = a.elevators.filter((id) => this.covers(p, id))
    const evidence = typeof a.evidence.elevatorCount === 'number' ? { ...a.evidence, elevatorCount: elevators.length } : a.evidence
    return { ...a, elevators, evidence }
  }

  visibleTo(e: LiveEvent, p: Principal): LiveEvent | undefined {
    if (e.kind === 'state' || e.kind === 'availability') return this.covers(p, e.elevatorId) ? e : undefined
    // the summary carries the elevator's scope fields as the incident recorded them
    if (e.kind === 'incident') return inScope(p.scope, e.incident) ? e : undefined
    const alarm = this.cut(e.alarm, p)
    return alarm === e.alarm ? e : alarm && { kind: e.kind, alarm }
  }

  alarm(id: string, p: Principal): AlarmView | null {
    const a = this.store.get(id)
    return (a && this.cut(a, p)) ?? null
  }

  elevators(p: Principal): ElevatorView[] {
    const active = new Map<string, AlarmEvent[]>()
    for (const a of this.store.active()) {
      const list = active.get(a.elevatorId) ?? []
      list.push(asEvent(a))
      active.set(a.elevatorId, list)
    }
    return this.registry.elevators.filter((e) => inScope(p.scope, e)).map((e) => ({
      elevatorId: e.id, region: e.region, registrationCode: e.registrationCode, rescueCode: e.rescueCode,
      building: e.building, address: e.address, gatewayId: e.gatewayId,
      township: e.township, village: e.village, maintenance: e.maintenance, property: e.property,
      availability: this.availability.get(e.id) ?? 'unknown',
      last: this.last.get(e.id),
      activeAlarms: active.get(e.id) ?? [],
    }))
  }

  alarms(q: AlarmQuery, p: Principal): AlarmView[] {
    const ids = this.ids(p)
    const scoped = ids ? { elevatorIds: ids } : {}
    const limit = q.limit ?? 500
    const rows = q.state === 'visible'
      ? this.store.visible({ keepUntilAcked: this.keepUntilAcked, elevatorId: q.elevatorId, limit, ...scoped })
      : q.state === 'active'
        ? this.store.active().sort((a, b) => b.raisedAt - a.raisedAt)
        : this.store.list({ elevatorId: q.elevatorId, limit, ...scoped })
    return rows
      .filter((a) => !q.elevatorId || a.elevatorId === q.elevatorId)
      .flatMap((a) => this.cut(a, p) ?? [])
      .slice(0, limit)
  }

  ack(id: string, by: Operator, note?: string): AlarmView | null {
    const before = this.store.get(id)
    if (!before) return null
    const after = this.store.ack(id, by.name, this.now(), { user: by.username, ...(note !== undefined ? { note } : {}) })
    // only the first acknowledgement is news; a repeat returns the kept one quietly
    if (after && before.ackedAt === null) this.live.next({ kind: 'ack', alarm: after })
    return after
  }

  stop(): void {
    this.incidents?.unsubscribe()
    this.live.complete()
  }
}
