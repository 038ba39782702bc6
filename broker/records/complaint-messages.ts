// What the use unit, the steward, the grid and the township read about a resident's report
// (broker/records/complaints.ts), in zh-CN: the car, the category, the resident's text, their phone
// only if they gave one, the deadlines, and a signed link to acknowledge and resolve it. Pure.
import type { Message } from '../notify/types.ts'
import type { Elevator } from '../registry/registry.ts'
import { recordMessage } from './notify.ts'
import type { Complaint, ComplaintCategory } from './types.ts'

export const CATEGORY_ZH: Readonly<Record<ComplaintCategory, string>> = {
  trapped: '有人被困', fault: '电梯故障', noise: '异响/抖动', doors: '开关门异常', hygiene: '轿厢卫生/照明', signs: '标识缺失/过期', other: '其他',
}
export const CATEGORY_EN: Readonly<Record<ComplaintCategory, string>> = {
  trapped: 'someone trapped', fault: 'breakdown', noise: 'noise or shaking', doors: 'doors', hygiene: 'cleanliness or lighting', signs: 'signs missing or out of date', other: 'other',
}

export type ComplaintPurpose = 'new' | 'ack_late' | 'resolve_late'

const CST = 8 * 3_600_000
/** 2026-01-02 08:00 in the county's time */
export const cstMinute = (ms: number): string => new Date(ms + CST).toISOString().slice(0, 16).replace('T', ' ')

export const carName = (e: Pick<Elevator, 'address' | 'building'> | undefined, elevatorId: string): string =>
  e ? [e.address, e.building].filter(Boolean).join(' ') : elevatorId

const TITLE: Readonly<Record<ComplaintPurpose, string>> = {
  new: '【群众投诉】',
  ack_late: '【群众投诉超时未受理】',
  resolve_late: '【群众投诉超时未办结】',
}

const ASK: Readonly<Record<ComplaintPurpose, string>> = {
  new: '请及时受理并处理，通过链接确认“已受理”和“已处理”。',
  ack_late: '受理时限已过，请督促使用单位和楼道长受理。',
  resolve_late: '办结时限已过，请督促相关单位处理。',
}

export function complaintMessage(c: Complaint, e: Elevator | undefined, purpose: ComplaintPurpose, link: string | undefined): Message {
  const car = carName(e, c.elevatorId)
  const lines = [
    `电梯：${car}`,
    ...(e ? [`注册代码：${e.registrationCode}，救援识别码：${e.rescueCode}`] : []),
    `类别：${CATEGORY_ZH[c.category]}`,
    `内容：${c.text}`,
    ...(c.phone ? [`投诉人电话：${c.phone}`] : ['投诉人未留电话']),
    `提交时间：${cstMinute(c.createdAt)}`,
    `受理时限：${cstMinute(c.ackDueAt)}；办结时限：${cstMinute(c.resolveDueAt)}`,
    ASK[purpose],
  ]
  return recordMessage({
    title: `${TITLE[purpose]}${car}`,
    lines,
    ...(link ? { link } : {}),
    smsKind: 'complaint', sms: { address: [...car].slice(0, 20).join(''), category: CATEGORY_ZH[c.category], link: link ?? '' },
    facts: {
      complaintId: c.id, elevatorId: c.elevatorId, registrationCode: e?.registrationCode ?? null, category: c.category,
      state: c.state, purpose, createdAt: c.createdAt, ackDueAt: c.ackDueAt, resolveDueAt: c.resolveDueAt,
    },
  })
}
