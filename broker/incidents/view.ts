// What the desk and a responder see of an incident: the summary row, deliveries without URLs or
// secrets, and the phones to call (maintenance duty phone first). Pure reads of the registry,
// the parties directory and outbox rows.
import { randomUUID } from 'node:crypto'
import { isClosed, type ElevatorFacts, type Incident } from '../../response/index.ts'
import type { OutboxItem } from '../notify/types.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import { PERSON_ROLES } from '../parties/schema.ts'
import type { Elevator, Registry } from '../registry/registry.ts'
import type { Callable, DeliveryView, IncidentSummary } from './types.ts'

export function summaryOf(i: Incident, e: Elevator | undefined, carAt: string | undefined): IncidentSummary {
  const next = isClosed(i.state) ? undefined : i.plan.find((s) => !s.fired)
  const f = i.elevator
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, V>))
  return {
    id: i.id, elevatorId: f.elevatorId, state: i.state, drill: i.drill, source: i.source,
    ...opt('alarmType', i.alarmType), trappedAt: i.trappedAt, alarmAt: i.alarmAt,
    ...opt('respondedAt', i.respondedAt), ...opt('arrivedAt', i.arrivedAt), ...opt('releasedAt', i.releasedAt), ...opt('closedAt', i.closedAt),
    nextStep: next ? { id: next.id, dueAt: next.dueAt, roles: next.roles } : null,
    region: f.region, ...opt('township', f.township ?? e?.township), ...opt('village', e?.village),
    ...opt('maintenance', f.maintenance), ...opt('property', f.property),
    ...opt('address', e?.address), ...opt('building', e?.building), ...opt('rescueCode', e?.rescueCode),
    ...opt('registrationCode', e?.registrationCode), ...opt('carAt', carAt),
  }
}

export function deliveryOf(it: OutboxItem): DeliveryView {
  return {
    id: it.id, notificationId: it.notificationId, role: it.role, partyId: it.partyId, partyName: it.partyName,
    channel: it.channel, state: it.state, attempts: it.attempts, createdAt: it.createdAt,
    ...(it.lastDetail !== undefined ? { lastDetail: it.lastDetail } : {}),
    ...(it.deliveredAt !== undefined ? { deliveredAt: it.deliveredAt } : {}),
  }
}

/** Every party of the elevator with a phone, in the chain's order (the maintenance unit's duty phone first), the desk among them. */
export function callableFor(dir: PartiesDirectory, elevatorId: string): Callable[] {
  const out: Callable[] = []
  for (const role of PERSON_ROLES) {
    for (const p of dir.partiesFor(elevatorId, role)) {
      if (p.phone && !out.some((c) => c.phone === p.phone && c.name === p.name)) out.push({ role, name: p.name, phone: p.phone, type: p.type })
    }
  }
  // an elevator the directory does not know still has the desk to call
  if (!out.some((c) => c.role === 'desk')) {
    for (const o of dir.file.organisations) if (o.kind === 'desk' && o.dutyPhone) out.push({ role: 'desk', name: o.name, phone: o.dutyPhone, type: 'organisation' })
  }
  return out
}

/** What an incident keeps of its elevator; an elevator the registry lacks keeps the alarm's region. */
export function elevatorFacts(registry: Registry, elevatorId: string, region: string): ElevatorFacts {
  const e = registry.elevator(elevatorId)
  if (!e) return { elevatorId, region }
  return {
    elevatorId, region: e.region, ...(e.township ? { township: e.township } : {}),
    ...(e.maintenance ? { maintenance: e.maintenance } : {}), ...(e.property ? { property: e.property } : {}),
  }
}

/** `inc-<yyyymmdd in China Standard Time>-<6 hex>` */
export const newIncidentId = (now: number): string =>
  `inc-${new Date(now + 8 * 3_600_000).toISOString().slice(0, 10).replaceAll('-', '')}-${randomUUID().replaceAll('-', '').slice(0, 6)}`
