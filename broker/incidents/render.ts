// What one party is told, in zh-CN (docs/domain.md#response-chain): title, text (≤ 2,048 bytes, the
// WeCom text limit, docs/domain.md#notification-channels-outside-services), markdown, SMS variables
// (never free text) and facts for webhooks. Pure: time comes as `now`.
import { catalogueEntry } from '../../protocol/index.ts'
import { INCIDENT_STATES, type Incident, type PartyRole } from '../../response/index.ts'
import type { Message } from '../notify/types.ts'
import type { Elevator } from '../registry/registry.ts'

export interface RenderContext {
  readonly incident: Incident
  readonly elevator?: Elevator
  /** the role of the notify command (police: the desk is asked to call 110/119) */
  readonly role: PartyRole
  readonly step: string
  readonly reminder: boolean
  readonly parties: readonly { readonly name: string; readonly phone?: string }[]
  readonly link?: string
  readonly carAt?: string
  readonly now: number
}

export const TEXT_LIMIT = 2048
export const MARKDOWN_LIMIT = 4096
const SMS_ADDRESS_CHARS = 20

export const ROLE_ZH: Readonly<Record<PartyRole, string>> = {
  maintenance: '维保单位', property: '使用单位/物业', steward: '楼道长', grid: '网格员', township: '乡镇（街道）',
  desk: '96333 应急处置平台', rescuer: '属地救援人员', bureau: '市场监管局', police: '110/119',
}

const ASK: Readonly<Record<PartyRole, string>> = {
  maintenance: '请立即响应并赶赴现场实施救援，到场后确认到达。',
  property: '请安抚被困人员，保持通话，并配合维保人员救援。',
  steward: '请到场安抚被困人员，引导维保人员到达电梯位置。',
  grid: '请协调维保、物业及时处置，并跟进救援进展。',
  township: '请督促相关单位立即处置，必要时组织属地救援。',
  desk: '请跟进处置，联系被困人员并确认解救情况。',
  rescuer: '请立即赶赴现场实施盘车救援。',
  bureau: '到达时限已过，请督办维保单位处置。',
  police: '到达时限已过，请立即拨打 110/119 请求警方或消防救援。',
}

// the county keeps China Standard Time, UTC+8 all year (response/kpi.ts monthOf)
const CST = 8 * 3_600_000
export const clockOf = (ms: number): string => new Date(ms + CST).toISOString().slice(11, 19)

export function durationZh(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  return `${Math.floor(s / 60)} 分 ${s % 60} 秒`
}

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
export function clipBytes(s: string, max: number): string {
  if (bytes(s) <= max) return s
  let out = ''
  for (const ch of s) {
    if (bytes(out) + bytes(ch) + 3 > max) break
    out += ch
  }
  return `${out}…`
}

/** An incident past its first steps: the plan step it comes from was due after the alarm. */
function escalation(i: Incident, step: string): boolean {
  const s = i.plan.find((p) => p.id === step)
  return s !== undefined && s.dueAt > i.alarmAt
}

export function titleOf(c: RenderContext): string {
  const i = c.incident
  const tags = [
    i.drill ? '【演练】' : '',
    // a desk call without an alarm is a passenger trapped calling 96333
    i.alarmType === undefined || i.alarmType === 'entrapment' ? '【电梯困人】' : `【电梯紧急告警】${catalogueEntry(i.alarmType).zh}`,
    !c.reminder && escalation(i, c.step) ? '【升级】' : '',
    c.reminder ? '【提醒】' : '',
    c.role === 'police' ? '【请报警】' : '',
  ].join('')
  const where = [c.elevator?.address, c.elevator?.building].filter(Boolean).join(' ')
  return where ? `${tags} ${where}` : tags
}

export function renderMessage(c: RenderContext): Message {
  const i = c.incident
  const e = c.elevator
  const title = titleOf(c)
  const address = e ? [e.address, e.building].filter(Boolean).join(' ') : `电梯 ${i.elevator.elevatorId}`
  const mobiles = [...new Set(c.parties.flatMap((p) => (p.phone && /^1[3-9][0-9]{9}$/.test(p.phone) ? [p.phone] : [])))]
  const fields: [string, string | undefined][] = [
    ['地址', address],
    ['救援识别码', e?.rescueCode],
    ['注册代码', e?.registrationCode ?? i.elevator.elevatorId],
    ['停靠位置', c.carAt],
    ['被困时长', durationZh(c.now - i.trappedAt)],
    ['告警时间', clockOf(i.alarmAt)],
    ['当前状态', INCIDENT_STATES[i.state].zh],
    ['通知对象', `${ROLE_ZH[c.role]} ${c.parties.map((p) => (p.phone ? `${p.name}(${p.phone})` : p.name)).join('、')}`],
  ]
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '')
  const tail = [...(c.link ? [`处置链接：${c.link}`] : []), '应急救援电话：96333']
  const body = [title, ...shown.map(([k, v]) => `${k}：${v}`), ASK[c.role]].join('\n')
  const text = `${clipBytes(body, TEXT_LIMIT - bytes(tail.join('\n')) - 1)}\n${tail.join('\n')}`
  const mdTail = [...(c.link ? [`[打开处置页面 / Open](${c.link})`] : []), '应急救援电话：96333'].join('\n\n')
  const mdBody = [`### ${title}`, ...shown.map(([k, v]) => `> **${k}**：${v}`), '', `**${ASK[c.role]}**`].join('\n')
  const markdown = `${clipBytes(mdBody, MARKDOWN_LIMIT - bytes(mdTail) - 2)}\n\n${mdTail}`
  const sms: Record<string, string> = {
    address: [...address].slice(0, SMS_ADDRESS_CHARS).join(''),
    code: e?.rescueCode ?? '',
    minutes: String(Math.max(0, Math.floor((c.now - i.trappedAt) / 60_000))),
    link: c.link ?? '',
  }
  const facts = {
    incidentId: i.id, elevatorId: i.elevator.elevatorId, registrationCode: e?.registrationCode ?? null, rescueCode: e?.rescueCode ?? null,
    address: e?.address ?? null, building: e?.building ?? null, carAt: c.carAt ?? null, trappedAt: i.trappedAt, alarmAt: i.alarmAt,
    state: i.state, step: c.step, role: c.role, drill: i.drill,
  }
  return { title, text, markdown, mobiles, sms, ...(c.link ? { link: c.link } : {}), facts }
}
