// Grid patrols (网格巡查, broker/records/types.ts): a grid administrator checks each
// car of the grid against the ten-item checklist (PATROL_ITEMS), through a personal link or logged
// in. Every failed item registers a hazard (or joins the open one of the same item and car: rule
// `patrol:<item>`); an alarm button or an unlocked machine room or pit is a major hazard. The
// patrol, its hazards and its photos' subjects are written in one transaction. Cars are due every
// `everyDays` after their last patrol; once a day the grid administrators with overdue cars are told.
import { randomBytes } from 'node:crypto'
import type { Principal } from '../accounts/scope.ts'
import { inScope } from '../accounts/scope.ts'
import type { AttemptReport } from '../notify/types.ts'
import { attachPhoto, photoInfo, PHOTO_MAX_BYTES, readPhoto, savePhoto, type PhotoProblem, type PhotoType } from './photos.ts'
import { gridElevators, PatrolLinks, type PatrolHolder, type PatrolLink, type PatrolLinkRefusal } from './patrol-links.ts'
import { nextRunAt, overdueNotices } from './patrol-overdue.ts'
import {
  PATROL_ITEMS, SUBJECT_PREFIX, type Hazard, type HazardRegister, type Patrol, type PatrolDue, type PatrolItemId, type PatrolResult,
  type RecordActor, type RecordResult, type RecordsDeps, type RecordsPart,
} from './types.ts'

export interface PatrolsOptions {
  /** a car is due this many days after its last patrol (default 30: monthly) */
  readonly everyDays?: number
  /** personal links last this many days (default 31) */
  readonly linkDays?: number
  /** the hour, China time, of the daily overdue reminder (default 9) */
  readonly remindHour?: number
  /** the largest photo taken, bytes (default PHOTO_MAX_BYTES, 5 MB) */
  readonly photoMaxBytes?: number
}

export interface PatrolQuery { readonly elevatorId?: string; readonly from?: number; readonly to?: number; readonly limit?: number }
/** a principal's scope, a village, a grid administrator's grid, or every car (the daily reminder) */
export type DueScope = Principal | { readonly village: string } | { readonly person: string } | { readonly all: true }

const DAY = 86_400_000
const MAJOR_ITEMS: readonly PatrolItemId[] = ['alarm', 'locked']
export const MAX_NOTE = 500
export const MAX_PHOTOS_PER_ITEM = 5

class Refused extends Error {
  constructor(readonly result: Extract<RecordResult<never>, { ok: false }>) { super(result.reason) }
}

export class Patrols implements RecordsPart {
  private readonly links: PatrolLinks
  private timer: { unsubscribe(): void } | undefined
  private running = false
  private readonly counts = { submitted: 0, hazardsRegistered: 0, refused: 0, remindersRun: 0, peopleReminded: 0, reminderItems: 0, overdueUnreached: 0, delivered: 0, failed: 0 }

  constructor(private readonly deps: RecordsDeps, private readonly hazards: HazardRegister, private readonly opts: PatrolsOptions = {}) {
    this.links = new PatrolLinks(deps.linkKey, () => deps.scheduler.now(), deps.parties, deps.linkBase, opts.linkDays ?? 31)
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.arm()
  }

  stop(): void {
    this.running = false
    this.timer?.unsubscribe()
    this.timer = undefined
  }

  onAttempt(r: AttemptReport): void {
    if (r.state === 'delivered') this.counts.delivered++
    else if (r.state === 'failed') {
      this.counts.failed++
      this.deps.log.warn({ subject: r.item.incidentId, party: r.item.partyId, channel: r.item.channel }, 'patrol reminder not delivered')
    }
  }

  stats(): Record<string, number> {
    return { ...this.counts, ...Object.fromEntries(Object.entries(this.links.refused).map(([k, v]) => [`linkRefused_${k}`, v])) }
  }

  linkFor(personId: string): PatrolLink | null {
    return this.links.linkFor(personId)
  }

  verifyLink(token: string): PatrolHolder | PatrolLinkRefusal {
    return this.links.verify(token)
  }

  get photoMaxBytes(): number {
    return this.opts.photoMaxBytes ?? PHOTO_MAX_BYTES
  }

  /** A photo for a patrol's failed item, stored under the data directory (broker/records/photos.ts). */
  savePhoto(bytes: Buffer, declaredType: string, by: RecordActor): { id: string } | { problem: PhotoProblem } {
    return savePhoto(this.deps.dataDir, bytes, declaredType, by, this.deps.db, { now: this.deps.scheduler.now(), maxBytes: this.photoMaxBytes, log: this.deps.log })
  }

