// What the HTTP API and the live page read: the interface only. broker/live-view.ts implements it
// over the registry, ingest, detectors and the alarm store, in the broker and in tests alike.
import type { Observable } from 'rxjs'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import type { AckState, Severity, StoredAlarm } from '../alarms/store.ts'
import type { Principal } from '../accounts/scope.ts'
import type { IncidentSummary } from '../incidents/types.ts'

export type { AckState, Severity }
/** An alarm as the API serves it: the AlarmEvent, who acknowledged it and when, and `ackState`. */
export type AlarmView = StoredAlarm

// not protocol's Availability (the MQTT payload): what the broker knows now, 'unknown' before any report
export type AvailabilityState = 'online' | 'offline' | 'unknown'
/** the brief's name, kept for callers that already use it */
export type Availability = AvailabilityState

export interface ElevatorView {
  elevatorId: string
  region: string
  /** 电梯注册代码, 20 digits */
  registrationCode?: string
  /** 应急救援识别码, 5 or 6 digits */
  rescueCode?: string
  building?: string
  address?: string
  gatewayId?: string
  /** scope fields of the registry (broker/registry/registry.ts) */
  township?: string
  village?: string
  maintenance?: string
  property?: string
  availability: AvailabilityState
  last?: Telemetry
  /** raised and not yet cleared */
  activeAlarms: AlarmEvent[]
}

export type LiveEvent =
  | { kind: 'state'; elevatorId: string; telemetry: Telemetry }
  | { kind: 'availability'; elevatorId: string; state: 'online' | 'offline' }
  /** a lifecycle event, as stored: a repeated raise of a cleared alarm arrives cleared */
  | { kind: 'alarm'; alarm: AlarmView }
  /** someone acknowledged the alarm */
  | { kind: 'ack'; alarm: AlarmView }
  /** an incident changed (broker/incidents/types.ts IncidentEvent): its summary as the store now has it */
  | { kind: 'incident'; incident: IncidentSummary }

export interface AlarmQuery {
  /**
   * 'active' = raised and not cleared; 'all' = history too; 'visible' = what the monitoring
   * centre must see: active, plus cleared and unacknowledged of a keepUntilAcked severity
   */
  state?: 'active' | 'all' | 'visible'
  elevatorId?: string
  limit?: number
}

/** who acknowledged: the logged-in principal's display name and username */
export interface Operator { name: string; username: string }

/**
 * Every read takes the principal and answers only what its scope covers (broker/accounts/scope.ts);
 * a gateway alarm is covered when one of the gateway's elevators is, its `elevators` cut to those.
 */
export interface BrokerView {
  elevators(principal: Principal): ElevatorView[]
  /** newest raised first (visible: critical first, then newest), at most `limit` */
  alarms(q: AlarmQuery, principal: Principal): AlarmView[]
  /** null: no such alarm, or not in the principal's scope */
  alarm(id: string, principal: Principal): AlarmView | null
  /** the event as the principal may see it; undefined: not for this principal */
  visibleTo(e: LiveEvent, principal: Principal): LiveEvent | undefined
  /** severities whose cleared alarms stay visible until acknowledged */
  readonly keepUntilAcked: readonly Severity[]
  /**
   * Acknowledges an active or cleared alarm now; the first acknowledgement is kept. Emits an
   * `ack` live event when this call acknowledged it. null: no such alarm.
   */
  ack(id: string, by: Operator, note?: string): AlarmView | null
  /** hot stream; emits after the snapshot methods above already reflect the event */
  live$: Observable<LiveEvent>
  /** Prometheus text of the whole broker */
  metrics(): Promise<string>
  health(): { ok: boolean; checks: Record<string, boolean> }
}
