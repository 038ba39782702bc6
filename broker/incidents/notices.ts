// From the engine's notify command to outbox items (docs/domain.md#response-chain): the parties of
// the role, each party × channel one item; a group robot reached by several parties of one command
// gets ONE message naming them all; SMS goes one item per mobile. Pure: time comes as `now`.
import type { Command, Incident, PartyRole } from '../../response/index.ts'
import type { OutboxItem } from '../notify/types.ts'
import type { Party, PartiesDirectory } from '../parties/directory.ts'
import { MOBILE_PATTERN, type ChannelKind, type PersonRole } from '../parties/schema.ts'
import type { Elevator } from '../registry/registry.ts'
import { renderMessage } from './render.ts'

type Notify = Extract<Command, { kind: 'notify' }>

export interface NoticeContext {
  readonly incident: Incident
  readonly elevator?: Elevator
  readonly directory: PartiesDirectory
  /** the responder link URL for one party (person or organisation) of this incident */
  readonly link: (party: { id: string; name: string; role: PartyRole }) => string | undefined
  readonly carAt?: string
  readonly now: number
}

export interface Notices {
  readonly items: OutboxItem[]
  /** the command's role had no party with a channel: nobody was told */
  readonly unreached: boolean
}

const mobile = new RegExp(MOBILE_PATTERN)

/** 110/119 are not in the directory: the desk is asked to call them. */
export const askedRole = (role: PartyRole): PersonRole => (role === 'police' ? 'desk' : role)

export function noticesFor(cmd: Notify, ctx: NoticeContext): Notices {
  const parties = ctx.directory.partiesFor(ctx.incident.elevator.elevatorId, askedRole(cmd.role))
  const groups = new Map<string, { kind: ChannelKind; parties: Party[] }>()
  const sms: { endpointId: string; party: Party; phone: string }[] = []
  for (const p of parties) {
    for (const c of p.channels) {
      if (!ctx.directory.endpoint(c.ref)) continue
      if (c.kind === 'sms') {
        if (p.phone && mobile.test(p.phone) && !sms.some((s) => s.endpointId === c.ref && s.phone === p.phone)) sms.push({ endpointId: c.ref, party: p, phone: p.phone })
        continue
      }
      const g = groups.get(c.ref) ?? { kind: c.kind, parties: [] }
      if (!g.parties.includes(p)) g.parties.push(p)
      groups.set(c.ref, g)
    }
  }
  const item = (endpointId: string, kind: ChannelKind, told: readonly Party[], to?: string): OutboxItem => {
    // an organisation's group message is bound to the organisation, a person's to the person
    const bound = told.find((p) => p.type === 'organisation') ?? told[0]!
    const link = ctx.link({ id: bound.id, name: bound.name, role: bound.role })
    const message = renderMessage({
      incident: ctx.incident, role: cmd.role, step: cmd.step, reminder: cmd.reminder, now: ctx.now,
      parties: told.map((p) => ({ name: p.name, ...(p.phone ? { phone: p.phone } : {}) })),
      ...(ctx.elevator ? { elevator: ctx.elevator } : {}), ...(link ? { link } : {}), ...(ctx.carAt ? { carAt: ctx.carAt } : {}),
    })
    return {
      id: to ? `${cmd.notificationId}/${endpointId}/${to}` : `${cmd.notificationId}/${endpointId}`,
      incidentId: cmd.incidentId, notificationId: cmd.notificationId, role: cmd.role,
      partyId: bound.id, partyName: told.map((p) => p.name).join('、'), channel: kind, endpointId,
      ...(to ? { to } : {}), message, drill: cmd.drill, createdAt: ctx.now, state: 'pending', attempts: 0, nextAt: ctx.now,
    }
  }
  const items = [
    ...[...groups.entries()].map(([endpointId, g]) => item(endpointId, g.kind, g.parties)),
    ...sms.map((s) => item(s.endpointId, 'sms', [s.party], s.phone)),
  ]
  return { items, unreached: items.length === 0 }
}