  /**
   * A photo for someone who sees its subject's car (a hazard's or a patrol's); one not yet attached
   * only for whoever took it. null when unknown or out of scope, alike.
   */
  photoFor(id: string, principal: Principal): { type: PhotoType; bytes: Buffer } | null {
    const info = photoInfo(this.deps.db, id)
    if (!info) return null
    let visible: boolean
    if (info.subject === null) visible = info.by.via === 'desk' && info.by.userId === String(principal.userId)
    else {
      const row = this.deps.db.prepare('SELECT elevator_id AS e FROM hazards WHERE id = ? UNION ALL SELECT elevator_id FROM patrols WHERE id = ?').get(info.subject, info.subject) as { e: string } | undefined
      const e = row ? this.deps.registry.elevator(row.e) : undefined
      visible = e !== undefined && inScope(principal.scope, e)
    }
    return visible ? readPhoto(this.deps.dataDir, id, this.deps.db) : null
  }

  /** Records a patrol; every PATROL_ITEMS item answered once. A principal restricts it to the cars it sees. */
  submit(elevatorId: string, results: readonly PatrolResult[], actor: RecordActor, principal?: Principal): RecordResult<Patrol> {
    const e = this.deps.registry.elevator(elevatorId)
    if (!e || (principal && !inScope(principal.scope, e))) return this.refuse(404, `no elevator ${elevatorId}`)
    const problems = this.check(results)
    if (problems.length) return this.refuse(400, problems.join('; '))
    const at = this.deps.scheduler.now()
    const id = `${SUBJECT_PREFIX.patrol}${randomBytes(9).toString('base64url')}`
    const village = e.village ?? this.deps.parties().elevator(elevatorId)?.village
    const ordered = PATROL_ITEMS.map((it) => results.find((r) => r.item === it.id)!)
    try {
      const patrol = this.deps.db.transaction((): Patrol => {
        const hazardIds: string[] = []
        for (const r of ordered) {
          const photos = r.photos ?? []
          if (r.ok) { for (const ph of photos) attachPhoto(this.deps.db, ph, id); continue }
          const h = this.registerHazard(elevatorId, r, id, actor)
          if (!hazardIds.includes(h.id)) hazardIds.push(h.id)
          for (const ph of photos) attachPhoto(this.deps.db, ph, h.id)
        }
        const p: Patrol = {
          id, elevatorId, ...(village ? { village } : {}), ...(e.township ? { township: e.township } : {}), at, by: actor,
          results: ordered.map(clean), hazardIds,
        }
        this.deps.db.prepare('INSERT INTO patrols (id, elevator_id, village, township, at, data) VALUES (?, ?, ?, ?, ?, ?)')
          .run(id, elevatorId, p.village ?? null, p.township ?? null, at, JSON.stringify(p))
        return p
      })()
      this.counts.submitted++
      this.counts.hazardsRegistered += patrol.hazardIds.length
      this.deps.log.info({ patrol: id, elevatorId, failed: ordered.filter((r) => !r.ok).map((r) => r.item), hazards: patrol.hazardIds, via: actor.via }, 'patrol recorded')
      return { ok: true, value: patrol }
    } catch (err) {
      if (err instanceof Refused) { this.counts.refused++; return err.result }
      throw err
    }
  }

