import { afterEach, describe, expect, it } from 'vitest'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { LinkClaims } from '../../../broker/incidents/types.ts'
import type { Actor } from '../../../response/index.ts'
import { CAIYUAN, clock, COUNTY, ISLAND, LIFT1, LIFT2, LIFT_ISLAND, MIN, principal, rig, runUntil, T0, tempDb, type Rig } from './fixtures.ts'

let seq = 0
const alarm = (at: number, over: Partial<AlarmEvent> = {}): AlarmEvent => ({
  v: 1, id: `al-${++seq}`, key: `${LIFT1}:entrapment`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
  elevatorId: LIFT1, region: '330922', raisedAt: at - 20_000, detectedAt: at, clearedAt: null, evidence: {}, drill: false, ...over,
})
const rigs: Rig[] = []
const open = (file: string, s: ReturnType<typeof clock>) => { const r = rig(file, s); rigs.push(r); return r }
afterEach(() => {
  for (const r of rigs.splice(0)) { r.service.stop(); if (r.db.open) r.db.close() }
})

const itemsOf = (r: Rig, id: string) => r.outbox.forIncident(id)
const byStep = (r: Rig, id: string) => {
  const inc = r.service.getForLink({ incidentId: id } as LinkClaims)!.incident
  return inc.timeline.flatMap((t) => (t.kind === 'notify' ? [`${(t.at - T0) / MIN} ${t.step} ${t.role}`] : []))
}
const linkClaims = (r: Rig, url: string) => r.service.verifyLink(url.split('/r/')[1]!) as LinkClaims
const by = (c: LinkClaims): Actor => ({ name: c.partyName, via: 'link', role: c.role })

