// The responder link over HTTP (broker/http/respond-routes.ts) with a real incident service: a signed
// link gives the page and its state without a login; actions are recorded and audited with the
// party's identity; tampered and expired links get the zh-CN/English page with 403/410, counted in
// /metrics; the token never reaches the log; the routes are rate limited per address.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Incident } from '../../../response/index.ts'
import type { RespondState } from '../../../broker/http/respond-view.ts'
import { injectLogin } from '../../helpers/http-login.ts'
import { TEST_ADMIN } from '../../helpers/accounts.ts'
import { DESK, incidentApp, LIFT1, MIN, runUntil, WANG, type IncidentApp } from './incident-fixture.ts'

let h: IncidentApp
let inc: Incident

beforeEach(async () => {
  h = await incidentApp()
  const desk = await injectLogin(h.app, DESK.username, DESK.password)
  const r = await h.app.inject({ method: 'POST', url: '/api/incidents', headers: desk.write, payload: { foundBy: 'rescueCode', code: '33001', caller: '住户 13912345678' } })
  expect(r.statusCode, r.body).toBe(200)
  inc = (r.json() as { incident: Incident }).incident
})
afterEach(async () => { await h.close() })

const get = (url: string) => h.app.inject({ method: 'GET', url })
const post = (url: string, payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url, payload })
const admin = () => injectLogin(h.app, TEST_ADMIN.username, TEST_ADMIN.password)

