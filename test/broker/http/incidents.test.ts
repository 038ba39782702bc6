// The incidents API (broker/http/incident-routes.ts) over a real incident service on a temp SQLite
// file and real accounts: scope on list and detail, actions attributed and audited (refusals too),
// the roles that may not, a desk call by rescue code, drills, the KPIs and bad bodies named by field.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AuditEntry } from '../../../broker/accounts/store.ts'
import type { Incident } from '../../../response/index.ts'
import type { IncidentDetail, IncidentSummary } from '../../../broker/incidents/types.ts'
import { injectLogin } from '../../helpers/http-login.ts'
import { TEST_ADMIN, type TestUser } from '../../helpers/accounts.ts'
import { DESK, incidentApp, LIFT1, LIFT2, LIFT_ISLAND, MAINT, PROPERTY, T0, TOWN_A, TOWN_B, type IncidentApp } from './incident-fixture.ts'

let h: IncidentApp
const headers = new Map<string, { read: Record<string, string>; write: Record<string, string> }>()

async function as(u: TestUser) {
  let hd = headers.get(u.username)
  if (!hd) headers.set(u.username, hd = await injectLogin(h.app, u.username, u.password))
  return {
    get: (url: string) => h.app.inject({ method: 'GET', url, headers: hd.read }),
    post: (url: string, payload: unknown) => h.app.inject({ method: 'POST', url, headers: hd.write, payload: payload as Record<string, unknown> }),
  }
}

const audit = (action: string): AuditEntry[] => h.accounts.auditLog().filter((e) => e.action === action)

/** The desk takes a phone call about a car by its rescue code: the incident it opens. */
async function call(code: string): Promise<Incident> {
  const res = await (await as(DESK)).post('/api/incidents', { foundBy: 'rescueCode', code, caller: '住户 刘女士', note: '3楼困人' })
  expect(res.statusCode, res.body).toBe(200)
  return (res.json() as { incident: Incident }).incident
}

beforeEach(async () => {
  headers.clear()
  h = await incidentApp()
})
afterEach(async () => { await h.close() })

