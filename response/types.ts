// The response chain's data: incidents, their timeline, the events that drive them and the commands
// they emit (docs/domain.md#response-chain). Pure data; the engine (engine.ts) is the only writer.
import type { AlarmType, Severity } from '../protocol/index.ts'

/** Provincial platform codes: 01 occurred → 02 responded → 04 arrived → 00 completed, or 05 false alarm. */
export type IncidentState = '01' | '02' | '04' | '00' | '05'
export const INCIDENT_STATES: Readonly<Record<IncidentState, { zh: string; en: string }>> = {
  '01': { zh: '已发生', en: 'occurred' },
  '02': { zh: '已响应', en: 'responded' },
  '04': { zh: '已到达', en: 'arrived' },
  '00': { zh: '已完成', en: 'completed' },
  '05': { zh: '误报', en: 'false alarm' },
}
export const isClosed = (s: IncidentState): boolean => s === '00' || s === '05'

export const PARTY_ROLES = ['maintenance', 'property', 'steward', 'grid', 'township', 'desk', 'rescuer', 'bureau', 'police'] as const
export type PartyRole = (typeof PARTY_ROLES)[number]

export interface Actor {
  readonly userId?: string
  readonly name: string
  /** link = a responder's signed link, desk = the 96333 desk on the live page, system = the engine */
  readonly via: 'link' | 'desk' | 'system'
  /** the party the actor acts for; an actor with a role stops that role's reminders */
  readonly role?: PartyRole
}
export const SYSTEM: Actor = Object.freeze({ name: 'system', via: 'system' })

/** What an incident needs to know about its elevator (the broker reads it from the registry). */
export interface ElevatorFacts {
  readonly elevatorId: string
  readonly region: string
  readonly township?: string
  readonly maintenance?: string
  readonly property?: string
}

/** The alarm fields the engine reads (a subset of protocol's AlarmEvent). */
export interface AlarmFacts {
  readonly id: string
  readonly type: AlarmType
  readonly severity: Severity
  readonly elevatorId: string
  readonly raisedAt: number
  readonly detectedAt?: number
  readonly drill: boolean
  readonly scope?: 'elevator' | 'gateway'
}

/** A phone call to the desk: the caller reads out the rescue code or registration code. */
export interface DeskCall {
  readonly foundBy: 'rescueCode' | 'registrationCode'
  readonly code: string
  readonly caller?: string
  readonly note?: string
  readonly drill: boolean
}

export type Action =
  | { readonly kind: 'responded' }
  | { readonly kind: 'arrived' }
  | { readonly kind: 'released'; readonly persons: number; readonly cause?: string; readonly note?: string }
  | { readonly kind: 'false_alarm'; readonly note?: string }
  | { readonly kind: 'note'; readonly text: string }
  | { readonly kind: 'dispatch'; readonly org: string }

export type ResponseEvent =
  | { readonly kind: 'alarm_raised'; readonly alarm: AlarmFacts }
  | { readonly kind: 'alarm_cleared'; readonly alarm: AlarmFacts }
  | { readonly kind: 'action'; readonly action: Action; readonly actor: Actor }
  /** a phone call to the desk about an elevator whose incident is already open */
  | { readonly kind: 'desk_call'; readonly call: DeskCall; readonly actor: Actor }
  | { readonly kind: 'delivery'; readonly notificationId: string; readonly ok: boolean; readonly attempt: number; readonly detail: string }
  | { readonly kind: 'wake' }

export type Command =
  | { readonly kind: 'notify'; readonly incidentId: string; readonly notificationId: string; readonly step: string; readonly role: PartyRole; readonly reminder: boolean; readonly drill: boolean }
  /** level 2: the platform suggests the desk dispatch another rescue unit */
  | { readonly kind: 'suggest_dispatch'; readonly incidentId: string; readonly step: string; readonly drill: boolean }
  | { readonly kind: 'close'; readonly incidentId: string; readonly state: '00' | '05'; readonly drill: boolean }

export type TimelineEntry = { readonly at: number; readonly actor: Actor } & (
  | { readonly kind: 'opened'; readonly source: 'alarm' | 'desk'; readonly policy: string; readonly arrivalLimitMs: number }
  | { readonly kind: 'alarm'; readonly alarmId: string; readonly type: AlarmType; readonly state: 'raised' | 'cleared'; readonly joined: boolean }
  | { readonly kind: 'notify'; readonly notificationId: string; readonly step: string; readonly role: PartyRole; readonly reminder: boolean }
  | { readonly kind: 'desk_call'; readonly foundBy: DeskCall['foundBy']; readonly code: string; readonly caller?: string; readonly note?: string }
  | { readonly kind: 'step_skipped'; readonly step: string; readonly because: 'responded' | 'arrived' }
  | { readonly kind: 'dispatch_suggested'; readonly step: string }
  | { readonly kind: 'delivery'; readonly notificationId: string; readonly ok: boolean; readonly attempt: number; readonly detail: string }
  | { readonly kind: 'action'; readonly action: Action; readonly state: IncidentState }
  | { readonly kind: 'rejected'; readonly action: Action; readonly reason: string }
)

/** One escalation step resolved to absolute time when the incident opened. */
export interface PlannedStep {
  readonly id: string
  readonly dueAt: number
  readonly unless?: 'responded' | 'arrived'
  readonly roles: readonly PartyRole[]
  readonly dispatch: boolean
  readonly fired: boolean
}

export interface Incident {
  readonly id: string
  readonly elevator: ElevatorFacts
  readonly source: 'alarm' | 'desk'
  readonly drill: boolean
  readonly state: IncidentState
  readonly alarmType?: AlarmType
  readonly alarmIds: readonly string[]
  /** when the entrapment began (the first alarm's raisedAt, or the desk call) */
  readonly trappedAt: number
  /** the alarm time KPIs count from: the first alarm's detectedAt (docs/domain.md#kpis) */
  readonly alarmAt: number
  readonly policy: string
  readonly arrivalLimitMs: number
  readonly responseLimitMs: number
  readonly reminderEveryMs: number
  readonly plan: readonly PlannedStep[]
  /** role → when it was last told (first notice or reminder) */
  readonly told: Readonly<Partial<Record<PartyRole, number>>>
  readonly acted: readonly PartyRole[]
  readonly respondedAt?: number
  readonly arrivedAt?: number
  readonly releasedAt?: number
  readonly closedAt?: number
  readonly personsReleased?: number
  readonly cause?: string
  readonly notes: readonly string[]
  readonly dispatched: readonly string[]
  readonly notifications: number
  readonly timeline: readonly TimelineEntry[]
}

export interface StepResult {
  readonly state: Incident
  readonly commands: readonly Command[]
  /** when the engine wants a `wake` event next; null once closed or with nothing pending */
  readonly wakeAt: number | null
}
