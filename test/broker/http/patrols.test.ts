// Grid patrols over HTTP (broker/http/patrol-routes.ts) with the real service and hazard register:
// logged in, cut to scope, role-checked and audited; through the personal link without a login,
// for the grid's cars only; photos as raw bodies checked by their bytes; refused links answered
// with the zh-CN page (403/410) and counted in /metrics; the token never in the log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PatrolState } from '../../../broker/http/patrol-view.ts'
import type { Patrol, PatrolDue } from '../../../broker/records/types.ts'
import { injectLogin } from '../../helpers/http-login.ts'
import { TEST_ADMIN } from '../../helpers/accounts.ts'
import { COUNTY, LIFT1, LIFT2, LIFT_ISLAND, runUntil, T0 } from '../incidents/fixtures.ts'
import { answers, jpeg, png } from '../records/patrol-fixture.ts'
import { GRID, MAINT, patrolApp, TOWN_A, TOWN_B, type PatrolApp } from './patrol-app.ts'

let h: PatrolApp
beforeEach(async () => { h = await patrolApp() })
afterEach(async () => { await h.close() })

const DAY = 86_400_000
const login = (u: { username: string; password: string }) => injectLogin(h.app, u.username, u.password)
const photo = (url: string, body: Buffer, type: string, headers: Record<string, string> = {}) =>
  h.app.inject({ method: 'POST', url, payload: body, headers: { ...headers, 'content-type': type } })
