// BrokerView (broker/http/broker-view.ts) over the live parts: the registry, what ingest
// accepted, the alarm store, and the detector runtime's alarms. It keeps only the last state per
// elevator in memory.
import { Subject, type Observable } from 'rxjs'
import type { AlarmEvent, Telemetry } from '../protocol/index.ts'
import type { DetectorInput } from '../detectors/runtime/types.ts'
import type { Registry } from './registry/registry.ts'
import { DEFAULT_KEEP_UNTIL_ACKED, type AlarmStore, type Severity, type StoredAlarm } from './alarms/store.ts'
import type { AlarmQuery, AlarmView, BrokerView, ElevatorView, LiveEvent } from './http/broker-view.ts'

type Availability = ElevatorView['availability']

// the event without the acknowledgement, which is the monitoring centre's, not the elevator's
const asEvent = ({ ackedAt: _at, ackedBy: _by, ackState: _state, ...event }: StoredAlarm): AlarmEvent => event

export class LiveView implements BrokerView {
  private readonly last = new Map<string, Telemetry>()
  private readonly availability = new Map<string, Availability>()
  private readonly live = new Subject<LiveEvent>()
  readonly live$: Observable<LiveEvent> = this.live.asObservable()

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

  /** after the store recorded it: the alarm as stored */
  onAlarm(a: AlarmView): void {
    this.live.next({ kind: 'alarm', alarm: a })
  }

  private setAvailability(elevatorId: string, state: 'online' | 'offline'): void {
    this.availability.set(elevatorId, state)
    this.live.next({ kind: 'availability', elevatorId, state })
  }

  elevators(): ElevatorView[] {
    const active = new Map<string, AlarmEvent[]>()
    for (const a of this.store.active()) {
      const list = active.get(a.elevatorId) ?? []
      list.push(asEvent(a))
      active.set(a.elevatorId, list)
    }
    return this.registry.elevators.map((e) => ({
      elevatorId: e.id, region: e.region, registrationCode: e.registrationCode, rescueCode: e.rescueCode,
      building: e.building, address: e.address, gatewayId: e.gatewayId,
      availability: this.availability.get(e.id) ?? 'unknown',
      last: this.last.get(e.id),
      activeAlarms: active.get(e.id) ?? [],
    }))
  }

  alarms(q: AlarmQuery): AlarmView[] {
    if (q.state === 'visible') return this.store.visible({ keepUntilAcked: this.keepUntilAcked, elevatorId: q.elevatorId, limit: q.limit ?? 500 })
    const rows = q.state === 'active' ? this.store.active() : this.store.list({ elevatorId: q.elevatorId, limit: q.limit ?? 500 })
    return rows
      .filter((a) => !q.elevatorId || a.elevatorId === q.elevatorId)
      .sort((a, b) => b.raisedAt - a.raisedAt)
      .slice(0, q.limit ?? 500)
  }

  ack(id: string, by: string): AlarmView | null {
    const before = this.store.get(id)
    if (!before) return null
    const after = this.store.ack(id, by, this.now())
    // only the first acknowledgement is news; a repeat returns the kept one quietly
    if (after && before.ackedAt === null) this.live.next({ kind: 'ack', alarm: after })
    return after
  }

  stop(): void {
    this.live.complete()
  }
}
