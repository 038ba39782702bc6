// What a responder link's holder sees (broker/http/respond-routes.ts): the incident's summary, the
// parties told with their delivery states and the timeline as short zh-CN lines. No phone number,
// URL, endpoint or secret: the link may be forwarded, so it shows what a bystander may know.
import { catalogueEntry, isAlarmType } from '../../protocol/index.ts'
import { INCIDENT_STATES, type Action, type PartyRole, type TimelineEntry } from '../../response/index.ts'
import type { IncidentDetail, IncidentSummary, LinkClaims, LinkRefusal } from '../incidents/types.ts'
import type { OutboxState } from '../notify/types.ts'

export const ROLE_ZH: Readonly<Record<PartyRole, string>> = {
  maintenance: '维保单位', property: '物业', steward: '楼道长', grid: '网格员', township: '乡镇',
  desk: '96333 平台', rescuer: '救援队', bureau: '市场监管局', police: '110/119',
}

const DELIVERY_ZH: Readonly<Record<OutboxState, string>> = { pending: '发送中', delivered: '已送达', failed: '发送失败' }

export interface ToldView {
  readonly role: PartyRole
  readonly roleZh: string
  readonly partyName: string
  readonly channel: string
  readonly state: OutboxState
  readonly stateZh: string
  readonly attempts: number
  readonly deliveredAt?: number
}

export interface RespondState {
  readonly now: number
  readonly party: { readonly name: string; readonly role: PartyRole; readonly roleZh: string }
  /** the link's role has acted on the incident already (its reminders stopped) */
  readonly youActed: boolean
  readonly incident: IncidentSummary & { readonly stateZh: string; readonly stateEn: string; readonly personsReleased?: number }
  readonly told: readonly ToldView[]
  readonly timeline: readonly { readonly at: number; readonly line: string }[]
}

// the county keeps China Standard Time, UTC+8 all year (response/kpi.ts)
const CST = 8 * 3_600_000
export const clockOf = (ms: number): string => new Date(ms + CST).toISOString().slice(11, 19)

/** Free text from the desk, with anything like a phone number (7 or more digits) cut out. */
export const withoutPhones = (s: string): string => s.replace(/\+?\d[\d -]{5,}\d/g, '…')

function actionLine(a: Action): string {
  switch (a.kind) {
    case 'responded': return '已响应'
    case 'arrived': return '已到达现场'
    case 'released': return `已解救 ${a.persons} 人`
    case 'false_alarm': return '报告误报'
    case 'note': return `备注：${withoutPhones(a.text)}`
    case 'dispatch': return `派遣 ${a.org}`
  }
}

/** One timeline entry as a short zh-CN line, without its time. */
export function timelineLine(e: TimelineEntry): string {
  const who = e.actor.via === 'system' ? '系统' : e.actor.role ? `${e.actor.name}（${ROLE_ZH[e.actor.role]}）` : e.actor.name
  switch (e.kind) {
    case 'opened': return e.source === 'alarm' ? '告警开启事件' : '96333 接电话报警开启事件'
    case 'alarm': return `告警 ${isAlarmType(e.type) ? catalogueEntry(e.type).zh : e.type}${e.state === 'raised' ? '' : ' 已恢复'}`
    case 'notify': return `${e.reminder ? '再次提醒' : '通知'}${ROLE_ZH[e.role]}`
    case 'desk_call': return '96333 接到电话报警'
    case 'step_skipped': return `升级步骤 ${e.step} 不再需要（${e.because === 'responded' ? '已响应' : '已到达'}）`
    case 'dispatch_suggested': return '建议派遣其他救援单位'
    case 'delivery': return e.ok ? '消息已送达' : `消息发送失败（第 ${e.attempt} 次）`
    case 'action': return `${who} ${actionLine(e.action)}`
    case 'rejected': return `${who} 的操作未被接受：${e.reason}`
  }
}

export function respondState(claims: LinkClaims, d: IncidentDetail, now: number): RespondState {
  const st = INCIDENT_STATES[d.summary.state]
  return {
    now,
    party: { name: claims.partyName, role: claims.role, roleZh: ROLE_ZH[claims.role] },
    youActed: d.incident.acted.includes(claims.role),
    incident: {
      ...d.summary, stateZh: st.zh, stateEn: st.en,
      ...(d.incident.personsReleased !== undefined ? { personsReleased: d.incident.personsReleased } : {}),
    },
    told: d.deliveries.map((v) => ({
      role: v.role, roleZh: ROLE_ZH[v.role], partyName: v.partyName, channel: v.channel, state: v.state,
      stateZh: DELIVERY_ZH[v.state], attempts: v.attempts, ...(v.deliveredAt !== undefined ? { deliveredAt: v.deliveredAt } : {}),
    })),
    timeline: d.incident.timeline.map((e) => ({ at: e.at, line: `${clockOf(e.at)} ${timelineLine(e)}` })),
  }
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/** The page a refused link opens: zh-CN first, English second, the 96333 number to call. */
export function refusedPage(reason: LinkRefusal): string {
  const why = reason === 'expired' ? '链接已过期 / The link has expired' : reason === 'unknown_incident' ? '事件不存在 / No such incident' : '链接无效 / The link is invalid'
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>链接无效 / Link invalid</title>
<link rel="stylesheet" href="/ui/phone.css"><link rel="stylesheet" href="/ui/respond.css"></head>
<body class="refused"><main>
<h1>链接无效或已过期，请联系 96333</h1>
<p lang="en">This link is invalid or has expired. Please call 96333.</p>
<p class="why">${escape(why)}</p>
<p><a class="call" href="tel:96333">拨打 96333 / Call 96333</a></p>
</main></body></html>
`
}