describe('responder link', () => {
  it('gives the page and the state without a login, never cached, nothing of others\' phones or endpoints', async () => {
    const t = h.token(inc.id)
    const page = await get(`/r/${t}`)
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    expect(page.body).toContain('/ui/respond.js')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect((await get('/ui/respond.js')).statusCode).toBe(200)
    expect((await get('/ui/respond.css')).statusCode).toBe(200)

    const res = await get(`/r/${t}/state`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-control']).toBe('no-store')
    const s = res.json() as RespondState
    expect(s.party).toEqual({ name: '王师傅', role: 'maintenance', roleZh: '维保单位' })
    expect(s.incident).toMatchObject({ id: inc.id, elevatorId: LIFT1, state: '01', stateZh: '已发生', rescueCode: '33001', address: '嵊泗县菜园镇沙河路 18 号', carAt: '3' })
    expect(s.told.length).toBeGreaterThan(0)
    expect(s.told.map((x) => x.role)).toContain('maintenance')
    expect(s.timeline[0]!.line).toMatch(/^08:00:00 /)
    expect(s.timeline.map((e) => e.line)).toContain('08:00:00 通知维保单位')
    // no mobile number, no robot URL or key, not the caller's number from the desk call
    expect(res.body).not.toMatch(/(?<!\d)1[3-9]\d{9}(?!\d)/)
    expect(res.body).not.toMatch(/https?:|key=|access_token/)
  })

  it('records actions with the link\'s identity, in the timeline and the audit log; buttons that no longer apply are refused by the engine', async () => {
    const t = h.token(inc.id)
    const arrived = await post(`/r/${t}/actions`, { kind: 'arrived' })
    expect(arrived.statusCode, arrived.body).toBe(200)
    expect((arrived.json() as { state: RespondState }).state.incident.state).toBe('04')
    const released = await post(`/r/${t}/actions`, { kind: 'released', persons: 1 })
    expect((released.json() as { state: RespondState }).state.incident).toMatchObject({ state: '00', personsReleased: 1 })
    const stored = h.service.getForLink({ incidentId: inc.id, partyId: 'p-wang', partyName: '王师傅', role: 'maintenance', expiresAt: 0 })!.incident
    expect(stored.timeline.filter((e) => e.kind === 'action').map((e) => e.actor)).toEqual([
      { userId: 'p-wang', name: '王师傅', via: 'link', role: 'maintenance' },
      { userId: 'p-wang', name: '王师傅', via: 'link', role: 'maintenance' },
    ])
    const audit = h.accounts.auditLog().filter((e) => e.target === inc.id && e.action !== 'incident.open')
    expect(audit).toEqual([
      expect.objectContaining({ action: 'incident.arrived', actor: 'link:p-wang', actorName: '王师傅', role: 'maintenance', via: 'link', ip: '127.0.0.1' }),
      expect.objectContaining({ action: 'incident.released', actor: 'link:p-wang', detail: expect.objectContaining({ persons: 1, state: '00' }) }),
    ])
    // closed: another action is the engine's 409, audited as refused
    const again = await post(`/r/${t}/actions`, { kind: 'false_alarm' })
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'LW_ERR_HTTP_INCIDENT_CONFLICT', message: 'incident is closed (00)' })
    expect(h.accounts.auditLog().at(-1)).toMatchObject({ action: 'incident.false_alarm.denied', actor: 'link:p-wang' })
    // the link takes only the responder's four kinds, and names a bad field
    const bad = await post(`/r/${t}/actions`, { kind: 'dispatch', org: 'x' })
    expect(bad.statusCode).toBe(400)
    expect((bad.json() as { problems: string[] }).problems).toEqual(expect.arrayContaining([expect.stringMatching(/^kind: must be one of responded, arrived, released, false_alarm$/)]))
    const noPersons = await post(`/r/${t}/actions`, { kind: 'released' })
    expect((noPersons.json() as { problems: string[] }).problems).toEqual(['persons: required with kind released'])
  })

  it('answers a tampered link 403 and an expired one 410, page and JSON, each counted in /metrics', async () => {
    const t = h.token(inc.id)
    const [body, sig] = t.split('.') as [string, string]
    const tampered = `${body.slice(0, -2)}${body.endsWith('A') ? 'B' : 'A'}${body.slice(-1)}.${sig}`
    const page = await get(`/r/${tampered}`)
    expect(page.statusCode).toBe(403)
    expect(page.body).toContain('链接无效或已过期，请联系 96333')
    expect(page.body).toContain('This link is invalid or has expired')
    expect(page.headers['cache-control']).toBe('no-store')
    expect((await get(`/r/${tampered}/state`)).statusCode).toBe(403)
    expect((await post(`/r/${tampered}/actions`, { kind: 'responded' })).json()).toMatchObject({ statusCode: 403, code: 'LW_ERR_HTTP_LINK_INVALID' })
    expect((await get('/r/not-a-token')).statusCode).toBe(403)

    const short = h.token(inc.id, WANG, h.scheduler.now() + MIN)
    expect((await get(`/r/${short}/state`)).statusCode).toBe(200)
    runUntil(h.scheduler, h.scheduler.now() + 2 * MIN)
    const expired = await get(`/r/${short}`)
    expect(expired.statusCode).toBe(410)
    expect(expired.body).toContain('链接已过期 / The link has expired')
    const act = await post(`/r/${short}/actions`, { kind: 'responded' })
    expect(act.json()).toMatchObject({ statusCode: 410, code: 'LW_ERR_HTTP_LINK_EXPIRED' })
    // nothing was done through a refused link
    expect(h.service.getForLink({ incidentId: inc.id, partyId: 'x', partyName: 'x', role: 'desk', expiresAt: 0 })!.incident.state).toBe('01')

    const a = await admin()
    const metrics = (await h.app.inject({ method: 'GET', url: '/metrics', headers: a.read })).body
    expect(metrics).toMatch(/^liftwatch_broker_responder_links_refused_total\{reason="tampered"\} 3$/m)
    expect(metrics).toMatch(/^liftwatch_broker_responder_links_refused_total\{reason="malformed"\} 1$/m)
    expect(metrics).toMatch(/^liftwatch_broker_responder_links_refused_total\{reason="expired"\} 2$/m)
    expect(metrics).toMatch(/^liftwatch_broker_responder_links_refused_total\{reason="unknown_incident"\} 0$/m)
  })

  it('never writes the token into the log', async () => {
    const t = h.token(inc.id)
    const [body, sig] = t.split('.') as [string, string]
    await get(`/r/${t}`)
    await get(`/r/${t}/state`)
    await post(`/r/${t}/actions`, { kind: 'responded' })
    await post(`/r/${t}/actions`, { kind: 'released' })
    await get(`/r/${t}/nothing-here`)
    await get(`/r/${body}.${sig.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`)
    await h.app.inject({ method: 'DELETE', url: `/r/${t}/actions` })
    // the action itself is logged, without the token
    const line = h.lines.find((l) => l.msg === 'responder link action')
    expect(line).toMatchObject({ incident: inc.id, party: 'p-wang', kind: 'responded' })
    const text = JSON.stringify(h.lines)
    expect(text).not.toContain(sig)
    expect(text).not.toContain(body.slice(0, 24))
    expect(text).not.toContain('/r/')
  })

  it('limits each address to 60 requests a minute on the link routes', async () => {
    const t = h.token(inc.id)
    const statuses: number[] = []
    for (let i = 0; i < 61; i++) statuses.push((await get(`/r/${t}/state`)).statusCode)
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true)
    expect(statuses[60]).toBe(429)
    // another address is not held back
    expect((await h.app.inject({ method: 'GET', url: `/r/${t}/state`, remoteAddress: '10.0.0.9' })).statusCode).toBe(200)
  })
})
