// The incident service's face (broker/incidents/service.ts implements it): what the HTTP API, the
// desk page, the responder page, the drill command and the KPIs read and do.
import type { Observable } from 'rxjs'
import type {
  Action, Actor, Aggregate, DeskCall, GroupBy, Incident, IncidentKpi, IncidentState, PartyRole,
} from '../../response/index.ts'
import type { Principal } from '../accounts/scope.ts'
import type { OutboxState } from '../notify/types.ts'
import type { ChannelKind } from '../parties/schema.ts'

/** One row of the desk's list and of history search. */
export interface IncidentSummary {
  readonly id: string
  readonly elevatorId: string
  readonly state: IncidentState
  readonly drill: boolean
  readonly source: 'alarm' | 'desk'
  readonly alarmType?: string
  readonly trappedAt: number
  readonly alarmAt: number
  readonly respondedAt?: number
  readonly arrivedAt?: number
  readonly releasedAt?: number
  readonly closedAt?: number
  /** the next escalation step (not reminders) still to fire, and when; null when none */
  readonly nextStep: { readonly id: string; readonly dueAt: number; readonly roles: readonly PartyRole[] } | null
  readonly region: string
  readonly township?: string
  readonly village?: string
  readonly maintenance?: string
  readonly property?: string
  readonly address?: string
  readonly building?: string
  readonly rescueCode?: string
  readonly registrationCode?: string
  /** where the car stopped: the last telemetry the broker had ('3' / 'between 3 and 4'), if any */
  readonly carAt?: string
}

/** One notification to one party through one endpoint, as the desk sees it (no URL, no secret). */
export interface DeliveryView {
  readonly id: string
  readonly notificationId: string
  readonly role: PartyRole
  readonly partyId: string
  readonly partyName: string
  readonly channel: ChannelKind
  readonly state: OutboxState
  readonly attempts: number
  readonly lastDetail?: string
  readonly createdAt: number
  readonly deliveredAt?: number
}

/** A party the desk may call (tel: buttons): name, role and phone. */
export interface Callable {
  readonly role: PartyRole
  readonly name: string
  readonly phone: string
  readonly type: 'organisation' | 'person'
}

export interface IncidentDetail {
  readonly summary: IncidentSummary
  readonly incident: Incident
  readonly deliveries: readonly DeliveryView[]
  readonly callable: readonly Callable[]
  readonly kpi: IncidentKpi
}

export interface IncidentQuery {
  /** open only (not 00/05) */
  readonly open?: boolean
  readonly elevatorId?: string
  /** region code prefix: township 9 digits, village 12 */
  readonly region?: string
  /** alarmAt in [from, to) */
  readonly from?: number
  readonly to?: number
  readonly drill?: boolean
  readonly limit?: number
}

/** A responder link's claims, once its signature and expiry are checked. */
export interface LinkClaims {
  readonly incidentId: string
  readonly partyId: string
  readonly partyName: string
  readonly role: PartyRole
  /** ms since epoch */
  readonly expiresAt: number
}
export type LinkRefusal = 'malformed' | 'tampered' | 'expired' | 'unknown_incident'

export type IncidentEvent = { readonly kind: 'incident'; readonly incident: IncidentSummary }

export type ActResult =
  | { readonly ok: true; readonly incident: Incident }
  | { readonly ok: false; readonly status: 404 | 409; readonly reason: string }

export interface IncidentService {
  /** newest first, cut to the principal's scope */
  list(q: IncidentQuery, principal: Principal): IncidentSummary[]
  /** null: no such incident, or not in scope */
  get(id: string, principal: Principal): IncidentDetail | null
  /** the same without scope, for a responder link (its signature is the permission) */
  getForLink(claims: LinkClaims): IncidentDetail | null
  /** an action on behalf of `actor`; 409 with the engine's reason when it rejected it */
  act(id: string, action: Action, actor: Actor): ActResult
  /** the desk opens an incident for a phone call, or joins the elevator's open one */
  openCall(call: DeskCall, actor: Actor, principal: Principal): ActResult
  /** a drill: a simulated entrapment of `elevatorId` through the real chain, every message 【演练】 */
  drill(elevatorId: string, actor: Actor): ActResult
  kpis(by: GroupBy, q: IncidentQuery, principal: Principal): Aggregate[]
  /** checks a responder link token: claims, or why it is refused (counted) */
  verifyLink(token: string): LinkClaims | LinkRefusal
  /** the URL of the link for a party of an incident (the message renderer uses it) */
  linkFor(incidentId: string, party: { id: string; name: string; role: PartyRole }, expiresAt: number): string
  /** every change of an incident, after the store has it */
  readonly live$: Observable<IncidentEvent>
}
