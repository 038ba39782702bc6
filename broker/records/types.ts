// The records the county keeps (docs/records.md; ../shared facts in docs/domain.md#response-chain):
// the hazard register (重大安全隐患登记表), grid patrols (网格巡查), residents' reports from the
// public page (群众投诉). The data and the interfaces between their parts; each part's service
// implements its own (hazards.ts, patrols.ts, complaints.ts), all over the response store.
import type { PartyRole } from '../../response/index.ts'
import type { Principal } from '../accounts/scope.ts'
import type { Logger } from 'pino'
import type { SchedulerLike } from 'rxjs'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import type { Db } from '../../core/sqlite.ts'
import type { Registry } from '../registry/registry.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import type { Outbox } from '../notify/outbox.ts'
import type { AttemptReport } from '../notify/types.ts'
import type { AlarmStore } from '../alarms/store.ts'
import type { IncidentService } from '../incidents/service.ts'

/** Who did something: a logged-in user, a signed link's party, a resident (anonymous), or the system. */
export interface RecordActor {
  readonly name: string
  readonly userId?: string
  readonly via: 'desk' | 'link' | 'public' | 'system'
  readonly role?: PartyRole
}
export const SYSTEM_ACTOR: RecordActor = Object.freeze({ name: 'system', via: 'system' })

export interface RecordEvent {
  readonly at: number
  readonly actor: RecordActor
  /** what happened: 'registered', 'state', 'joined', 'notify', 'delivery', 'escalated', 'note', 'photo' … */
  readonly kind: string
  readonly detail?: Readonly<Record<string, unknown>>
}

// ---------------------------------------------------------------- hazards
export const HAZARD_STATES = ['open', 'rectifying', 'rectified', 'closed'] as const
export type HazardState = (typeof HAZARD_STATES)[number]
export const HAZARD_STATE_ZH: Readonly<Record<HazardState, string>> = { open: '待整改', rectifying: '整改中', rectified: '已整改', closed: '已销号' }
export type HazardGrade = 'major' | 'general'
/** found by: monitoring (an alarm rule), a patrol, a complaint, the periodic inspection, a drill, or by hand */
export const HAZARD_SOURCES = ['monitoring', 'patrol', 'complaint', 'inspection', 'drill', 'manual'] as const
export type HazardSource = (typeof HAZARD_SOURCES)[number]

/** One row of the register; the columns are the form's (docs/records.md#hazard-register). */
export interface Hazard {
  readonly id: string
  /** 编号: `${county}-${year}-${seq 4 digits}` */
  readonly number: string
  readonly elevatorId: string
  readonly registrationCode: string
  readonly region: string
  readonly township?: string
  readonly village?: string
  readonly maintenance?: string
  /** use unit (使用单位) organisation id and name */
  readonly useUnit?: string
  readonly useUnitName?: string
  /** 所在位置: address and building */
  readonly location: string
  readonly description: string
  readonly grade: HazardGrade
  readonly foundAt: number
  readonly foundBy: HazardSource
  /** what found it: alarm ids, a patrol id, a complaint id; a rule key for auto registration (one open hazard per rule and car) */
  readonly sourceRef?: string
  readonly rule?: string
  readonly measures?: string
  /** 责任人 */
  readonly owner?: string
  /** 整改期限, ms */
  readonly deadline: number
  /** 完成时间 */
  readonly doneAt?: number
  /** 验收人 */
  readonly checkedBy?: string
  readonly state: HazardState
  readonly closedAt?: number
  readonly photos: readonly string[]
  /** when the overdue escalation went out (once) */
  readonly escalatedAt?: number
  readonly timeline: readonly RecordEvent[]
}

export interface HazardDraft {
  readonly elevatorId: string
  readonly description: string
  readonly grade: HazardGrade
  readonly foundBy: HazardSource
  readonly sourceRef?: string
  /** auto registration: one open hazard per (elevator, rule); a second finding joins it */
  readonly rule?: string
  readonly owner?: string
  /** default: major 7 days, general 30 days after foundAt */
  readonly deadline?: number
  readonly photos?: readonly string[]
}

export interface HazardQuery {
  readonly state?: HazardState | 'open_any' | 'overdue'
  readonly elevatorId?: string
  readonly region?: string
  readonly from?: number
  readonly to?: number
  readonly limit?: number
}

export type HazardChange =
  | { readonly kind: 'state'; readonly state: HazardState; readonly measures?: string; readonly checkedBy?: string }
  | { readonly kind: 'assign'; readonly owner: string; readonly deadline?: number }
  | { readonly kind: 'note'; readonly text: string }

export type RecordResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly status: 400 | 404 | 409; readonly reason: string }

/** broker/records/hazards.ts implements it; patrols and complaints register through it. */
export interface HazardRegister {
  /** registers (or joins the open hazard of the same rule and car); tells the township and bureau (docs/domain.md) */
  register(d: HazardDraft, actor: RecordActor): RecordResult<Hazard>
  change(id: string, c: HazardChange, actor: RecordActor, principal?: Principal): RecordResult<Hazard>
  list(q: HazardQuery, principal: Principal): Hazard[]
  get(id: string, principal: Principal): Hazard | null
}

