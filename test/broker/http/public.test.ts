// A car's public page and residents' reports over HTTP (broker/http/public-routes.ts): the page's
// fields and no person on it, a wrong code answered like an unknown path, the per-address and
// per-car limits counted in /metrics, bad bodies, the parties' link, and the logged-in API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { AuditEntry } from '../../../broker/accounts/store.ts'
import type { Complaint } from '../../../broker/records/types.ts'
import { injectLogin } from '../../helpers/http-login.ts'
import type { TestUser } from '../../helpers/accounts.ts'
import { LIFT1, LIFT2, T0 } from '../incidents/fixtures.ts'
import { MAINT, PROPERTY, TOWN_A, TOWN_B } from './incident-fixture.ts'
import { publicApp, type PublicApp } from './public-fixture.ts'

let h: PublicApp
beforeEach(async () => { h = await publicApp() })
afterEach(async () => { await h.close() })

const code = (id = LIFT1) => h.rig.complaints.codes.codeFor(id)
const report = (c: string, payload: unknown, ip = '203.0.113.7') =>
  h.app.inject({ method: 'POST', url: `/p/${c}/reports`, payload: payload as Record<string, unknown>, remoteAddress: ip })
const audit = (action: string): AuditEntry[] => h.accounts.auditLog().filter((e) => e.action === action)

async function as(u: TestUser) {
  const hd = await injectLogin(h.app, u.username, u.password)
  return {
    get: (url: string) => h.app.inject({ method: 'GET', url, headers: hd.read }),
    post: (url: string, payload: unknown) => h.app.inject({ method: 'POST', url, headers: hd.write, payload: payload as Record<string, unknown> }),
  }
}

const telemetry = (mode: string) => ({ mode }) as unknown as NonNullable<ReturnType<PublicApp['live']['get']>>['telemetry']
const alarm = (over: Partial<AlarmEvent>): AlarmEvent => ({
  v: 1, id: `al-${Math.random()}`, key: `${LIFT1}:x`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised', elevatorId: LIFT1,
  region: '330922', raisedAt: T0, clearedAt: null, evidence: {}, drill: false, ...over,
})

describe('the public page', () => {
  it("shows the car's facts, the organisations and 96333, and no person's name or phone; no cookie, short cache", async () => {
    h.live.set(LIFT1, { availability: 'online', telemetry: telemetry('normal'), activeAlarms: [] })
    h.rig.alarms.record(alarm({ type: 'maintenance_overdue', code: null, severity: 'warning', state: 'cleared', raisedAt: T0 - 20 * 86_400_000, clearedAt: T0 - 86_400_000, evidence: { visitFrom: T0 - 2 * 86_400_000 } }))
    const res = await h.app.inject({ method: 'GET', url: `/p/${code()}` })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.headers['cache-control']).toBe('public, max-age=30')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['set-cookie']).toBeUndefined()
    const html = res.body
    for (const s of [LIFT1, '33001', '嵊泗县菜园镇沙河路 18 号 1号楼 1单元', '沙河路物业', '舟山电梯维保', '0580-5081234', '96333', '正常运行', 'In service', '2025-12-30'])
      expect(html, s).toContain(s)
    for (const person of ['王师傅', '赵师傅', '李安全员', '陈楼道长', '周网格员', '徐干部', '138000000']) expect(html, person).not.toContain(person)
    expect(html).toContain('<form id="report"')
  })

  it('in service or not from live state: offline → unknown, a critical alarm or another mode → out of service', async () => {
    const state = async () => (await h.app.inject({ method: 'GET', url: `/p/${code()}` })).body.match(/id="service"><b>([^<]+)</)![1]
    expect(await state()).toBe('状态未知')
    h.live.set(LIFT1, { availability: 'offline', telemetry: telemetry('normal'), activeAlarms: [] })
    expect(await state()).toBe('状态未知')
    h.live.set(LIFT1, { availability: 'online', telemetry: telemetry('out_of_service'), activeAlarms: [] })
    expect(await state()).toBe('暂停使用')
    h.live.set(LIFT1, { availability: 'online', telemetry: telemetry('normal'), activeAlarms: [alarm({})] })
    expect(await state()).toBe('暂停使用')
    h.live.set(LIFT1, { availability: 'online', telemetry: telemetry('normal'), activeAlarms: [alarm({ drill: true })] })
    expect(await state()).toBe('正常运行')
  })

  it('a wrong code is 404 exactly like an unknown path, whatever its form, and a car out of the registry too', async () => {
    code()
    const shape = (body: string, url: string) => body.replace(url, '<url>')
    // an unknown path's 404 (logged in: anonymous, any non-public path is 401)
    const unknownPath = await (await as(TOWN_A)).get('/nowhere/ABCDEFGHJKMNPQRS')
    expect(unknownPath.statusCode).toBe(404)
    for (const wrong of ['ABCDEFGHJKMNPQRS', 'short', code().toLowerCase(), '../etc']) {
      const url = `/p/${encodeURIComponent(wrong)}`
      const res = await h.app.inject({ method: 'GET', url })
      expect(res.statusCode, wrong).toBe(404)
      expect(shape(res.body, url)).toBe(shape(unknownPath.body, '/nowhere/ABCDEFGHJKMNPQRS'))
    }
    for (const url of [`/p/${code()}/more`, '/p/', `/p/${code()}/reports`]) {
      const res = await h.app.inject({ method: 'GET', url })
      expect(res.statusCode, url).toBe(404)
      expect(shape(res.body, url)).toBe(shape(unknownPath.body, '/nowhere/ABCDEFGHJKMNPQRS'))
    }
    h.rig.db.prepare('INSERT INTO public_codes (code, elevator_id) VALUES (?, ?)').run('ZZZZZZZZZZZZZZZZ', '31103309222099990001')
    expect((await h.app.inject({ method: 'GET', url: '/p/ZZZZZZZZZZZZZZZZ' })).statusCode).toBe(404)
    expect((await report('ZZZZZZZZZZZZZZZZ', { category: 'other', text: 'x' })).statusCode).toBe(404)
  })

  it('codes are 16 characters without look-alikes, one per car, kept', () => {
    const a = code(LIFT1)
    expect(a).toMatch(/^[2-9A-HJKMNP-Z]{16}$/)
    expect(code(LIFT1)).toBe(a)
    expect(code(LIFT2)).not.toBe(a)
    expect(h.rig.complaints.codes.elevatorFor(a)).toBe(LIFT1)
  })
})

