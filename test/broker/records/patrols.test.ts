// Grid patrols in virtual time on a real SQLite file with the real hazard register: due and overdue
// per grid, a failed item registering a hazard with its photo, the personal link, the daily
// reminder, and the photo checks (magic bytes, declared type, size).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LinkSigner } from '../../../broker/incidents/links.ts'
import { attachPhoto, photoInfo, photoRefusals, readPhoto, savePhoto } from '../../../broker/records/photos.ts'
import { SYSTEM_ACTOR, type RecordActor } from '../../../broker/records/types.ts'
import { clock, COUNTY, LIFT1, LIFT2, LIFT_ISLAND, principal, runUntil, T0 } from '../incidents/fixtures.ts'
import { answers, jpeg, patrolRig, png, tempDir, webp, type PatrolRig } from './patrol-fixture.ts'

const DAY = 86_400_000
const ZHOU: RecordActor = { name: '周网格员', userId: 'p-zhou', via: 'link', role: 'grid' }
const ok = <T>(r: { ok: true; value: T } | { ok: false; reason: string }): T => {
  if (!r.ok) throw new Error(`refused: ${r.reason}`)
  return r.value
}

describe('grid patrols', () => {
  let s: ReturnType<typeof clock>
  let r: PatrolRig
  beforeEach(() => { s = clock(); r = patrolRig(tempDir(), s) })
  afterEach(() => r.close())

  it('keeps each grid\'s cars due: never patrolled is overdue, a patrol makes it due 30 days on, overdue first', () => {
    expect(r.patrols.due({ person: 'p-zhou' }).map((d) => [d.elevatorId, d.overdue, d.dueAt])).toEqual([[LIFT1, true, T0], [LIFT2, true, T0]])
    expect(r.patrols.due({ person: 'p-dong' }).map((d) => d.elevatorId)).toEqual([LIFT_ISLAND])
    ok(r.patrols.submit(LIFT1, answers(), ZHOU))
    runUntil(s, T0 + 10 * DAY)
    const due = r.patrols.due({ village: '330922100001' })
    expect(due.map((d) => [d.elevatorId, d.overdue, d.lastAt, d.dueAt, d.grid])).toEqual([
      [LIFT2, true, undefined, T0 + 10 * DAY, 'p-zhou'],
      [LIFT1, false, T0, T0 + 30 * DAY, 'p-zhou'],
    ])
    runUntil(s, T0 + 30 * DAY)
    expect(r.patrols.due(principal({ region: '330922100' }, 'grid')).map((d) => [d.elevatorId, d.overdue])).toEqual([[LIFT1, true], [LIFT2, true]])
    // a township's principal does not see the island's car; the county does
    expect(r.patrols.due(COUNTY).map((d) => d.elevatorId)).toContain(LIFT_ISLAND)
  })

  it('registers a hazard for a failed item, with its photo, and joins it on the next failure', () => {
    const photo = savePhoto(r.dir, png(), 'image/png', ZHOU, r.db, { now: T0 })
    if (!('id' in photo)) throw new Error(photo.problem)
    const p = ok(r.patrols.submit(LIFT1, answers({ alarm: [photo.id] }), ZHOU))
    expect(p.hazardIds).toHaveLength(1)
    const h = r.hazards.get(p.hazardIds[0]!, COUNTY)!
    expect(h).toMatchObject({ elevatorId: LIFT1, foundBy: 'patrol', grade: 'major', sourceRef: p.id, rule: 'patrol:alarm', photos: [photo.id], state: 'open' })
    expect(h.description).toContain('报警按钮')
    expect(photoInfo(r.db, photo.id)?.subject).toBe(h.id)
    expect(readPhoto(r.dir, photo.id, r.db)?.bytes.equals(png())).toBe(true)
    // the stored patrol holds the answers in checklist order
    expect(r.patrols.list({ elevatorId: LIFT1 }, COUNTY)).toEqual([p])
    expect(p.results.filter((x) => !x.ok)).toEqual([{ item: 'alarm', ok: false, note: '报警按钮、对讲有效 不合格', photos: [photo.id] }])
    // a general item; the alarm item again joins the open hazard
    runUntil(s, T0 + DAY)
    const p2 = ok(r.patrols.submit(LIFT1, answers({ alarm: [], rules: [] }), ZHOU))
    expect(p2.hazardIds).toHaveLength(2)
    expect(p2.hazardIds).toContain(h.id)
    const rules = r.hazards.get(p2.hazardIds.find((id) => id !== h.id)!, COUNTY)!
    expect(rules).toMatchObject({ grade: 'general', rule: 'patrol:rules' })
    expect(r.patrols.stats()).toMatchObject({ submitted: 2, hazardsRegistered: 3 })
  })

  it('refuses an incomplete checklist, a photo used twice or unknown, and a car out of scope', () => {
    const photo = savePhoto(r.dir, jpeg(), 'image/jpeg', ZHOU, r.db, { now: T0 }) as { id: string }
    const missing = r.patrols.submit(LIFT1, answers().slice(1), ZHOU)
    expect(missing).toMatchObject({ ok: false, status: 400, reason: 'mark: not answered' })
    const twice = r.patrols.submit(LIFT1, [...answers(), { item: 'doors', ok: true }], ZHOU)
    expect(twice).toMatchObject({ ok: false, status: 400, reason: 'doors: answered twice' })
    expect(r.patrols.submit(LIFT1, answers({ doors: ['ph-AAAAAAAAAAAAAAAAAAAAAA'] }), ZHOU)).toMatchObject({ ok: false, status: 400 })
    expect(attachPhoto(r.db, photo.id, 'hz-other')).toBe(true)
    expect(r.patrols.submit(LIFT1, answers({ doors: [photo.id] }), ZHOU)).toMatchObject({ ok: false, status: 400 })
    expect(r.patrols.submit(LIFT_ISLAND, answers(), ZHOU, principal({ region: '330922100' }, 'grid'))).toMatchObject({ ok: false, status: 404 })
    expect(r.patrols.submit('31103309222099999999', answers(), ZHOU)).toMatchObject({ ok: false, status: 404 })
    expect(r.db.prepare('SELECT count(*) AS n FROM patrols').get()).toEqual({ n: 0 })
    expect(r.patrols.stats().refused).toBe(6)
  })

  it('makes a personal link for a grid administrator that opens their grid only, until it expires', () => {
    expect(r.patrols.linkFor('p-chen')).toBeNull() // a steward
    const link = r.patrols.linkFor('p-zhou')!
    expect(link.url).toBe(`https://lw.example/g/${link.token}`)
    expect(link.expiresAt).toBe(T0 + 31 * DAY)
    const holder = r.patrols.verifyLink(link.token)
    if (typeof holder === 'string') throw new Error(holder)
    expect([...holder.elevatorIds]).toEqual([LIFT1, LIFT2])
    expect(r.patrols.verifyLink(`${link.token.slice(0, -2)}AA`)).toBe('tampered')
    expect(r.patrols.verifyLink('nonsense')).toBe('malformed')
    // a responder link signed with the same key is not a patrol link
    const responder = new LinkSigner(r.deps.linkKey, () => s.now()).sign({ incidentId: 'inc-1', partyId: 'p-zhou', partyName: '周网格员', role: 'grid', expiresAt: T0 + DAY })
    expect(r.patrols.verifyLink(responder)).toBe('unknown_person')
    runUntil(s, T0 + 31 * DAY)
    expect(r.patrols.verifyLink(link.token)).toBe('expired')
    expect(r.patrols.stats()).toMatchObject({ linkRefused_tampered: 1, linkRefused_malformed: 1, linkRefused_unknown_person: 1, linkRefused_expired: 1 })
  })

  it('tells each grid administrator of their overdue cars once a day at 09:00, with their link', () => {
    const items = () => r.db.prepare("SELECT party_id AS partyId, endpoint_id AS endpointId, message FROM outbox WHERE incident_id LIKE 'pt-%' ORDER BY created_at").all() as { partyId: string; endpointId: string; message: string }[]
    ok(r.patrols.submit(LIFT1, answers(), ZHOU))
    runUntil(s, T0 + 3_599_000) // 08:59:59 China time
    expect(items()).toEqual([])
    runUntil(s, T0 + 3_600_000)
    const first = items()
    // 周网格员 is told in the township's DingTalk group of LIFT2 only; 董网格员 has no channel (unreached)
    expect(first.map((i) => [i.partyId, i.endpointId])).toEqual([['p-zhou', 'ding-caiyuan']])
    const m = JSON.parse(first[0]!.message) as { text: string; link: string }
    expect(m.text).toContain('1 台电梯巡查已逾期')
    expect(m.text).toContain('1号楼 2单元（从未巡查）')
    expect(typeof r.patrols.verifyLink(m.link.split('/g/')[1]!)).toBe('object')
    expect(r.patrols.stats()).toMatchObject({ remindersRun: 1, peopleReminded: 1, overdueUnreached: 1 })
    expect(r.kicks).toBeGreaterThan(0)
    // a second run the same day adds nothing; the next day tells again
    r.patrols.remindOverdue()
    expect(items()).toHaveLength(1)
    runUntil(s, T0 + DAY + 3_600_000)
    expect(items()).toHaveLength(2)
    r.patrols.stop()
    runUntil(s, T0 + 5 * DAY)
    expect(items()).toHaveLength(2)
  })
})