// ---------------------------------------------------------------- patrols
/** The grid administrator's checklist (docs/domain.md, Records the county keeps). */
export const PATROL_ITEMS = [
  { id: 'mark', zh: '使用登记标志、检验标志张贴且在有效期内', en: 'registration and inspection marks posted and in date' },
  { id: 'rescue_code', zh: '96333 与应急救援识别码张贴', en: '96333 and the rescue code posted' },
  { id: 'rules', zh: '乘梯须知张贴', en: 'rules of use posted' },
  { id: 'light', zh: '轿厢照明、通风正常', en: 'car lighting and ventilation work' },
  { id: 'alarm', zh: '报警按钮、对讲有效', en: 'alarm button and intercom work' },
  { id: 'doors', zh: '开关门顺畅', en: 'doors open and close smoothly' },
  { id: 'level', zh: '平层准确', en: 'stops level' },
  { id: 'noise', zh: '运行无异常声响', en: 'no abnormal noise' },
  { id: 'locked', zh: '机房、底坑门已锁闭', en: 'machine room and pit doors locked' },
  { id: 'maintained', zh: '维保记录在 15 日内', en: 'maintenance record within 15 days' },
] as const
export type PatrolItemId = (typeof PATROL_ITEMS)[number]['id']

export interface PatrolResult {
  readonly item: PatrolItemId
  readonly ok: boolean
  readonly note?: string
  /** photo ids (broker/records/photos.ts) */
  readonly photos?: readonly string[]
}

export interface Patrol {
  readonly id: string
  readonly elevatorId: string
  readonly village?: string
  readonly township?: string
  readonly at: number
  readonly by: RecordActor
  readonly results: readonly PatrolResult[]
  /** hazards registered from failed items */
  readonly hazardIds: readonly string[]
}

/** An elevator's patrol status for its grid: when last patrolled, when due. */
export interface PatrolDue {
  readonly elevatorId: string
  readonly village?: string
  readonly grid?: string
  readonly lastAt?: number
  readonly dueAt: number
  readonly overdue: boolean
}

// ---------------------------------------------------------------- residents' reports
export const COMPLAINT_CATEGORIES = ['trapped', 'fault', 'noise', 'doors', 'hygiene', 'signs', 'other'] as const
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number]
export const COMPLAINT_STATES = ['new', 'acknowledged', 'resolved'] as const
export type ComplaintState = (typeof COMPLAINT_STATES)[number]

export interface Complaint {
  readonly id: string
  readonly elevatorId: string
  readonly township?: string
  readonly village?: string
  readonly category: ComplaintCategory
  readonly text: string
  /** the resident's phone, if given: shown to the use unit and steward only, never on the public page */
  readonly phone?: string
  readonly createdAt: number
  readonly state: ComplaintState
  readonly ackAt?: number
  readonly resolvedAt?: number
  readonly resolution?: string
  readonly ackDueAt: number
  readonly resolveDueAt: number
  readonly escalatedAt?: number
  readonly hazardId?: string
  readonly timeline: readonly RecordEvent[]
}

/** The outbox subject ids of records (broker/notify/): the dispatcher's reports are routed by prefix. */
export const SUBJECT_PREFIX = { hazard: 'hz-', patrol: 'pt-', complaint: 'cp-' } as const

// ---------------------------------------------------------------- what every records service is built with

export interface RecordsDeps {
  /** the response store (broker/incidents/db.ts): incidents, outbox and the records' tables */
  readonly db: Db
  readonly registry: Registry
  readonly parties: () => PartiesDirectory
  /** time: scheduler.now(); timers: scheduler.schedule (virtual in tests) */
  readonly scheduler: SchedulerLike
  readonly log: Logger
  readonly outbox: Outbox
  /** the dispatcher: new outbox rows are there */
  readonly kick: () => void
  /** the HTTP origin for links in messages and on labels (config response.linkBase / http.publicOrigin) */
  readonly linkBase: () => string
  /** the signing key of links (broker/incidents/links.ts linkKey: the same key as responder links) */
  readonly linkKey: Buffer
  /** the data directory (photos go under `${dataDir}/photos`) */
  readonly dataDir: string
  readonly alarms: AlarmStore
  readonly incidents: IncidentService
  /** what the live page knows of a car now: its last telemetry, whether it reports, its active alarms */
  readonly live: (elevatorId: string) => { telemetry?: Telemetry; availability: 'online' | 'offline' | 'unknown'; activeAlarms: readonly AlarmEvent[] }
}

/** A records service with start()/stop() and the outbox reports of its subjects. */
export interface RecordsPart {
  start(): void
  stop(): void
  /** the dispatcher's report on an item whose incidentId is one of this part's subject ids */
  onAttempt(r: AttemptReport): void
  stats(): Record<string, number>
}