describe("residents' reports", () => {
  it('100 reports from one address in a minute: 5 taken, the rest 429 with Retry-After, counted in /metrics', async () => {
    const c = code()
    const codes: number[] = []
    let retryAfter = ''
    for (let i = 0; i < 100; i++) {
      const res = await report(c, { category: 'noise', text: `第 ${i} 次 异响` })
      codes.push(res.statusCode)
      if (res.statusCode === 429) retryAfter = String(res.headers['retry-after'])
    }
    expect(codes.filter((s) => s === 201)).toHaveLength(5)
    expect(codes.slice(5).every((s) => s === 429)).toBe(true)
    expect(Number(retryAfter)).toBeGreaterThan(0)
    const metrics = (await (await as(TOWN_A)).get('/metrics')).body
    expect(metrics).toContain('liftwatch_broker_public_reports_refused_total{reason="address"} 95')
    expect(metrics).toContain('liftwatch_broker_public_reports_refused_total{reason="car"} 0')
    expect(h.rig.complaints.list({}, { userId: 0, username: 'x', name: 'x', role: 'admin', scope: { all: true }, via: 'token' })).toHaveLength(5)
    expect(audit('complaint.file')).toHaveLength(5)
  })

  it('per car: 30 an hour from any addresses, then 429 counted as car', async () => {
    const c = code()
    const codes: number[] = []
    for (let i = 0; i < 35; i++) codes.push((await report(c, { category: 'fault', text: '不动了' }, `198.51.100.${i}`)).statusCode)
    expect(codes.filter((s) => s === 201)).toHaveLength(30)
    expect((await report(code(LIFT2), { category: 'fault', text: '不动了' }, '198.51.100.200')).statusCode).toBe(201)
    expect((await (await as(TOWN_A)).get('/metrics')).body).toContain('liftwatch_broker_public_reports_refused_total{reason="car"} 5')
  })

  it('a report is stored and the use unit and the steward told; the phone only to them', async () => {
    const res = await report(code(), { category: 'doors', text: '门夹人', phone: '13912345678' })
    expect(res.statusCode).toBe(201)
    const { reference } = res.json() as { reference: string }
    const items = h.rig.outbox.forIncident(reference)
    expect([...new Set(items.map((i) => i.role))].sort()).toEqual(['property', 'steward'])
    expect(items[0]!.message.text).toContain('13912345678')
    expect(audit('complaint.file')[0]!.detail).toMatchObject({ elevatorId: LIFT1, category: 'doors', phone: true })
  })

  it('bad bodies are 400 (unknown category, empty or long text, control characters, a bad phone, extra fields, not JSON); over 2 KB 413', async () => {
    const c = code()
    const bad = [
      { category: 'bomb', text: 'x' }, { category: 'other', text: '' }, { category: 'other', text: '   ' }, { category: 'other', text: 'x'.repeat(501) },
      { category: 'other', text: 'a\u0000b' }, { category: 'other', text: 'a\nb' }, { category: 'other', text: 'ok', phone: '12345' },
      { category: 'other', text: 'ok', name: '张三' }, { text: 'ok' },
    ]
    for (const b of bad) expect((await report(c, b)).statusCode, JSON.stringify(b)).toBe(400)
    const notJson = await h.app.inject({ method: 'POST', url: `/p/${c}/reports`, headers: { 'content-type': 'application/json' }, payload: '{"category":' })
    expect(notJson.statusCode).toBe(400)
    const big = await h.app.inject({ method: 'POST', url: `/p/${c}/reports`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ category: 'other', text: 'x'.repeat(400), pad: 'y'.repeat(2000) }) })
    expect(big.statusCode).toBe(413)
    expect((await report(c, { category: 'other', text: 'x'.repeat(500) })).statusCode).toBe(201)
  })
})