  /** The patrol state of every car in scope: overdue first, then by due date. */
  due(scope: DueScope): PatrolDue[] {
    const dir = this.deps.parties()
    const ids = this.elevatorsOf(scope)
    const last = this.lastPatrols(ids)
    const now = this.deps.scheduler.now()
    const every = (this.opts.everyDays ?? 30) * DAY
    const out = ids.map((id): PatrolDue => {
      const lastAt = last.get(id)
      const dueAt = lastAt === undefined ? now : lastAt + every
      const ep = dir.elevator(id)
      const village = this.deps.registry.elevator(id)?.village ?? ep?.village
      return { elevatorId: id, ...(village ? { village } : {}), ...(ep?.grid ? { grid: ep.grid } : {}), ...(lastAt !== undefined ? { lastAt } : {}), dueAt, overdue: now >= dueAt }
    })
    return out.sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.dueAt - b.dueAt || a.elevatorId.localeCompare(b.elevatorId))
  }

  /** Patrols, newest first, of the cars the principal sees. */
  list(q: PatrolQuery, principal: Principal): Patrol[] {
    const where: string[] = []
    const args: (string | number)[] = []
    if (q.elevatorId !== undefined) { where.push('elevator_id = ?'); args.push(q.elevatorId) }
    if (q.from !== undefined) { where.push('at >= ?'); args.push(q.from) }
    if (q.to !== undefined) { where.push('at < ?'); args.push(q.to) }
    const sql = `SELECT elevator_id AS elevatorId, data FROM patrols ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id`
    const limit = q.limit ?? 200
    const out: Patrol[] = []
    for (const row of this.deps.db.prepare(sql).iterate(...args) as IterableIterator<{ elevatorId: string; data: string }>) {
      const e = this.deps.registry.elevator(row.elevatorId)
      if (!e || !inScope(principal.scope, e)) continue
      out.push(JSON.parse(row.data) as Patrol)
      if (out.length >= limit) break
    }
    return out
  }

  /** Tells each grid administrator with overdue cars (the daily run; tests call it). */
  remindOverdue(): number {
    const now = this.deps.scheduler.now()
    const all = this.due({ all: true })
    const r = overdueNotices({ due: all, directory: this.deps.parties(), registry: this.deps.registry, now, link: (p) => this.links.linkFor(p)?.url })
    this.counts.remindersRun++
    this.counts.peopleReminded += r.people
    this.counts.overdueUnreached += r.unreached.length
    if (r.items.length) {
      this.deps.outbox.insert(r.items)
      this.counts.reminderItems += r.items.length
      this.deps.kick()
    }
    this.deps.log.info({ people: r.people, items: r.items.length, unreached: r.unreached.length }, 'overdue patrol reminders')
    return r.people
  }

  private arm(): void {
    const now = this.deps.scheduler.now()
    this.timer = this.deps.scheduler.schedule(() => {
      if (!this.running) return
      try {
        this.remindOverdue()
      } catch (err) {
        this.deps.log.error({ err }, 'overdue patrol reminders failed')
      }
      this.arm()
    }, nextRunAt(now, this.opts.remindHour ?? 9) - now)
  }

  private elevatorsOf(scope: DueScope): string[] {
    if ('all' in scope) return this.deps.registry.elevators.map((e) => e.id)
    if ('person' in scope) return gridElevators(this.deps.parties(), scope.person).filter((id) => this.deps.registry.elevator(id))
    if ('village' in scope) {
      const v = scope.village
      const dir = this.deps.parties()
      return this.deps.registry.elevators.filter((e) => (e.village ?? dir.elevator(e.id)?.village) === v).map((e) => e.id)
    }
    return this.deps.registry.elevators.filter((e) => inScope(scope.scope, e)).map((e) => e.id)
  }

  private lastPatrols(ids: readonly string[]): Map<string, number> {
    const want = new Set(ids)
    const rows = this.deps.db.prepare('SELECT elevator_id AS id, MAX(at) AS at FROM patrols GROUP BY elevator_id').all() as { id: string; at: number }[]
    return new Map(rows.filter((r) => want.has(r.id)).map((r) => [r.id, r.at]))
  }

  private check(results: readonly PatrolResult[]): string[] {
    const problems: string[] = []
    const known = new Set<string>(PATROL_ITEMS.map((i) => i.id))
    const seen = new Set<string>()
    const photos = new Set<string>()
    for (const r of results) {
      if (!known.has(r.item)) { problems.push(`${r.item}: not a checklist item`); continue }
      if (seen.has(r.item)) problems.push(`${r.item}: answered twice`)
      seen.add(r.item)
      if (r.note !== undefined && (r.note.length > MAX_NOTE || !r.note.trim())) problems.push(`${r.item}: a note has 1 to ${MAX_NOTE} characters`)
      if ((r.photos?.length ?? 0) > MAX_PHOTOS_PER_ITEM) problems.push(`${r.item}: at most ${MAX_PHOTOS_PER_ITEM} photos`)
      for (const ph of r.photos ?? []) {
        const info = photoInfo(this.deps.db, ph)
        if (!info || info.subject !== null || photos.has(ph)) problems.push(`${r.item}: photo ${ph} unknown or already used`)
        photos.add(ph)
      }
    }
    for (const it of PATROL_ITEMS) if (!seen.has(it.id)) problems.push(`${it.id}: not answered`)
    return problems
  }

  private registerHazard(elevatorId: string, r: PatrolResult, patrolId: string, actor: RecordActor): Hazard {
    const item = PATROL_ITEMS.find((i) => i.id === r.item)!
    const description = `网格巡查：${item.zh}——不合格${r.note ? `（${r.note.trim()}）` : ''} / Patrol: ${item.en} — failed`
    const h = this.hazards.register({
      elevatorId, description, grade: MAJOR_ITEMS.includes(r.item) ? 'major' : 'general', foundBy: 'patrol',
      sourceRef: patrolId, rule: `patrol:${r.item}`, photos: r.photos ?? [],
    }, actor)
    if (!h.ok) throw new Refused(h)
    return h.value
  }

  private refuse(status: 400 | 404 | 409, reason: string): RecordResult<never> {
    this.counts.refused++
    return { ok: false, status, reason }
  }
}

const clean = (r: PatrolResult): PatrolResult => ({
  item: r.item, ok: r.ok, ...(r.note?.trim() ? { note: r.note.trim() } : {}), ...(r.photos?.length ? { photos: [...r.photos] } : {}),
})