const metric = async (name: string, reason: string) => {
  const admin = await login(TEST_ADMIN)
  const text = (await h.app.inject({ method: 'GET', url: '/metrics', headers: admin.read })).body
  return Number(new RegExp(`^${name}\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
}

describe('patrols, logged in', () => {
  it('lists the due cars of the caller\'s scope, records a patrol with a photo and its hazard, audited', async () => {
    const grid = await login(GRID)
    const st = await h.app.inject({ method: 'GET', url: '/api/patrols/state', headers: grid.read })
    expect(st.statusCode, st.body).toBe(200)
    const s = st.json() as PatrolState
    expect(s.person).toEqual({ name: '周网格员', roleZh: '网格员', via: 'login' })
    expect(s.items.map((i) => i.id)).toHaveLength(10)
    expect(s.elevators.map((e) => [e.elevatorId, e.overdue])).toEqual([[LIFT1, true], [LIFT2, true]])
    expect(s.elevators[0]).toMatchObject({ address: '嵊泗县菜园镇沙河路 18 号', building: '1号楼 1单元', rescueCode: '33001' })

    const up = await photo('/api/photos', png(), 'image/png', grid.write)
    expect(up.statusCode, up.body).toBe(200)
    const { id } = up.json() as { id: string }
    const res = await h.app.inject({ method: 'POST', url: '/api/patrols', headers: grid.write, payload: { elevatorId: LIFT1, results: answers({ doors: [id] }) } })
    expect(res.statusCode, res.body).toBe(200)
    const p = (res.json() as { patrol: Patrol }).patrol
    expect(p.by).toMatchObject({ name: '周网格员', via: 'desk', role: 'grid' })
    const hz = h.rig.hazards.get(p.hazardIds[0]!, COUNTY)!
    expect(hz).toMatchObject({ foundBy: 'patrol', rule: 'patrol:doors', grade: 'general', photos: [id] })
    expect(h.accounts.auditLog().filter((e) => e.action.startsWith('p')).map((e) => [e.action, e.actor, e.target])).toEqual([
      ['photo.upload', GRID.username, id], ['patrol.submit', GRID.username, p.id],
    ])
    const due = (await h.app.inject({ method: 'GET', url: '/api/patrols/due', headers: grid.read })).json() as { due: PatrolDue[] }
    expect(due.due.map((d) => [d.elevatorId, d.overdue])).toEqual([[LIFT2, true], [LIFT1, false]])
    const list = (await h.app.inject({ method: 'GET', url: `/api/patrols?elevator=${LIFT1}`, headers: grid.read })).json() as { patrols: Patrol[] }
    expect(list.patrols.map((x) => x.id)).toEqual([p.id])
  })

  it('keeps to scope and role: another township\'s car is unknown, a maintenance unit may not patrol', async () => {
    const town = await login(TOWN_A)
    const out = await h.app.inject({ method: 'POST', url: '/api/patrols', headers: town.write, payload: { elevatorId: LIFT_ISLAND, results: answers() } })
    expect(out.statusCode).toBe(404)
    expect(out.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_ELEVATOR' })
    const maint = await login(MAINT)
    for (const r of [
      await h.app.inject({ method: 'GET', url: '/api/patrols/due', headers: maint.read }),
      await h.app.inject({ method: 'POST', url: '/api/patrols', headers: maint.write, payload: { elevatorId: LIFT1, results: answers() } }),
      await photo('/api/photos', jpeg(), 'image/jpeg', maint.write),
    ]) expect(r.statusCode).toBe(403)
    expect(h.accounts.auditLog().filter((e) => e.action.endsWith('.denied')).map((e) => [e.action, e.actor])).toEqual([
      ['patrol.submit.denied', TOWN_A.username], ['patrol.read.denied', MAINT.username], ['patrol.submit.denied', MAINT.username], ['patrol.submit.denied', MAINT.username],
    ])
    // an incomplete checklist is a 400 naming the item; no login is a 401
    const bad = await h.app.inject({ method: 'POST', url: '/api/patrols', headers: town.write, payload: { elevatorId: LIFT1, results: answers().slice(0, 9) } })
    expect(bad.statusCode).toBe(400)
    expect((bad.json() as { problems: string[] }).problems).toEqual(['maintained: not answered'])
    expect((await h.app.inject({ method: 'GET', url: '/api/patrols/due' })).statusCode).toBe(401)
    const admin = await login(TEST_ADMIN)
    const all = (await h.app.inject({ method: 'GET', url: '/api/patrols/due?region=330922203', headers: admin.read })).json() as { due: PatrolDue[] }
    expect(all.due.map((d) => d.elevatorId)).toEqual([LIFT_ISLAND])
  })

  it('refuses photos by their bytes, not their names: a PNG sent as JPEG, a text file, too large', async () => {
    const grid = await login(GRID)
    const mismatch = await photo('/api/photos', png(), 'image/jpeg', grid.write)
    expect(mismatch.statusCode).toBe(400)
    expect(mismatch.json()).toMatchObject({ code: 'LW_ERR_HTTP_PHOTO_REFUSED', problems: ['type_mismatch'] })
    expect((await photo('/api/photos', Buffer.from('not a photo '.repeat(20)), 'image/jpeg', grid.write)).json()).toMatchObject({ problems: ['not_an_image'] })
    expect((await photo('/api/photos', Buffer.from('not a photo '.repeat(20)), 'text/plain', grid.write)).statusCode).toBe(415)
    expect((await photo('/api/photos', jpeg(5 * 1024 * 1024 + 10), 'image/jpeg', grid.write)).statusCode).toBe(413)
    expect(await metric('liftwatch_broker_photos_refused_total', 'type_mismatch')).toBe(1)
    expect(await metric('liftwatch_broker_photos_refused_total', 'not_an_image')).toBe(1)
    expect(h.rig.db.prepare('SELECT count(*) AS n FROM photos').get()).toEqual({ n: 0 })
  })
})

describe('patrols through the personal link', () => {
  it('opens the page and the grid\'s cars without a login, records a patrol with a photo, never logs the token', async () => {
    const { token } = h.rig.patrols.linkFor('p-zhou')!
    const page = await h.app.inject({ method: 'GET', url: `/g/${token}` })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('/ui/patrol.js')
    expect(page.headers['cache-control']).toBe('no-store')
    const s = (await h.app.inject({ method: 'GET', url: `/g/${token}/state` })).json() as PatrolState
    expect(s.person).toEqual({ name: '周网格员', roleZh: '网格员', via: 'link' })
    expect(s.elevators.map((e) => e.elevatorId)).toEqual([LIFT1, LIFT2])
    expect(JSON.stringify(s)).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/)

    const up = await photo(`/g/${token}/photos`, jpeg(), 'image/jpeg')
    expect(up.statusCode, up.body).toBe(200)
    const { id } = up.json() as { id: string }
    // a photo not yet attached is nobody's to see but its taker's
    const grid = await login(GRID)
    const seen = async (headers: Record<string, string>) => (await h.app.inject({ method: 'GET', url: `/api/photos/${id}`, headers })).statusCode
    expect(await seen(grid.read)).toBe(404)
    const res = await h.app.inject({ method: 'POST', url: `/g/${token}/patrols`, payload: { elevatorId: LIFT2, results: answers({ locked: [id] }) } })
    expect(res.statusCode, res.body).toBe(200)
    // attached to the hazard: whoever sees its car sees the photo, nobody else
    const shown = await h.app.inject({ method: 'GET', url: `/api/photos/${id}`, headers: grid.read })
    expect(shown.headers['content-type']).toBe('image/jpeg')
    expect(shown.rawPayload.equals(jpeg())).toBe(true)
    expect(await seen((await login(TOWN_B)).read)).toBe(404)
    const p = (res.json() as { patrol: Patrol }).patrol
    expect(p.by).toEqual({ name: '周网格员', userId: 'p-zhou', via: 'link', role: 'grid' })
    expect(h.rig.hazards.get(p.hazardIds[0]!, COUNTY)).toMatchObject({ grade: 'major', photos: [id], elevatorId: LIFT2 })
    expect(h.accounts.auditLog().map((e) => [e.action, e.actor])).toEqual(expect.arrayContaining([['photo.upload', 'link:p-zhou'], ['patrol.submit', 'link:p-zhou']]))
    // a car outside the grid is refused and audited
    const outside = await h.app.inject({ method: 'POST', url: `/g/${token}/patrols`, payload: { elevatorId: LIFT_ISLAND, results: answers() } })
    expect(outside.statusCode).toBe(404)
    expect(h.accounts.auditLog().at(-1)).toMatchObject({ action: 'patrol.submit.denied', actor: 'link:p-zhou', detail: expect.objectContaining({ reason: 'outside_grid' }) })
    expect((await h.app.inject({ method: 'GET', url: `/g/${token}/nothing` })).statusCode).toBe(404)
    expect(JSON.stringify(h.lines)).not.toContain(token)
    expect(JSON.stringify(h.lines)).not.toContain(token.slice(0, 40))
  })

  it('answers refused links with the zh-CN page, 403 or 410, counted in /metrics', async () => {
    const { token } = h.rig.patrols.linkFor('p-zhou')!
    const tampered = await h.app.inject({ method: 'GET', url: `/g/${token.slice(0, -3)}abc` })
    expect(tampered.statusCode).toBe(403)
    expect(tampered.body).toContain('巡查链接无效或已过期')
    expect((await h.app.inject({ method: 'GET', url: '/g/garbage/state' })).statusCode).toBe(403)
    runUntil(h.scheduler, T0 + 32 * DAY)
    const expired = await h.app.inject({ method: 'GET', url: `/g/${token}` })
    expect(expired.statusCode).toBe(410)
    expect(expired.body).toContain('链接已过期')
    const post = await h.app.inject({ method: 'POST', url: `/g/${token}/patrols`, payload: { elevatorId: LIFT1, results: answers() } })
    expect(post.statusCode).toBe(410)
    expect(post.json()).toMatchObject({ code: 'LW_ERR_HTTP_LINK_EXPIRED' })
    expect(await metric('liftwatch_broker_patrol_links_refused_total', 'tampered')).toBe(1)
    expect(await metric('liftwatch_broker_patrol_links_refused_total', 'malformed')).toBe(1)
    expect(await metric('liftwatch_broker_patrol_links_refused_total', 'expired')).toBe(2)
    expect(JSON.stringify(h.lines)).not.toContain(token.slice(0, 40))
  })
})
