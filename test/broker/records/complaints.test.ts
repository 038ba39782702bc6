import { afterEach, describe, expect, it } from 'vitest'
import { clock, COUNTY, LIFT1, principal, runUntil, T0 } from '../incidents/fixtures.ts'
import { complaintRig, RESIDENT, type ComplaintRig } from './complaint-fixture.ts'
import { tempDir } from './hazard-fixture.ts'
import { ReportLimiter } from '../../../broker/records/report-limits.ts'
import type { OutboxItem } from '../../../broker/notify/types.ts'

const HOUR_MS = 3_600_000
const DAY = 24 * HOUR_MS
let r: ComplaintRig | undefined
afterEach(() => { r?.close(); r = undefined })

const roles = (items: readonly OutboxItem[]) => [...new Set(items.map((i) => i.role))].sort()
const file = (rig: ComplaintRig, phone?: string) => {
  const res = rig.complaints.file({ elevatorId: LIFT1, category: 'doors', text: '电梯门关不上', ...(phone ? { phone } : {}) }, RESIDENT)
  if (!res.ok) throw new Error(res.reason)
  return res.value
}

describe('residents\' reports', () => {
  it('filed: the use unit and the steward are told at once, with the car, category, text, phone and a link', () => {
    const s = clock()
    r = complaintRig(tempDir(), s)
    const c = file(r, '13912345678')
    expect(c.id).toMatch(/^cp-/)
    expect(c.ackDueAt - c.createdAt).toBe(DAY)
    expect(c.resolveDueAt - c.createdAt).toBe(7 * DAY)
    const items = r.outbox.forIncident(c.id)
    expect(roles(items)).toEqual(['property', 'steward'])
    // the property's group robot, the property's safety officer and the steward by SMS
    expect(items.map((i) => i.endpointId + (i.to ? `/${i.to}` : '')).sort()).toEqual(['sms-main/13800000002', 'sms-main/13800000003', 'wecom-shahe'])
    const text = items.find((i) => i.endpointId === 'wecom-shahe')!.message.text
    expect(text).toContain('嵊泗县菜园镇沙河路 18 号 1号楼 1单元')
    expect(text).toContain('开关门异常')
    expect(text).toContain('电梯门关不上')
    expect(text).toContain('13912345678')
    expect(text).toMatch(/https:\/\/lw\.example\/c\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}/)
    expect(r.kicks).toBeGreaterThan(0)
    // no phone given: none in the message
    const c2 = file(r)
    expect(r.outbox.forIncident(c2.id).every((i) => !i.message.text.includes('139'))).toBe(true)
  })

  it('not acknowledged within the limit: the grid and the township are told, once for that deadline', () => {
    const s = clock()
    r = complaintRig(tempDir(), s, { ackHours: 2 })
    const c = file(r)
    const first = r.outbox.forIncident(c.id).length
    runUntil(s, T0 + 2 * HOUR_MS - 1)
    expect(r.outbox.forIncident(c.id)).toHaveLength(first)
    runUntil(s, T0 + 2 * HOUR_MS)
    const late = r.outbox.forIncident(c.id).slice(first)
    // the grid worker and the township officer share the township's DingTalk group: one message naming both
    expect(late.map((i) => i.endpointId)).toEqual(['ding-caiyuan'])
    expect(late[0]!.partyName.split('、')).toEqual(expect.arrayContaining(['周网格员', '徐干部']))
    expect(r.complaints.get(c.id, COUNTY)!.timeline.filter((t) => t.kind === 'notify').map((t) => t.detail?.roles)).toEqual([['property', 'steward'], ['grid', 'township']])
    expect(late[0]!.message.title).toContain('超时未受理')
    runUntil(s, T0 + 6 * DAY)
    expect(r.outbox.forIncident(c.id).length).toBe(first + late.length)
    const after = r.complaints.get(c.id, COUNTY)!
    expect(after.escalatedAt).toBe(T0 + 2 * HOUR_MS)
    expect(after.timeline.filter((t) => t.kind === 'escalated')).toHaveLength(1)
    // still not resolved at 7 days: told again, for that deadline
    runUntil(s, T0 + 8 * DAY)
    const more = r.complaints.get(c.id, COUNTY)!.timeline.filter((t) => t.kind === 'escalated')
    expect(more.map((t) => t.detail?.missed)).toEqual(['ack', 'resolve'])
    expect(r.complaints.stats()).toMatchObject({ escalated: 2, pendingDeadlines: 0 })
  })

  it('acknowledged and resolved in time: never escalated; the deadlines end', () => {
    const s = clock()
    r = complaintRig(tempDir(), s, { ackHours: 2 })
    const c = file(r)
    const first = r.outbox.forIncident(c.id).length
    runUntil(s, T0 + HOUR_MS)
    const ack = r.complaints.act(c.id, { kind: 'acknowledge', note: '已联系维保' }, { name: '李安全员', via: 'desk', role: 'property' })
    expect(ack.ok && ack.value.state).toBe('acknowledged')
    expect(r.complaints.act(c.id, { kind: 'acknowledge' }, RESIDENT)).toMatchObject({ ok: false, status: 409 })
    runUntil(s, T0 + 3 * DAY)
    expect(r.outbox.forIncident(c.id)).toHaveLength(first)
    const done = r.complaints.act(c.id, { kind: 'resolve', resolution: '门机已调整' }, { name: '李安全员', via: 'desk', role: 'property' })
    expect(done.ok && done.value).toMatchObject({ state: 'resolved', resolution: '门机已调整', resolvedAt: T0 + 3 * DAY, ackAt: T0 + HOUR_MS })
    expect(r.complaints.stats().pendingDeadlines).toBe(0)
    runUntil(s, T0 + 30 * DAY)
    expect(r.outbox.forIncident(c.id)).toHaveLength(first)
    expect(r.complaints.get(c.id, COUNTY)!.escalatedAt).toBeUndefined()
    expect(r.complaints.act(c.id, { kind: 'resolve', resolution: 'x' }, RESIDENT)).toMatchObject({ ok: false, status: 409 })
  })

  it('a restart plans the deadlines again: one overdue while down is told at once, and only once', () => {
    const s = clock()
    r = complaintRig(tempDir(), s, { ackHours: 2 })
    const c = file(r)
    const first = r.outbox.forIncident(c.id).length
    r.complaints.stop()
    runUntil(s, T0 + 5 * HOUR_MS)
    expect(r.outbox.forIncident(c.id)).toHaveLength(first)
    r.restart()
    runUntil(s, T0 + 5 * HOUR_MS)
    const n = r.outbox.forIncident(c.id).length
    expect(n).toBeGreaterThan(first)
    r.restart()
    runUntil(s, T0 + 6 * HOUR_MS)
    expect(r.outbox.forIncident(c.id)).toHaveLength(n)
  })

  it("a party's link acknowledges; a forged or foreign link does not open it", () => {
    const s = clock()
    r = complaintRig(tempDir(), s)
    const c = file(r)
    const link = r.outbox.forIncident(c.id).find((i) => i.role === 'steward')!.message.link!
    const token = link.split('/c/')[1]!
    const v = r.complaints.verifyLink(token)
    expect(v?.complaint.id).toBe(c.id)
    expect(v?.claims).toMatchObject({ partyId: 'p-chen', role: 'steward' })
    expect(r.complaints.verifyLink(`${token.slice(0, -2)}AA`)).toBeNull()
    expect(r.complaints.verifyLink('garbage')).toBeNull()
  })

  it('a report may register a hazard (found by complaint), once', () => {
    const s = clock()
    r = complaintRig(tempDir(), s)
    const c = file(r)
    const res = r.complaints.act(c.id, { kind: 'hazard', grade: 'general' }, { name: '周网格员', via: 'desk', role: 'grid' })
    expect(res.ok).toBe(true)
    const hazardId = res.ok ? res.value.hazardId! : ''
    const h = r.hazards.get(hazardId, COUNTY)
    expect(h).toMatchObject({ foundBy: 'complaint', sourceRef: c.id, elevatorId: LIFT1, grade: 'general' })
    expect(h!.description).toContain('电梯门关不上')
    expect(r.complaints.act(c.id, { kind: 'hazard' }, RESIDENT)).toMatchObject({ ok: false, status: 409 })
  })

  it('lists and gets within scope only; delivery reports reach the timeline', () => {
    const s = clock()
    r = complaintRig(tempDir(), s)
    const c = file(r)
    expect(r.complaints.list({}, COUNTY).map((x) => x.id)).toEqual([c.id])
    expect(r.complaints.list({ state: 'open' }, principal({ region: '330922100' }, 'township'))).toHaveLength(1)
    expect(r.complaints.list({}, principal({ region: '330922203' }, 'township'))).toEqual([])
    expect(r.complaints.get(c.id, principal({ org: 'wy-island' }, 'property'))).toBeNull()
    expect(r.complaints.get(c.id, principal({ org: 'wy-shahe' }, 'property'))?.id).toBe(c.id)
    expect(r.complaints.list({ state: 'resolved' }, COUNTY)).toEqual([])
    const item = r.outbox.forIncident(c.id)[0]!
    r.complaints.onAttempt({ item, attempt: 1, result: { ok: true, retryable: false, detail: 'HTTP 200 errcode 0' }, at: T0 + 1000, state: 'delivered' })
    expect(r.complaints.get(c.id, COUNTY)!.timeline.at(-1)).toMatchObject({ kind: 'delivery', detail: { ok: true, result: 'HTTP 200 errcode 0' } })
  })
})

