// What a hazard tells the township, the bureau and the use unit (docs/domain.md#who-is-told-in-which-order:
// the bureau is told of every hazard, the township tracks it to closure, the use unit fixes it):
// one message per group endpoint and one SMS per mobile, through the outbox. Pure.
import type { PartyRole } from '../../response/index.ts'
import type { OutboxItem } from '../notify/types.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import { recordMessage, recordNotices } from './notify.ts'
import { cst, DAY_MS, FOUND_BY_ZH, GRADE_ZH } from './hazard-rules.ts'
import { HAZARD_STATE_ZH, type Hazard } from './types.ts'

export const REGISTERED_ROLES: readonly PartyRole[] = ['township', 'bureau', 'property']
export const ESCALATION_ROLES: readonly PartyRole[] = ['township', 'bureau']

export interface HazardNotice {
  readonly hazard: Hazard
  readonly kind: 'registered' | 'escalated'
  readonly directory: PartiesDirectory
  readonly now: number
  /** the register page, for the message's link */
  readonly link: string
}

export function hazardNotices(n: HazardNotice): { items: OutboxItem[]; unreached: PartyRole[]; notificationId: string } {
  const h = n.hazard
  const seq = h.timeline.filter((e) => e.kind === 'notify').length + 1
  const notificationId = `${h.id}:${seq}`
  const overdueDays = Math.max(0, Math.floor((n.now - h.deadline) / DAY_MS))
  const title = n.kind === 'registered'
    ? `【${GRADE_ZH[h.grade]}隐患登记】${h.location}`
    : `【隐患逾期未整改】${h.location}`
  const lines = [
    `编号：${h.number}`,
    `注册代码：${h.registrationCode}`,
    ...(h.useUnitName ? [`使用单位：${h.useUnitName}`] : []),
    `隐患描述：${h.description}`,
    `隐患等级：${GRADE_ZH[h.grade]}`,
    `发现方式：${FOUND_BY_ZH[h.foundBy]}（${cst(h.foundAt)}）`,
    `整改期限：${cst(h.deadline)}`,
    ...(h.owner ? [`责任人：${h.owner}`] : []),
    ...(n.kind === 'escalated' ? [`当前状态：${HAZARD_STATE_ZH[h.state]}，已逾期 ${overdueDays} 天`] : []),
  ]
  const message = recordMessage({
    title, lines, link: n.link,
    smsKind: 'hazard', sms: { number: h.number, address: [...h.location].slice(0, 20).join(''), deadline: cst(h.deadline), link: n.link },
    facts: {
      kind: n.kind === 'registered' ? 'hazard_registered' : 'hazard_overdue', hazardId: h.id, number: h.number, elevatorId: h.elevatorId,
      registrationCode: h.registrationCode, grade: h.grade, state: h.state, foundBy: h.foundBy, foundAt: h.foundAt, deadline: h.deadline,
    },
  })
  const roles = n.kind === 'registered' ? REGISTERED_ROLES : ESCALATION_ROLES
  const r = recordNotices({ subjectId: h.id, notificationId, elevatorId: h.elevatorId, roles, directory: n.directory, now: n.now, message: () => message })
  return { ...r, notificationId }
}
