// Notifications after detection (docs/domain.md#notification-channels-outside-services): what one outbox row holds,
// what a channel answers, and the interfaces between the incident service (broker/incidents/), the
// durable outbox and dispatcher (outbox.ts, dispatcher.ts) and the channels (channels/).
import type { PartyRole } from '../../response/index.ts'
import type { ChannelKind, Endpoint } from '../parties/schema.ts'

/** What one party is told, rendered once in zh-CN by the incident service (broker/incidents/render.ts). */
export interface Message {
  /** one line: 【演练】 first for a drill, then e.g. 电梯困人 · 沙河路18号 3号楼 */
  readonly title: string
  /** the whole text for robots and webhooks (≤ 2,048 bytes: WeCom's text limit) */
  readonly text: string
  /** markdown for robots that take it (WeCom ≤ 4,096 bytes, DingTalk) */
  readonly markdown: string
  /** mobiles to @-mention in a group (WeCom mentioned_mobile_list, DingTalk at.atMobiles) */
  readonly mobiles: readonly string[]
  /** SMS template variables: never free text (docs/domain.md#notification-channels-outside-services) */
  readonly sms: Readonly<Record<string, string>>
  /** which of the SMS endpoint's pre-approved templates the variables fill (default incident) */
  readonly smsKind?: SmsKind
  /** the responder link in the text, if the party has one */
  readonly link?: string
  /** machine-readable facts for the webhook's JSON body */
  readonly facts: Readonly<Record<string, unknown>>
}

/** The kinds of message an SMS endpoint has a pre-approved template for (broker/parties/schema.ts `templates`). */
export const SMS_KINDS = ['incident', 'hazard', 'complaint', 'inspection', 'patrol'] as const
export type SmsKind = (typeof SMS_KINDS)[number]

export type OutboxState = 'pending' | 'delivered' | 'failed'

/** One message to one endpoint (or one phone, for SMS): written before it is sent. */
export interface OutboxItem {
  /** the idempotency key: `${notificationId}/${endpointId}` or `${notificationId}/${endpointId}/${phone}` */
  readonly id: string
  readonly incidentId: string
  /** the engine's notify command this item is for (response/types.ts Command) */
  readonly notificationId: string
  readonly role: PartyRole
  readonly partyId: string
  readonly partyName: string
  readonly channel: ChannelKind
  readonly endpointId: string
  /** SMS: the mobile number */
  readonly to?: string
  readonly message: Message
  readonly drill: boolean
  readonly createdAt: number
  readonly state: OutboxState
  /** attempts made so far */
  readonly attempts: number
  /** when the next attempt may go (pending rows) */
  readonly nextAt: number
  readonly lastDetail?: string
  readonly deliveredAt?: number
}

/** What a channel made of one attempt. */
export interface SendResult {
  readonly ok: boolean
  /** false: retrying cannot help (a bad key, a message too long); the row is failed at once */
  readonly retryable: boolean
  /** the answer in one line, for the timeline: `HTTP 200 errcode 0`, `HTTP 500`, `errcode 45009 …`, `ECONNREFUSED` */
  readonly detail: string
  /** the service said when to come back (rate limited) */
  readonly retryAfterMs?: number
}

/** One attempt through one endpoint; never throws (a failure is a SendResult). */
export type Send = (item: OutboxItem, endpoint: ResolvedEndpoint, signal: AbortSignal) => Promise<SendResult>

/** An endpoint with its secret read (inline or from `secretEnv`); never logged. */
export interface ResolvedEndpoint extends Endpoint {
  readonly secretValue?: string
}

/** What the dispatcher reports after each attempt; the service turns it into a timeline entry. */
export interface AttemptReport {
  readonly item: OutboxItem
  readonly attempt: number
  readonly result: SendResult
  readonly at: number
  /** delivered, retrying (nextAt set) or given up */
  readonly state: OutboxState
}
