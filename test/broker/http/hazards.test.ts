// The hazard register's API (broker/http/hazard-routes.ts) in the real HTTP app over a real register
// on a temp SQLite file in virtual time and real accounts: scope on list, detail, changes, exports
// and photos; roles; every write and export audited; bad bodies named by field.
import ExcelJS from 'exceljs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../../broker/accounts/store.ts'
import type { AccountStore } from '../../../broker/accounts/store.ts'
import { build } from '../../../broker/http/app.ts'
import { registerHazardRoutes } from '../../../broker/http/hazard-routes.ts'
import { LiveView } from '../../../broker/live-view.ts'
import { savePhoto } from '../../../broker/records/photos.ts'
import type { Hazard } from '../../../broker/records/types.ts'
import { memoryAccounts, type TestUser } from '../../helpers/accounts.ts'
import { injectLogin } from '../../helpers/http-login.ts'
import { memoryLog } from '../../helpers/memory-log.ts'
import { clock, LIFT1, LIFT_ISLAND, registry, T0 } from '../incidents/fixtures.ts'
import { hazardRig, tempDir, type HazardRig } from '../records/hazard-fixture.ts'
import { METRICS_TEXT } from './fixtures.ts'
import { DESK, MAINT, PROPERTY, TOWN_A, TOWN_B } from './incident-fixture.ts'
import type { FastifyInstance } from 'fastify'

const STEWARD: TestUser = { username: 'steward', name: '陈楼道长', role: 'steward', scope: { org: 'wy-shahe' }, password: 'stew-pw-4hJ8k' }
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 1)])

let app: FastifyInstance
let rig: HazardRig
let accounts: AccountStore
let view: LiveView
const headers = new Map<string, { read: Record<string, string>; write: Record<string, string> }>()

beforeEach(async () => {
  headers.clear()
  const s = clock()
  rig = hazardRig(tempDir(), s)
  view = new LiveView(registry(), rig.alarms, async () => METRICS_TEXT, () => ({ ok: true, checks: {} }), undefined, () => s.now())
  accounts = await memoryAccounts([DESK, TOWN_A, TOWN_B, MAINT, PROPERTY, STEWARD])
  app = build({ view, accounts, log: memoryLog('broker').log, routes: [registerHazardRoutes(rig.hazards)] })
  await app.ready()
})
afterEach(async () => {
  await app.close()
  view.stop()
  accounts.stop()
  rig.close()
})

async function as(u: TestUser) {
  let hd = headers.get(u.username)
  if (!hd) headers.set(u.username, hd = await injectLogin(app, u.username, u.password))
  return {
    get: (url: string) => app.inject({ method: 'GET', url, headers: hd.read }),
    post: (url: string, payload: unknown) => app.inject({ method: 'POST', url, headers: hd.write, payload: payload as Record<string, unknown> }),
  }
}
const audit = (action: string): AuditEntry[] => accounts.auditLog().filter((e) => e.action === action)

async function register(u: TestUser, elevatorId: string, description = '轿厢照明损坏'): Promise<Hazard> {
  const res = await (await as(u)).post('/api/hazards', { elevatorId, description, grade: 'general', owner: '李安全员' })
  expect(res.statusCode, res.body).toBe(200)
  return (res.json() as { hazard: Hazard }).hazard
}