describe('report limits', () => {
  it('per address: 5 a minute, 20 a day; per car: 30 an hour; Retry-After from the oldest in the window', () => {
    let now = T0
    const l = new ReportLimiter({ perAddressMinute: 5, perAddressDay: 20, perCarHour: 30 }, () => now)
    for (let i = 0; i < 5; i++) expect(l.admit('10.0.0.1', 'A').ok).toBe(true)
    expect(l.admit('10.0.0.1', 'A')).toEqual({ ok: false, reason: 'address', retryAfterS: 60 })
    now += 30_000
    expect(l.admit('10.0.0.1', 'B')).toEqual({ ok: false, reason: 'address', retryAfterS: 30 })
    now += 30_000
    expect(l.admit('10.0.0.1', 'A').ok).toBe(true)
    // the day: 20 per address however spread
    for (let m = 0; m < 3; m++) { now += 60_000; for (let i = 0; i < 5; i++) l.admit('10.0.0.1', 'A') }
    now += 60_000
    expect(l.admit('10.0.0.1', 'A')).toMatchObject({ ok: false, reason: 'address' })
    // the car: 30 an hour from any addresses (10 taken above... count them)
    let taken = 0
    for (let i = 0; i < 40; i++) if (l.admit(`10.1.0.${i}`, 'C').ok) taken++
    expect(taken).toBe(30)
    expect(l.admit('10.2.0.1', 'C')).toMatchObject({ ok: false, reason: 'car' })
    expect(l.admit('10.2.0.1', 'D').ok).toBe(true)
  })
})