describe('incidents API', () => {
  it('opens an incident for a desk call by rescue code, audited; an unknown code is 404; a township may not open one', async () => {
    const inc = await call('33001')
    expect(inc).toMatchObject({ source: 'desk', state: '01', drill: false, elevator: { elevatorId: LIFT1 } })
    expect(audit('incident.open')).toEqual([expect.objectContaining({ actor: DESK.username, actorName: DESK.name, role: 'desk', target: inc.id, detail: expect.objectContaining({ foundBy: 'rescueCode', code: '33001', elevatorId: LIFT1 }) })])
    const unknown = await (await as(DESK)).post('/api/incidents', { foundBy: 'rescueCode', code: '99999' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_ELEVATOR' })
    const town = await (await as(TOWN_A)).post('/api/incidents', { foundBy: 'rescueCode', code: '33002' })
    expect(town.statusCode).toBe(403)
    expect(audit('incident.open.denied').map((e) => [e.actor, e.detail?.reason])).toEqual([[DESK.username, 'unknown'], [TOWN_A.username, 'role']])
    // a second call about the same car joins the open incident
    const again = await call('33001')
    expect(again.id).toBe(inc.id)
    expect(again.timeline.filter((t) => t.kind === 'desk_call')).toHaveLength(2)
  })

  it('lists and details only what the caller sees: township A cannot see B\'s incident (404)', async () => {
    const a = await call('33001')
    const b = await call('33003') // the island, township B
    const list = async (u: TestUser, q = '') => ((await (await as(u)).get(`/api/incidents${q}`)).json() as { now: number; count: number; incidents: IncidentSummary[] })
    const all = await list(DESK)
    expect(all).toMatchObject({ now: T0, count: 2 })
    expect(all.incidents.map((i) => i.id).sort()).toEqual([a.id, b.id].sort())
    expect((await list(TOWN_A)).incidents.map((i) => i.id)).toEqual([a.id])
    expect((await list(TOWN_B)).incidents.map((i) => i.id)).toEqual([b.id])
    expect((await list(PROPERTY)).incidents.map((i) => i.id)).toEqual([a.id])
    expect((await list(DESK, `?elevator=${LIFT_ISLAND}`)).incidents.map((i) => i.id)).toEqual([b.id])
    expect((await list(DESK, '?region=330922100&open=true')).incidents.map((i) => i.id)).toEqual([a.id])

    const detail = await (await as(TOWN_A)).get(`/api/incidents/${a.id}`)
    expect(detail.statusCode).toBe(200)
    const d = detail.json() as IncidentDetail
    expect(d.summary).toMatchObject({ id: a.id, elevatorId: LIFT1, rescueCode: '33001', state: '01' })
    expect(d.deliveries.length).toBeGreaterThan(0)
    expect(d.callable.length).toBeGreaterThan(0)
    const hidden = await (await as(TOWN_A)).get(`/api/incidents/${b.id}`)
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_INCIDENT' })
    // acting on it is refused the same way, and the attempt is audited
    const act = await (await as(TOWN_A)).post(`/api/incidents/${b.id}/actions`, { kind: 'responded' })
    expect(act.statusCode).toBe(404)
    expect(audit('incident.responded.denied')).toEqual([expect.objectContaining({ actor: TOWN_A.username, target: b.id, detail: { reason: 'unknown' } })])
    expect(h.service.get(b.id, { userId: 0, username: 'x', name: 'x', role: 'admin', scope: { all: true }, via: 'token' })!.incident.state).toBe('01')
  })

  it('records actions with the logged-in user as actor, audited; on behalf of maintenance only from the desk; 409 with the engine\'s reason', async () => {
    const inc = await call('33001')
    const maint = await as(MAINT)
    const r = await maint.post(`/api/incidents/${inc.id}/actions`, { kind: 'responded' })
    expect(r.statusCode, r.body).toBe(200)
    const body = r.json() as { action: unknown; incident: Incident }
    expect(body.action).toEqual({ kind: 'responded' })
    expect(body.incident.state).toBe('02')
    expect(body.incident.timeline.at(-1)).toMatchObject({ kind: 'action', actor: { userId: expect.any(String), name: MAINT.name, via: 'desk', role: 'maintenance' } })
    expect(audit('incident.responded')).toEqual([expect.objectContaining({ actor: MAINT.username, actorName: MAINT.name, role: 'maintenance', via: 'session', target: inc.id, detail: expect.objectContaining({ elevatorId: LIFT1, state: '02' }) })])

    // the property manager may not claim to be the maintenance unit
    const claim = await (await as(PROPERTY)).post(`/api/incidents/${inc.id}/actions`, { kind: 'arrived', onBehalfOf: 'maintenance' })
    expect(claim.statusCode).toBe(403)
    expect(audit('incident.arrived.denied')).toEqual([expect.objectContaining({ actor: PROPERTY.username, detail: { reason: 'on_behalf', onBehalfOf: 'maintenance' } })])
    // the desk relays the maintenance unit's phone call: 已到达 for maintenance
    const desk = await as(DESK)
    const arrived = await desk.post(`/api/incidents/${inc.id}/actions`, { kind: 'arrived', onBehalfOf: 'maintenance' })
    expect(arrived.statusCode, arrived.body).toBe(200)
    expect((arrived.json() as { incident: Incident }).incident.timeline.at(-1)).toMatchObject({ actor: { name: DESK.name, via: 'desk', role: 'maintenance' }, state: '04' })
    expect(audit('incident.arrived')).toEqual([expect.objectContaining({ actor: DESK.username, detail: expect.objectContaining({ onBehalfOf: 'maintenance', state: '04' }) })])
    // arriving twice: the engine's reason, 409, audited
    const twice = await desk.post(`/api/incidents/${inc.id}/actions`, { kind: 'arrived' })
    expect(twice.statusCode).toBe(409)
    expect(twice.json()).toMatchObject({ code: 'LW_ERR_HTTP_INCIDENT_CONFLICT', message: 'already arrived' })
    expect(audit('incident.arrived.denied').at(-1)).toMatchObject({ actor: DESK.username, detail: expect.objectContaining({ reason: 'conflict', why: 'already arrived' }) })
    // a note and a dispatch, then released 2: closed 00
    expect((await desk.post(`/api/incidents/${inc.id}/actions`, { kind: 'note', text: '消防已到场' })).statusCode).toBe(200)
    expect((await desk.post(`/api/incidents/${inc.id}/actions`, { kind: 'dispatch', org: '县消防救援大队' })).statusCode).toBe(200)
    const released = await maint.post(`/api/incidents/${inc.id}/actions`, { kind: 'released', persons: 2, cause: '停电' })
    expect((released.json() as { incident: Incident }).incident).toMatchObject({ state: '00', personsReleased: 2, cause: '停电', dispatched: ['县消防救援大队'] })
    expect(audit('incident.released')).toEqual([expect.objectContaining({ actor: MAINT.username, detail: expect.objectContaining({ persons: 2, state: '00' }) })])
  })

  it('refuses drills to roles without drill.run and of cars out of scope; a drill is marked and visible as one', async () => {
    const town = await (await as(TOWN_A)).post('/api/drills', { elevatorId: LIFT2 })
    expect(town.statusCode).toBe(403)
    expect(town.json()).toMatchObject({ code: 'LW_ERR_HTTP_FORBIDDEN' })
    const r = await (await as(DESK)).post('/api/drills', { elevatorId: LIFT2 })
    expect(r.statusCode, r.body).toBe(200)
    const inc = (r.json() as { incident: Incident }).incident
    expect(inc).toMatchObject({ drill: true, elevator: { elevatorId: LIFT2 }, state: '01' })
    expect(audit('incident.drill')).toEqual([expect.objectContaining({ actor: DESK.username, target: inc.id, detail: { elevatorId: LIFT2 } })])
    const drills = (await (await as(DESK)).get('/api/incidents?drill=true')).json() as { incidents: IncidentSummary[] }
    expect(drills.incidents.map((i) => [i.id, i.drill])).toEqual([[inc.id, true]])
    expect(((await (await as(DESK)).get('/api/incidents?drill=false')).json() as { count: number }).count).toBe(0)
    // it went through the real chain: notices in the outbox
    const detail = (await (await as(DESK)).get(`/api/incidents/${inc.id}`)).json() as IncidentDetail
    expect(detail.deliveries.length).toBeGreaterThan(0)
    // a bureau user scoped to another county does not see the car: 404, nothing opened
    const other: TestUser = { username: 'bureau-x', name: '外县监管局', role: 'bureau', scope: { region: '330921' }, password: 'bureau-pw-4xY9z' }
    await h.accounts.addUser(other)
    const outside = await (await as(other)).post('/api/drills', { elevatorId: LIFT1 })
    expect(outside.statusCode).toBe(404)
    expect(outside.json()).toMatchObject({ code: 'LW_ERR_HTTP_UNKNOWN_ELEVATOR' })
    expect(h.service.list({ elevatorId: LIFT1 }, { userId: 0, username: 'x', name: 'x', role: 'admin', scope: { all: true }, via: 'token' })).toEqual([])
  })

  it('answers the KPIs by township, month and maintenance unit, cut to scope; drills counted only when asked', async () => {
    const inc = await call('33001')
    const maint = await as(MAINT)
    await maint.post(`/api/incidents/${inc.id}/actions`, { kind: 'arrived' })
    await maint.post(`/api/incidents/${inc.id}/actions`, { kind: 'released', persons: 1 })
    await (await as(DESK)).post('/api/drills', { elevatorId: LIFT2 })
    const kpis = async (u: TestUser, q: string) => (await (await as(u)).get(`/api/kpis${q}`)).json() as { by: string; rows: { key: string; incidents: number; responseRate: number; arrivalInLimitRate: number }[] }
    expect(await kpis(DESK, '?by=township')).toEqual({ by: 'township', rows: [expect.objectContaining({ key: '330922100', incidents: 1, responseRate: 1, arrivalInLimitRate: 1 })] })
    expect((await kpis(DESK, '?by=month')).rows).toEqual([expect.objectContaining({ key: '2026-01', incidents: 1 })])
    expect((await kpis(DESK, '?by=maintenance&drill=true')).rows).toEqual([expect.objectContaining({ key: 'zs-lift', incidents: 1 })])
    expect((await kpis(TOWN_B, '?by=township')).rows).toEqual([])
    expect((await kpis(DESK, `?by=county&from=${T0 + 1}`)).rows).toEqual([])
    const bad = await (await as(DESK)).get('/api/kpis?by=year')
    expect(bad.statusCode).toBe(400)
    expect(bad.json()).toMatchObject({ code: 'LW_ERR_HTTP_BAD_QUERY', problems: ['by: must be one of township, maintenance, month, county'] })
  })

  it('answers bad bodies and queries with 400 naming the field', async () => {
    const inc = await call('33001')
    const desk = await as(DESK)
    const problems = async (payload: unknown) => {
      const r = await desk.post(`/api/incidents/${inc.id}/actions`, payload)
      expect(r.statusCode, r.body).toBe(400)
      return (r.json() as { code: string; problems: string[] }).problems
    }
    expect(await problems({ kind: 'released' })).toEqual(['persons: required with kind released'])
    expect(await problems({ kind: 'arrived', persons: 1 })).toEqual(['persons: not taken with kind arrived'])
    expect(await problems({ kind: 'note' })).toEqual(['text: required with kind note'])
    expect(await problems({ kind: 'fly' })).toEqual(['kind: must be one of responded, arrived, released, false_alarm, note, dispatch'])
    expect(await problems({ kind: 'released', persons: '1' })).toEqual(['persons: must be integer'])
    expect(await problems({ kind: 'released', persons: -1 })).toEqual(['persons: must be >= 0'])
    expect(await problems({ kind: 'responded', by: 'me' })).toEqual([expect.stringMatching(/^unknown field 'by'/)])
    expect(await problems({ kind: 'note', text: '\u0007' })).toEqual(['text: must contain a visible character and no control characters'])
    expect(await problems({ kind: 'responded', onBehalfOf: 'mayor' })).toEqual([expect.stringMatching(/^onBehalfOf: must be one of maintenance, property/)])
    const bare = await desk.post('/api/incidents', { foundBy: 'rescueCode' })
    expect(bare.statusCode).toBe(400)
    expect((bare.json() as { problems: string[] }).problems).toEqual(["body: must have required property 'code'"])
    const drill = await desk.post('/api/drills', { elevatorId: '../1' })
    expect((drill.json() as { problems: string[] }).problems).toEqual([expect.stringMatching(/^elevatorId: not a valid value/)])
    const q = await desk.get('/api/incidents?limit=0&open=maybe&stat=open')
    expect(q.statusCode).toBe(400)
    expect((q.json() as { problems: string[] }).problems.sort()).toEqual([
      'limit: must be >= 1', 'open: must be boolean', "unknown parameter 'stat' (allowed: open, elevator, region, from, to, drill, limit)",
    ].sort())
    // without a login nothing of it answers
    expect((await h.app.inject({ method: 'GET', url: '/api/incidents' })).statusCode).toBe(401)
    expect((await h.app.inject({ method: 'POST', url: '/api/drills', payload: { elevatorId: LIFT1 } })).statusCode).toBe(401)
    // admin sees everything
    expect(((await (await as(TEST_ADMIN)).get('/api/incidents')).json() as { count: number }).count).toBe(1)
  })
})
