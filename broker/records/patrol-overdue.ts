// The daily reminder of overdue patrols (broker/records/types.ts): one message per
// grid administrator naming their overdue cars, with their personal link, through the same outbox
// and channels as incidents (broker/records/notify.ts). Pure: the service writes the items.
import type { OutboxItem } from '../notify/types.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import type { Registry } from '../registry/registry.ts'
import { SUBJECT_PREFIX, type PatrolDue } from './types.ts'
import { recordMessage, recordNotices } from './notify.ts'

const DAY = 86_400_000
// the county keeps China Standard Time, UTC+8 all year (response/kpi.ts)
const CST = 8 * 3_600_000
export const dateOf = (ms: number): string => new Date(ms + CST).toISOString().slice(0, 10)

/** The next `hour`:00 China time after `now`: reminders go out in working hours. */
export function nextRunAt(now: number, hour: number): number {
  const t = Math.floor((now + CST) / DAY) * DAY + hour * 3_600_000 - CST
  return t > now ? t : t + DAY
}

const SHOWN = 5

export interface OverdueNotices {
  readonly items: OutboxItem[]
  /** grid administrators told */
  readonly people: number
  /** overdue cars whose grid nobody could be told about */
  readonly unreached: string[]
}

/** Outbox items telling each grid administrator of their overdue cars; ids are per person and day, so a rerun adds nothing. */
export function overdueNotices(o: {
  due: readonly PatrolDue[]; directory: PartiesDirectory; registry: Registry; now: number; link: (personId: string) => string | undefined
}): OverdueNotices {
  const byPerson = new Map<string, PatrolDue[]>()
  const unreached: string[] = []
  for (const d of o.due) {
    if (!d.overdue) continue
    const grid = o.directory.partiesFor(d.elevatorId, 'grid')
    if (!grid.length) { unreached.push(d.elevatorId); continue }
    for (const p of grid) byPerson.set(p.id, [...(byPerson.get(p.id) ?? []), d])
  }
  const items: OutboxItem[] = []
  let people = 0
  for (const [personId, cars] of byPerson) {
    const subjectId = `${SUBJECT_PREFIX.patrol}due-${dateOf(o.now)}-${personId}`
    const link = o.link(personId)
    const lines = [
      `${cars.length} 台电梯巡查已逾期 / ${cars.length} lift(s) overdue for patrol`,
      ...cars.slice(0, SHOWN).map((d) => {
        const e = o.registry.elevator(d.elevatorId)
        const where = e ? `${e.address}${e.building ? ` ${e.building}` : ''}` : d.elevatorId
        return `${where}（${d.lastAt === undefined ? '从未巡查' : `上次 ${dateOf(d.lastAt)}`}）`
      }),
      ...(cars.length > SHOWN ? [`另有 ${cars.length - SHOWN} 台 / and ${cars.length - SHOWN} more`] : []),
    ]
    const r = recordNotices({
      subjectId, notificationId: `${subjectId}:1`, elevatorId: cars[0]!.elevatorId, roles: ['grid'], directory: o.directory, now: o.now,
      message: () => recordMessage({
        title: '【网格巡查逾期】请尽快巡查', lines, ...(link ? { link } : {}),
        smsKind: 'patrol', sms: { count: String(cars.length), link: link ?? '' },
        facts: { kind: 'patrol_overdue', personId, elevatorIds: cars.map((d) => d.elevatorId) },
      }),
    })
    // the car's grid administrator is this person (partiesFor): unreached only without a channel
    if (!r.items.length) unreached.push(...cars.map((d) => d.elevatorId))
    else people++
    items.push(...r.items)
  }
  return { items, people, unreached }
}