describe('incident service', () => {
  it('tells maintenance, property, steward and the desk at once, one item per group robot and per mobile, each with a link', () => {
    const s = clock()
    const r = open(tempDb(), s)
    r.service.onAlarm(alarm(T0))
    const [sum] = r.service.list({ open: true }, COUNTY)
    expect(sum).toMatchObject({ elevatorId: LIFT1, state: '01', rescueCode: '33001', carAt: '3', nextStep: { id: 'level2', dueAt: T0 + 3 * MIN, roles: ['grid', 'township'] } })
    expect(sum!.id).toMatch(/^inc-20260101-[0-9a-f]{6}$/)
    const items = itemsOf(r, sum!.id)
    expect(items.map((i) => `${i.role} ${i.channel} ${i.partyName}${i.to ? ` ${i.to}` : ''}`)).toEqual([
      'maintenance wecom 舟山电梯维保、王师傅、赵师傅',
      'maintenance sms 王师傅 13800000001',
      'property wecom 沙河路物业',
      'property sms 李安全员 13800000002',
      'steward sms 陈楼道长 13800000003',
      'desk webhook 96333 平台',
    ])
    expect(items[0]!.id).toBe(`${sum!.id}:1/wecom-lift`)
    expect(items[1]!.id).toBe(`${sum!.id}:1/sms-main/13800000001`)
    expect(items[0]!.message.mobiles).toEqual(['13800000001', '13800000011'])
    // the robot's message is the organisation's link, the SMS the person's
    expect(linkClaims(r, items[0]!.message.link!)).toMatchObject({ incidentId: sum!.id, partyId: 'zs-lift', role: 'maintenance', expiresAt: T0 + 24 * 60 * MIN })
    expect(linkClaims(r, items[1]!.message.link!)).toMatchObject({ partyId: 'p-wang', partyName: '王师傅' })
    expect(items.every((i) => i.message.text.includes('【电梯困人】') && !i.message.text.includes('【演练】'))).toBe(true)
    expect(r.kicks).toBe(1)
    expect(r.service.stats()).toMatchObject({ opened: 1, joined: 0, unreachedRoles: 0, stepErrors: 0 })
  })

  it('nobody responds: reminders at 2 min, level 2 at 3 min; a responder by link stops reminders; arrived, released → closed with KPIs', () => {
    const s = clock()
    const r = open(tempDb(), s)
    const seen: string[] = []
    r.service.live$.subscribe((e) => seen.push(e.incident.state))
    r.service.onAlarm(alarm(T0))
    const id = r.service.list({}, COUNTY)[0]!.id
    runUntil(s, T0 + 3 * MIN)
    expect(byStep(r, id)).toEqual([
      '0 at_once maintenance', '0 at_once property', '0 at_once steward', '0 at_once desk',
      '2 reminder maintenance', '2 reminder property', '2 reminder steward', '2 reminder desk',
      '3 level2 grid', '3 level2 township',
    ])
    const level2 = itemsOf(r, id).filter((i) => i.role === 'grid' || i.role === 'township')
    // grid worker and officer share the township's robot: one message to the group, naming all three
    expect(level2.map((i) => `${i.role} ${i.endpointId} ${i.partyName}`)).toEqual(['grid ding-caiyuan 周网格员、菜园镇政府、徐干部'])
    expect(level2[0]!.message.mobiles).toEqual(expect.arrayContaining(['13800000004', '13800000005']))
    expect(level2[0]!.message.title).toContain('【升级】')
    expect(itemsOf(r, id).find((i) => i.notificationId === `${id}:5`)!.message.title).toContain('【提醒】')
    const tech = linkClaims(r, itemsOf(r, id)[1]!.message.link!)
    runUntil(s, T0 + 3 * MIN + 30_000)
    expect(r.service.act(id, { kind: 'responded' }, by(tech))).toMatchObject({ ok: true, incident: { state: '02' } })
    const told = byStep(r, id).length
    runUntil(s, T0 + 20 * MIN)
    expect(byStep(r, id).length).toBe(told)
    expect(r.service.act(id, { kind: 'arrived' }, by(tech)).ok).toBe(true)
    expect(r.service.act(id, { kind: 'arrived' }, by(tech))).toEqual({ ok: false, status: 409, reason: 'already arrived' })
    runUntil(s, T0 + 25 * MIN)
    expect(r.service.act(id, { kind: 'released', persons: 1, cause: '门锁故障' }, by(tech))).toMatchObject({ ok: true, incident: { state: '00', personsReleased: 1 } })
    expect(r.service.list({ open: true }, COUNTY)).toEqual([])
    const d = r.service.get(id, COUNTY)!
    expect(d.kpi).toMatchObject({ responseMs: 3.5 * MIN, arrivalMs: 20 * MIN, rescueMs: 25 * MIN, respondedInLimit: false, arrivedInLimit: true })
    expect(r.service.kpis('township', {}, COUNTY)).toEqual([{ key: CAIYUAN, incidents: 1, responseRate: 0, arrivalInLimitRate: 1, meanArrivalMs: 20 * MIN, meanRescueMs: 25 * MIN, meanOnSiteMs: 5 * MIN }])
    expect(d.incident.timeline.filter((t) => t.kind === 'action').map((t) => t.actor.name)).toEqual(['王师傅', '王师傅', '王师傅'])
    expect(seen.at(-1)).toBe('00')
    // the next alarm of the car opens a new incident
    r.service.onAlarm(alarm(T0 + 30 * MIN))
    expect(r.service.list({}, COUNTY).map((x) => x.state)).toEqual(['01', '00'])
  })

  it('a second alarm of the car joins its open incident; a clear is logged; deliveries join the timeline', () => {
    const s = clock()
    const r = open(tempDb(), s)
    const first = alarm(T0)
    r.service.onAlarm(first)
    runUntil(s, T0 + 30_000)
    r.service.onAlarm(alarm(T0 + 30_000, { type: 'door_open_fault', severity: 'major', code: '03' }))
    r.service.onAlarm({ ...first, state: 'cleared', clearedAt: T0 + 40_000 })
    const [sum, ...rest] = r.service.list({}, COUNTY)
    expect(rest).toEqual([])
    const item = itemsOf(r, sum!.id)[0]!
    r.service.onAttempt({ item, attempt: 1, result: { ok: true, retryable: false, detail: 'HTTP 200 errcode 0' }, at: T0 + 41_000, state: 'delivered' })
    const tl = r.service.get(sum!.id, COUNTY)!.incident.timeline
    expect(tl.filter((t) => t.kind === 'alarm').map((t) => t.kind === 'alarm' && `${t.type} ${t.state} ${t.joined}`)).toEqual([
      'entrapment raised false', 'door_open_fault raised true', 'entrapment cleared true',
    ])
    expect(tl.at(-1)).toMatchObject({ kind: 'delivery', notificationId: `${sum!.id}:1`, ok: true, detail: 'wecom 舟山电梯维保、王师傅、赵师傅: HTTP 200 errcode 0' })
    expect(r.service.stats()).toMatchObject({ opened: 1, joined: 1 })
    expect(itemsOf(r, sum!.id)).toHaveLength(6)
  })

  it('a drill runs the real chain with 【演练】 in every message, apart from a real incident of the same car', () => {
    const s = clock()
    const r = open(tempDb(), s)
    const desk: Actor = { name: '值班员', via: 'desk', role: 'desk' }
    const d = r.service.drill(LIFT1, desk)
    expect(d.ok).toBe(true)
    r.service.onAlarm(alarm(T0 + 1000))
    runUntil(s, T0 + 61 * MIN)
    const [real, drill] = [r.service.list({ drill: false }, COUNTY)[0]!, r.service.list({ drill: true }, COUNTY)[0]!]
    expect(real.id).not.toBe(drill.id)
    const items = itemsOf(r, drill.id)
    expect(items.length).toBeGreaterThan(10)
    expect(items.every((i) => i.drill && i.message.title.startsWith('【演练】') && i.message.text.startsWith('【演练】') && i.message.facts.drill === true)).toBe(true)
    expect(itemsOf(r, real.id).some((i) => i.message.text.includes('演练'))).toBe(false)
    expect(r.service.drill('nope', desk)).toMatchObject({ ok: false, status: 404 })
    // the desk's own note does not count as the desk acting: it is still reminded
    expect(byStep(r, drill.id)).toContain('2 reminder desk')
    const police = items.filter((i) => i.role === 'police' && !i.message.title.includes('【提醒】'))
    expect(police.map((i) => i.partyName)).toEqual(['96333 平台'])
    expect(police[0]!.message.text).toContain('110/119')
  })

  it('after a restart the pending escalation fires exactly once, on time', () => {
    const s = clock()
    const file = tempDb()
    const a = rig(file, s)
    a.service.onAlarm(alarm(T0))
    const id = a.service.list({}, COUNTY)[0]!.id
    runUntil(s, T0 + MIN)
    a.service.stop()
    a.db.close()
    const b = open(file, s)
    runUntil(s, T0 + 5 * MIN)
    expect(byStep(b, id).filter((x) => x.includes('level2'))).toEqual(['3 level2 grid', '3 level2 township'])
    expect(byStep(b, id).filter((x) => x.startsWith('2 reminder'))).toHaveLength(4)
    // the same links still verify: the key is kept in the file
    expect(linkClaims(b, itemsOf(b, id)[0]!.message.link!)).toMatchObject({ incidentId: id })
  })

  it('a restart after the escalation was due fires it at once, once', () => {
    const s = clock()
    const file = tempDb()
    const a = rig(file, s)
    a.service.onAlarm(alarm(T0))
    const id = a.service.list({}, COUNTY)[0]!.id
    a.service.stop()
    a.db.close()
    runUntil(s, T0 + 10 * MIN)
    const b = open(file, s)
    runUntil(s, T0 + 10 * MIN)
    expect(byStep(b, id).slice(4)).toEqual([
      '10 reminder maintenance', '10 reminder property', '10 reminder steward', '10 reminder desk', '10 level2 grid', '10 level2 township',
    ])
    runUntil(s, T0 + 11 * MIN)
    expect(byStep(b, id)).toHaveLength(10)
  })

  it('an island township: 90 minutes to arrive, the local rescuer told at once', () => {
    const s = clock()
    const r = open(tempDb(), s)
    r.service.onAlarm(alarm(T0, { elevatorId: LIFT_ISLAND, key: `${LIFT_ISLAND}:entrapment` }))
    const sum = r.service.list({}, COUNTY)[0]!
    const inc = r.service.get(sum.id, COUNTY)!.incident
    expect(inc.arrivalLimitMs).toBe(90 * MIN)
    expect(inc.plan.find((p) => p.id === 'level3')!.dueAt).toBe(T0 + 90 * MIN)
    expect(itemsOf(r, sum.id).filter((i) => i.role === 'rescuer').map((i) => `${i.partyName} ${i.to}`)).toEqual(['海岛救援员 13800000007'])
    runUntil(s, T0 + 3 * MIN)
    // no channel for the island's property, grid worker or township, no steward: each notice counted, the desk calls (callable)
    const missed = r.service.get(sum.id, COUNTY)!.incident.timeline.filter((t) => t.kind === 'notify' && ['property', 'steward', 'grid', 'township'].includes(t.role))
    expect(missed.map((t) => t.kind === 'notify' && `${(t.at - T0) / MIN} ${t.role}`)).toEqual(['0 property', '0 steward', '2 property', '2 steward', '3 grid', '3 township'])
    expect(r.service.stats().unreachedRoles).toBe(6)
    expect(r.service.get(sum.id, COUNTY)!.callable.map((c) => `${c.role} ${c.phone}`)).toEqual([
      'maintenance 0580-5081234', 'maintenance 13800000001', 'maintenance 13800000011', 'grid 13800000008', 'desk 96333', 'rescuer 13800000007',
    ])
  })

  it('the desk opens an incident by rescue code, joins it by registration code, and gets 404 for an unknown code', () => {
    const s = clock()
    const r = open(tempDb(), s)
    const desk: Actor = { name: '值班员', via: 'desk', role: 'desk' }
    const first = r.service.openCall({ foundBy: 'rescueCode', code: '33002', caller: '被困乘客', drill: false }, desk, COUNTY)
    expect(first).toMatchObject({ ok: true, incident: { source: 'desk', elevator: { elevatorId: LIFT2 }, notes: ['救援识别码 33002 · 被困乘客'] } })
    const again = r.service.openCall({ foundBy: 'registrationCode', code: LIFT2, drill: false }, desk, COUNTY)
    expect(again.ok && first.ok && again.incident.id === first.incident.id).toBe(true)
    expect(r.service.openCall({ foundBy: 'rescueCode', code: '99999', drill: false }, desk, COUNTY)).toMatchObject({ ok: false, status: 404 })
    expect(r.service.openCall({ foundBy: 'rescueCode', code: '33001', drill: false }, desk, principal({ region: ISLAND }, 'township'))).toMatchObject({ ok: false, status: 404 })
    expect(r.service.act('inc-nope', { kind: 'responded' }, desk)).toMatchObject({ ok: false, status: 404 })
    expect(r.service.list({}, COUNTY)).toHaveLength(1)
  })

  it('scope: a township sees its own incidents only; a maintenance unit its cars', () => {
    const s = clock()
    const r = open(tempDb(), s)
    r.service.onAlarm(alarm(T0))
    r.service.onAlarm(alarm(T0 + 1000, { elevatorId: LIFT_ISLAND, key: `${LIFT_ISLAND}:entrapment` }))
    const [island, caiyuan] = r.service.list({}, COUNTY)
    const islandTown = principal({ region: ISLAND }, 'township')
    expect(r.service.list({}, islandTown).map((x) => x.id)).toEqual([island!.id])
    expect(r.service.get(caiyuan!.id, islandTown)).toBeNull()
    expect(r.service.get(island!.id, islandTown)).not.toBeNull()
    expect(r.service.list({}, principal({ region: '330922100001' }, 'grid')).map((x) => x.id)).toEqual([caiyuan!.id])
    expect(r.service.list({ region: CAIYUAN }, COUNTY).map((x) => x.id)).toEqual([caiyuan!.id])
    expect(r.service.list({}, principal({ org: 'wy-island' }, 'property')).map((x) => x.id)).toEqual([island!.id])
    expect(r.service.kpis('county', {}, islandTown)).toMatchObject([{ key: '330922', incidents: 1 }])
  })

  it('refuses a link for an incident it does not have, and counts it', () => {
    const s = clock()
    const r = open(tempDb(), s)
    const url = r.service.linkFor('inc-20260101-000000', { id: 'p-wang', name: '王师傅', role: 'maintenance' }, T0 + MIN)
    expect(url).toMatch(/^https:\/\/lw\.example\/r\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(r.service.verifyLink(url.split('/r/')[1]!)).toBe('unknown_incident')
    expect(r.service.verifyLink('x.y')).toBe('malformed')
    expect(r.service.stats().linkRefused).toEqual({ malformed: 1, tampered: 0, expired: 0, unknown_incident: 1 })
  })
})
