// Telling parties about a record (a hazard, a resident's report, an overdue patrol) through the
// same outbox and channels as incidents (docs/response.md#notifications): the parties of each role
// for the elevator, one item per group endpoint (naming every party it reaches) and one SMS per
// mobile. The subject id (hz-…, cp-…, pt-…) stands where an incident id stands, so the
// dispatcher's reports come back to the record (broker/app.ts routes them by prefix). Pure.
import type { PartyRole } from '../../response/index.ts'
import type { Message, OutboxItem, SmsKind } from '../notify/types.ts'
import type { Party, PartiesDirectory } from '../parties/directory.ts'
import { MOBILE_PATTERN, type ChannelKind } from '../parties/schema.ts'
import { askedRole } from '../incidents/notices.ts'
import { clipBytes, TEXT_LIMIT } from '../incidents/render.ts'

const mobile = new RegExp(MOBILE_PATTERN)

export interface RecordNotice {
  /** the record's id (hz-…, cp-…) */
  readonly subjectId: string
  /** unique per telling: `${subjectId}:${n}` */
  readonly notificationId: string
  readonly elevatorId: string
  readonly roles: readonly PartyRole[]
  readonly directory: PartiesDirectory
  readonly now: number
  /** the message for the parties reached through one endpoint (a link may be bound to `bound`) */
  readonly message: (role: PartyRole, parties: readonly Party[]) => Message
}

/** Outbox items, and the roles nobody could be told in. */
export function recordNotices(n: RecordNotice): { items: OutboxItem[]; unreached: PartyRole[] } {
  const items = new Map<string, OutboxItem>()
  const unreached: PartyRole[] = []
  for (const role of n.roles) {
    const parties = n.directory.partiesFor(n.elevatorId, askedRole(role))
    const groups = new Map<string, { kind: ChannelKind; parties: Party[]; to?: string }>()
    for (const p of parties) {
      for (const c of p.channels) {
        if (!n.directory.endpoint(c.ref)) continue
        const to = c.kind === 'sms' ? p.phone : undefined
        if (c.kind === 'sms' && (!to || !mobile.test(to))) continue
        const key = to ? `${c.ref}/${to}` : c.ref
        const g = groups.get(key) ?? { kind: c.kind, parties: [], ...(to ? { to } : {}) }
        if (!g.parties.includes(p)) g.parties.push(p)
        groups.set(key, g)
      }
    }
    if (!groups.size) { unreached.push(role); continue }
    for (const [key, g] of groups) {
      const id = `${n.notificationId}/${key}`
      const endpointId = key.split('/')[0]!
      const prior = [...items.values()].find((i) => i.endpointId === endpointId && i.to === g.to)
      if (prior) {
        // the same group or phone already told in this notice for another role: one message, all names
        const names = new Set([...prior.partyName.split('、'), ...g.parties.map((p) => p.name)])
        items.set(prior.id, { ...prior, partyName: [...names].join('、') })
        continue
      }
      const m = n.message(role, g.parties)
      const message: Message = { ...m, text: clipBytes(m.text, TEXT_LIMIT), mobiles: [...new Set([...m.mobiles, ...g.parties.flatMap((p) => (p.phone && mobile.test(p.phone) ? [p.phone] : []))])] }
      items.set(id, {
        id, incidentId: n.subjectId, notificationId: n.notificationId, role, partyId: g.parties[0]!.id,
        partyName: g.parties.map((p) => p.name).join('、'), channel: g.kind, endpointId, ...(g.to ? { to: g.to } : {}),
        message, drill: false, createdAt: n.now, state: 'pending', attempts: 0, nextAt: n.now,
      })
    }
  }
  return { items: [...items.values()], unreached }
}

/** A plain record message: title, lines, an optional link; SMS variables from `sms`. */
export function recordMessage(o: { title: string; lines: readonly string[]; link?: string; sms: Record<string, string>; smsKind: SmsKind; facts: Record<string, unknown> }): Message {
  const text = [o.title, ...o.lines, ...(o.link ? [`处理链接：${o.link}`] : [])].join('\n')
  const markdown = [`### ${o.title}`, ...o.lines.map((l) => `> ${l}`), ...(o.link ? [`[处理 / Open](${o.link})`] : [])].join('\n')
  return { title: o.title, text, markdown, mobiles: [], sms: o.sms, smsKind: o.smsKind, ...(o.link ? { link: o.link } : {}), facts: o.facts }
}