describe('hazards API', () => {
  it('registers by hand (found by manual, audited); township A cannot see or change B\'s hazard (404); a steward may not register (403)', async () => {
    const a = await register(TOWN_A, LIFT1)
    expect(a).toMatchObject({ foundBy: 'manual', elevatorId: LIFT1, owner: '李安全员', deadline: T0 + 30 * 24 * 3_600_000 })
    expect(a.timeline[0]).toMatchObject({ kind: 'registered', actor: { name: TOWN_A.name, via: 'desk', role: 'township' } })
    const b = await register(DESK, LIFT_ISLAND, '底坑积水')
    expect(audit('hazard.register').map((e) => [e.actor, e.target, e.detail?.elevatorId])).toEqual([[TOWN_A.username, a.id, LIFT1], [DESK.username, b.id, LIFT_ISLAND]])
    // registering on a car out of scope reads as an unknown car
    const out = await (await as(TOWN_A)).post('/api/hazards', { elevatorId: LIFT_ISLAND, description: 'x', grade: 'major' })
    expect(out.statusCode).toBe(404)
    expect(out.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_ELEVATOR' })
    const stew = await (await as(STEWARD)).post('/api/hazards', { elevatorId: LIFT1, description: 'x', grade: 'major' })
    expect(stew.statusCode).toBe(403)
    expect(audit('hazard.register.denied').map((e) => [e.actor, e.detail?.reason])).toEqual([[TOWN_A.username, 'unknown'], [STEWARD.username, 'role']])

    const list = async (u: TestUser, q = '') => (await (await as(u)).get(`/api/hazards${q}`)).json() as { now: number; count: number; hazards: Hazard[] }
    expect(await list(DESK)).toMatchObject({ now: T0, count: 2 })
    expect((await list(TOWN_A)).hazards.map((h) => h.id)).toEqual([a.id])
    expect((await list(TOWN_B)).hazards.map((h) => h.id)).toEqual([b.id])
    expect((await list(PROPERTY)).hazards.map((h) => h.id)).toEqual([a.id])
    expect((await list(MAINT)).count).toBe(2)
    expect((await list(DESK, `?elevator=${LIFT_ISLAND}&state=open_any`)).hazards.map((h) => h.id)).toEqual([b.id])
    expect((await list(DESK, '?state=overdue')).count).toBe(0)
    expect((await (await as(TOWN_A)).get(`/api/hazards/${b.id}`)).statusCode).toBe(404)
    expect((await (await as(TOWN_B)).get(`/api/hazards/${b.id}`)).json()).toMatchObject({ id: b.id })
    const change = await (await as(TOWN_A)).post(`/api/hazards/${b.id}/changes`, { kind: 'note', text: '看看' })
    expect(change.statusCode).toBe(404)
    expect(change.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_HAZARD' })
    expect(audit('hazard.note.denied').map((e) => [e.actor, e.target, e.detail?.reason])).toEqual([[TOWN_A.username, b.id, 'unknown']])
  })

  it('changes to closure, audited; 409 for a bad move; 400s name the field; a steward may not manage (403)', async () => {
    const h = await register(TOWN_A, LIFT1)
    const post = async (u: TestUser, body: unknown) => (await as(u)).post(`/api/hazards/${h.id}/changes`, body)
    expect((await post(STEWARD, { kind: 'state', state: 'rectifying' })).statusCode).toBe(403)
    const bad = await post(MAINT, { kind: 'state', state: 'closed' })
    expect(bad.statusCode).toBe(409)
    expect(bad.json()).toMatchObject({ code: 'LW_ERR_HTTP_HAZARD_CONFLICT' })
    expect((await post(MAINT, { kind: 'state', state: 'rectifying' })).json()).toMatchObject({ hazard: { state: 'rectifying' } })
    expect((await post(MAINT, { kind: 'state', state: 'rectified', measures: '更换灯具' })).json()).toMatchObject({ hazard: { state: 'rectified', measures: '更换灯具' } })
    const noCheck = await post(TOWN_A, { kind: 'state', state: 'closed' })
    expect(noCheck.statusCode).toBe(400)
    expect(noCheck.json().message).toContain('checkedBy')
    expect((await post(TOWN_A, { kind: 'state', state: 'closed', checkedBy: '菜园镇 李四' })).json()).toMatchObject({ hazard: { state: 'closed', checkedBy: '菜园镇 李四' } })
    for (const [body, field] of [
      [{ kind: 'note' }, 'text: required with kind note'],
      [{ kind: 'note', text: '好', owner: 'x' }, 'owner: not taken with kind note'],
      [{ kind: 'assign', owner: '王', deadline: 'tomorrow' }, 'deadline'],
      [{ kind: 'state', state: 'done' }, 'state'],
      [{ kind: 'note', text: '   ' }, 'text'],
    ] as const) {
      const res = await post(TOWN_A, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.body).toContain(field)
    }
    const missing = await (await as(TOWN_A)).post('/api/hazards', { elevatorId: LIFT1, grade: 'major' })
    expect(missing.statusCode).toBe(400)
    expect(missing.body).toContain('description')
    expect(audit('hazard.state').map((e) => [e.actor, e.detail?.state])).toEqual([[MAINT.username, 'rectifying'], [MAINT.username, 'rectified'], [TOWN_A.username, 'closed']])
    expect(audit('hazard.state.denied').map((e) => [e.actor, e.detail?.reason])).toEqual([[STEWARD.username, 'role'], [MAINT.username, 'conflict'], [TOWN_A.username, 'invalid']])
  })

  it('exports XLSX and CSV of the caller\'s scope only, as attachments named in zh-CN, audited', async () => {
    const a = await register(TOWN_A, LIFT1, '门锁回路短接')
    await register(TOWN_B, LIFT_ISLAND, '底坑积水')
    const x = await (await as(TOWN_A)).get('/api/hazards.xlsx')
    expect(x.statusCode).toBe(200)
    expect(x.headers['content-type']).toContain('spreadsheetml')
    expect(x.headers['content-disposition']).toBe(`attachment; filename="hazards-2026-01-01.xlsx"; filename*=UTF-8''${encodeURIComponent('重大安全隐患登记表-2026-01-01.xlsx')}`)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(x.rawPayload as unknown as ArrayBuffer)
    const ws = wb.getWorksheet('重大安全隐患登记表')!
    expect(ws.rowCount).toBe(2)
    expect((ws.getRow(2).values as unknown[]).slice(1, 6)).toEqual([a.number, '沙河路物业', LIFT1, a.location, '门锁回路短接'])
    const c = await (await as(TOWN_B)).get('/api/hazards.csv?state=open')
    expect(c.headers['content-type']).toBe('text/csv; charset=utf-8')
    const lines = c.body.replace(/^\uFEFF/, '').trim().split('\r\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain('底坑积水')
    expect(audit('hazard.export').map((e) => [e.actor, e.target, e.detail?.count])).toEqual([[TOWN_A.username, 'xlsx', 1], [TOWN_B.username, 'csv', 1]])
    expect((await (await as(DESK)).get('/api/hazards.csv?state=nope')).statusCode).toBe(400)
  })

  it('serves a hazard\'s photo only in scope', async () => {
    const saved = savePhoto(rig.deps.dataDir, PNG, 'image/png', { name: '周网格员', via: 'link' }, rig.db, { now: T0 })
    if (!('id' in saved)) throw new Error(saved.problem)
    const r = rig.hazards.register({ elevatorId: LIFT1, description: '报警按钮无效', grade: 'major', foundBy: 'patrol', photos: [saved.id] }, { name: '周网格员', via: 'link' })
    expect(r.ok && r.value.photos).toEqual([saved.id])
    const ok = await (await as(TOWN_A)).get(`/api/photos/${saved.id}`)
    expect(ok.statusCode).toBe(200)
    expect(ok.headers['content-type']).toBe('image/png')
    expect(ok.rawPayload.equals(PNG)).toBe(true)
    const hidden = await (await as(TOWN_B)).get(`/api/photos/${saved.id}`)
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_PHOTO' })
    expect((await (await as(DESK)).get('/api/photos/ph-nope')).statusCode).toBe(404)
    expect((await app.inject({ method: 'GET', url: `/api/photos/${saved.id}` })).statusCode).toBe(401)
  })
})