describe("the parties' link and the API", () => {
  async function filed(): Promise<{ id: string; token: string }> {
    const res = await report(code(), { category: 'hygiene', text: '轿厢灯不亮' })
    const id = (res.json() as { reference: string }).reference
    const link = h.rig.outbox.forIncident(id).find((i) => i.role === 'steward')!.message.link!
    return { id, token: link.split('/c/')[1]! }
  }

  it('the link opens the report and acknowledges it, audited, never cached; a forged link is 403', async () => {
    const { id, token } = await filed()
    const page = await h.app.inject({ method: 'GET', url: `/c/${token}` })
    expect(page.statusCode).toBe(200)
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.body).toContain('轿厢灯不亮')
    expect(page.body).toContain('已受理 / Acknowledge')
    const ack = await h.app.inject({ method: 'POST', url: `/c/${token}/actions`, payload: { kind: 'acknowledge', note: '马上去看' } })
    expect(ack.statusCode, ack.body).toBe(200)
    expect(audit('complaint.acknowledge')[0]).toMatchObject({ target: id })
    expect((await h.app.inject({ method: 'POST', url: `/c/${token}/actions`, payload: { kind: 'acknowledge' } })).statusCode).toBe(409)
    expect((await h.app.inject({ method: 'POST', url: `/c/${token}/actions`, payload: { kind: 'resolve' } })).statusCode).toBe(400)
    expect((await h.app.inject({ method: 'POST', url: `/c/${token}/actions`, payload: { kind: 'resolve', note: '已换灯' } })).statusCode).toBe(200)
    expect(h.rig.complaints.get(id, { userId: 0, username: 'x', name: 'x', role: 'admin', scope: { all: true }, via: 'token' })!.state).toBe('resolved')
    expect((await h.app.inject({ method: 'GET', url: `/c/${token.slice(0, -3)}AAA` })).statusCode).toBe(403)
    expect(h.lines.some((l) => JSON.stringify(l).includes(token))).toBe(false)
  })

  it('/api/complaints is scoped; acting needs complaint.manage, audited; a hazard from a report', async () => {
    const { id } = await filed()
    expect((await h.app.inject({ method: 'GET', url: '/api/complaints' })).statusCode).toBe(401)
    const prop = await as(PROPERTY)
    expect(((await prop.get('/api/complaints')).json() as { complaints: Complaint[] }).complaints.map((c) => c.id)).toEqual([id])
    expect(((await (await as(TOWN_B)).get('/api/complaints')).json() as { count: number }).count).toBe(0)
    expect((await (await as(TOWN_B)).post(`/api/complaints/${id}/actions`, { kind: 'acknowledge' })).statusCode).toBe(404)
    expect((await (await as(MAINT)).post(`/api/complaints/${id}/actions`, { kind: 'acknowledge' })).statusCode).toBe(403)
    expect(audit('complaint.acknowledge.denied').map((e) => e.detail?.reason)).toEqual(['unknown', 'role'])
    const ok = await prop.post(`/api/complaints/${id}/actions`, { kind: 'acknowledge', note: '已派人' })
    expect(ok.statusCode, ok.body).toBe(200)
    const town = await as(TOWN_A)
    const hz = await town.post(`/api/complaints/${id}/actions`, { kind: 'hazard', grade: 'general' })
    expect(hz.statusCode, hz.body).toBe(200)
    expect((hz.json() as { complaint: Complaint }).complaint.hazardId).toMatch(/^hz-/)
    expect((await town.post(`/api/complaints/${id}/actions`, { kind: 'resolve', note: '已处理', extra: 1 })).statusCode).toBe(400)
  })

  it('/api/public-codes gives the URLs of a building for admin, bureau and township roles, in scope', async () => {
    const town = await as(TOWN_A)
    const res = await town.get(`/api/public-codes?building=${encodeURIComponent('沙河路 18 号')}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json() as { cars: { elevatorId: string; url: string; rescueCode: string }[] }
    expect(body.cars.map((c) => c.elevatorId).sort()).toEqual([LIFT1, LIFT2])
    expect(body.cars[0]!.url).toMatch(/^https:\/\/lw\.example\/p\/[2-9A-HJKMNP-Z]{16}$/)
    expect(body.cars.find((c) => c.elevatorId === LIFT1)!.url).toBe(`https://lw.example/p/${code()}`)
    expect(((await (await as(TOWN_B)).get(`/api/public-codes?building=${encodeURIComponent('沙河路')}`)).json() as { cars: unknown[] }).cars).toEqual([])
    expect((await (await as(MAINT)).get('/api/public-codes?building=x')).statusCode).toBe(403)
    expect(audit('publiccode.read')).toHaveLength(2)
  })
})