describe('photos', () => {
  let dir: string
  let r: PatrolRig
  beforeEach(() => { dir = tempDir(); r = patrolRig(dir, clock()) })
  afterEach(() => r.close())
  const save = (b: Buffer, type: string, maxBytes?: number) => savePhoto(dir, b, type, SYSTEM_ACTOR, r.db, { now: T0, ...(maxBytes ? { maxBytes } : {}) })

  it('stores JPEG, PNG and WebP by their bytes under photos/<month>/, atomically, with a row', () => {
    for (const [b, type, ext] of [[jpeg(), 'image/jpeg', 'jpg'], [png(), 'image/png', 'png'], [webp(), 'image/webp; charset=binary', 'webp']] as const) {
      const res = save(b, type)
      if (!('id' in res)) throw new Error(res.problem)
      expect(res.id).toMatch(/^ph-[A-Za-z0-9_-]{22}$/)
      const file = join(dir, 'photos', '2026-01', `${res.id}.${ext}`)
      expect(readFileSync(file).equals(b)).toBe(true)
      expect(readPhoto(dir, res.id, r.db)).toEqual({ type: type.split(';')[0], bytes: b })
      expect(photoInfo(r.db, res.id)).toMatchObject({ subject: null, bytes: b.length, at: T0, by: SYSTEM_ACTOR })
    }
    expect(readdirSync(join(dir, 'photos', '2026-01')).filter((f) => f.endsWith('.tmp'))).toEqual([])
    expect(readPhoto(dir, '../../etc/passwd', r.db)).toBeNull()
    expect(readPhoto(dir, 'ph-AAAAAAAAAAAAAAAAAAAAAA', r.db)).toBeNull()
  })

  it('refuses a PNG called a JPEG, a text file, an empty or tiny file and one over the limit, counting each', () => {
    const before = { ...photoRefusals }
    expect(save(png(), 'image/jpeg')).toEqual({ problem: 'type_mismatch' })
    expect(save(Buffer.from('hello, this is not a photo at all '.repeat(10)), 'image/jpeg')).toEqual({ problem: 'not_an_image' })
    expect(save(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'.padEnd(200)), 'image/svg+xml')).toEqual({ problem: 'not_an_image' })
    expect(save(jpeg(), 'application/octet-stream')).toEqual({ problem: 'declared_type' })
    expect(save(Buffer.alloc(0), 'image/png')).toEqual({ problem: 'too_small' })
    expect(save(png().subarray(0, 99), 'image/png')).toEqual({ problem: 'too_small' })
    expect(save(jpeg(2000), 'image/jpeg', 1999)).toEqual({ problem: 'too_large' })
    expect('id' in save(jpeg(2000), 'image/jpeg', 2000)).toBe(true)
    expect(save(jpeg(5 * 1024 * 1024 + 1), 'image/jpeg')).toEqual({ problem: 'too_large' })
    const diff = Object.fromEntries(Object.entries(photoRefusals).map(([k, v]) => [k, v - before[k as keyof typeof before]]))
    expect(diff).toEqual({ too_small: 2, too_large: 2, not_an_image: 2, declared_type: 1, type_mismatch: 1, write_failed: 0 })
    expect(r.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 1 })
    expect(existsSync(join(dir, 'photos'))).toBe(true)
  })
})
