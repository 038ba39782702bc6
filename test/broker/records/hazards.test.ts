import { afterEach, describe, expect, it } from 'vitest'
import type { OutboxItem } from '../../../broker/notify/types.ts'
import type { RecordActor } from '../../../broker/records/types.ts'
import { CAIYUAN, clock, COUNTY, LIFT1, LIFT2, LIFT_ISLAND, MIN, principal, runUntil, T0 } from '../incidents/fixtures.ts'
import { hazardRig, raise, tempDir, type HazardRig } from './hazard-fixture.ts'

const DAY = 24 * 60 * MIN
const HOUR = 60 * MIN
const rigs: HazardRig[] = []
const open = (dir: string, s: ReturnType<typeof clock>, opts = {}) => { const r = hazardRig(dir, s, opts); rigs.push(r); return r }
afterEach(() => { for (const r of rigs.splice(0)) r.close() })

const told = (items: readonly OutboxItem[]) => items.map((i) => `${i.role} ${i.channel} ${i.partyName}${i.to ? ` ${i.to}` : ''}`)
const officer: RecordActor = { name: '徐干部', userId: 'xu', via: 'desk', role: 'township' }

describe('hazard register', () => {
  it('three entrapments of one car within 30 days register one hazard, not at the first or second; township, bureau and use unit told; a fourth joins it', () => {
    const s = clock()
    const r = open(tempDir(), s)
    raise(r, T0)
    runUntil(s, T0 + 10 * DAY)
    raise(r, T0 + 10 * DAY)
    // another car's entrapment and a drill do not count for LIFT1
    raise(r, T0 + 11 * DAY, { elevatorId: LIFT2 })
    raise(r, T0 + 12 * DAY, { drill: true })
    expect(r.hazards.list({}, COUNTY)).toEqual([])
    runUntil(s, T0 + 20 * DAY)
    const third = raise(r, T0 + 20 * DAY)
    const [h, ...more] = r.hazards.list({}, COUNTY)
    expect(more).toEqual([])
    expect(h).toMatchObject({
      number: '330922-2026-0001', id: 'hz-330922-2026-0001', elevatorId: LIFT1, registrationCode: LIFT1, region: '330922', township: CAIYUAN,
      village: '330922100001', maintenance: 'zs-lift', useUnit: 'wy-shahe', useUnitName: '沙河路物业', location: '嵊泗县菜园镇沙河路 18 号 1号楼 1单元',
      grade: 'major', foundBy: 'monitoring', rule: 'repeat:entrapment', sourceRef: third.id, state: 'open', foundAt: T0 + 20 * DAY, deadline: T0 + 27 * DAY,
    })
    expect(h!.description).toContain('困人 3 次')
    const items = r.outbox.forIncident(h!.id)
    expect(told(items)).toEqual([
      'township dingtalk 菜园镇政府、徐干部',
      'bureau webhook 县市场监管局',
      'property wecom 沙河路物业',
      'property sms 李安全员 13800000002',
    ])
    expect(items[0]!.id).toBe(`${h!.id}:1/ding-caiyuan`)
    expect(items[0]!.message.text).toContain('编号：330922-2026-0001')
    expect(items[0]!.message.link).toBe(`https://lw.example/ui/hazards.html#${h!.id}`)
    expect(r.kicks).toBe(1)
    // the same alarm re-emitted is not a fourth finding; a new one joins
    r.hazards.onAlarm(third)
    const fourth = raise(r, T0 + 21 * DAY)
    const after = r.hazards.get(h!.id, COUNTY)!
    expect(after.sourceRef).toBe(`${third.id},${fourth.id}`)
    expect(after.timeline.filter((e) => e.kind === 'joined')).toHaveLength(1)
    expect(r.outbox.forIncident(h!.id)).toHaveLength(4)
    expect(r.hazards.stats()).toMatchObject({ registered: 1, joined: 1, open: 1, overdue: 0 })
  })

  it('entrapments further apart than the window do not register', () => {
    const s = clock()
    const r = open(tempDir(), s)
    for (const d of [0, 20, 40]) raise(r, T0 + d * DAY)
    expect(r.hazards.list({}, COUNTY)).toEqual([])
    raise(r, T0 + 45 * DAY)
    expect(r.hazards.list({}, COUNTY)).toHaveLength(1)
  })

  it('overtravel registers at once as major; a minor fault never does; a drill of overtravel does not', () => {
    const s = clock()
    const r = open(tempDir(), s)
    raise(r, T0, { type: 'overtravel_top', severity: 'critical', code: '09', drill: true })
    raise(r, T0, { type: 'door_open_too_long', severity: 'minor', code: null })
    raise(r, T0 + 1, { type: 'door_open_too_long', severity: 'minor', code: null })
    raise(r, T0 + 2, { type: 'door_open_too_long', severity: 'minor', code: null })
    expect(r.hazards.list({}, COUNTY)).toEqual([])
    raise(r, T0 + MIN, { type: 'overtravel_top', severity: 'critical', code: '09', elevatorId: LIFT_ISLAND })
    const [h] = r.hazards.list({}, COUNTY)
    expect(h).toMatchObject({ rule: 'type:overtravel_top', grade: 'major', elevatorId: LIFT_ISLAND, useUnitName: '峙岙村委会', deadline: T0 + 7 * DAY })
    expect(h!.description).toContain('冲顶')
    // the island has no township office or officer and its property no channel: only the bureau is told
    const notify = h!.timeline.find((e) => e.kind === 'notify')!
    expect(notify.detail).toMatchObject({ told: [{ role: 'bureau', party: '县市场监管局' }], unreached: ['township', 'property'] })
  })

  it('registers by hand, for an overdue inspection, general grade 30 days; numbers count per county and year', () => {
    const s = clock()
    const r = open(tempDir(), s, { escalateEveryHours: 24 * 365 })
    const a = r.hazards.register({ elevatorId: LIFT2, description: '轿厢照明损坏', grade: 'general', foundBy: 'manual', owner: '李安全员' }, officer)
    expect(a.ok && a.value).toMatchObject({ number: '330922-2026-0001', deadline: T0 + 30 * DAY, owner: '李安全员' })
    const b = r.hazards.inspectionOverdue(LIFT1, '2025-12-20')
    expect(b.ok && b.value).toMatchObject({ number: '330922-2026-0002', rule: 'inspection_overdue', foundBy: 'inspection', grade: 'major' })
    expect(r.hazards.inspectionOverdue(LIFT1, '2025-12-20')).toMatchObject({ ok: true, value: { id: b.ok && b.value.id } })
    expect(r.hazards.register({ elevatorId: 'nope', description: 'x', grade: 'major', foundBy: 'manual' }, officer)).toMatchObject({ ok: false, status: 404 })
    expect(r.hazards.register({ elevatorId: LIFT1, description: ' ', grade: 'major', foundBy: 'manual' }, officer)).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('description') })
    expect(r.hazards.register({ elevatorId: LIFT1, description: 'x', grade: 'huge' as 'major', foundBy: 'manual' }, officer)).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('grade') })
    // out of the caller's scope: as if the car did not exist
    expect(r.hazards.register({ elevatorId: LIFT1, description: 'x', grade: 'major', foundBy: 'manual' }, officer, principal({ region: '330922203' }))).toMatchObject({ ok: false, status: 404 })
    runUntil(s, T0 + 400 * DAY)
    const c = r.hazards.register({ elevatorId: LIFT2, description: '按钮失灵', grade: 'general', foundBy: 'patrol' }, officer)
    expect(c.ok && c.value.number).toBe('330922-2027-0001')
  })

  it('the state machine: open → rectifying → rectified → closed with checkedBy, back from rectified; 409 for a bad move; scoped', () => {
    const s = clock()
    const r = open(tempDir(), s)
    const reg = r.hazards.register({ elevatorId: LIFT1, description: '门锁回路短接', grade: 'major', foundBy: 'manual' }, officer)
    const id = reg.ok ? reg.value.id : ''
    const move = (state: 'open' | 'rectifying' | 'rectified' | 'closed', extra = {}) => r.hazards.change(id, { kind: 'state', state, ...extra }, officer)
    expect(move('rectified')).toMatchObject({ ok: false, status: 409 })
    expect(move('closed', { checkedBy: '县局' })).toMatchObject({ ok: false, status: 409 })
    expect(r.hazards.change(id, { kind: 'note', text: '已通知维保' }, officer, principal({ region: '330922203' }))).toMatchObject({ ok: false, status: 404 })
    expect(move('rectifying')).toMatchObject({ ok: true, value: { state: 'rectifying' } })
    runUntil(s, T0 + HOUR)
    expect(move('rectified', { measures: '更换门锁' })).toMatchObject({ ok: true, value: { state: 'rectified', doneAt: T0 + HOUR, measures: '更换门锁' } })
    expect(move('rectifying')).toMatchObject({ ok: true, value: { state: 'rectifying' } })
    expect(r.hazards.get(id, COUNTY)!.doneAt).toBeUndefined()
    move('rectified')
    expect(move('closed')).toMatchObject({ ok: false, status: 400, reason: expect.stringContaining('checkedBy') })
    expect(move('closed', { checkedBy: '县市场监管局 张科长' })).toMatchObject({ ok: true, value: { state: 'closed', closedAt: T0 + HOUR, checkedBy: '县市场监管局 张科长' } })
    expect(move('rectifying')).toMatchObject({ ok: false, status: 409 })
    expect(r.hazards.change(id, { kind: 'assign', owner: '王' }, officer)).toMatchObject({ ok: false, status: 409 })
    const h = r.hazards.get(id, COUNTY)!
    expect(h.timeline.filter((e) => e.kind === 'state').map((e) => `${String(e.detail!.from)}→${String(e.detail!.to)} ${e.actor.name}`)).toEqual([
      'open→rectifying 徐干部', 'rectifying→rectified 徐干部', 'rectified→rectifying 徐干部', 'rectifying→rectified 徐干部', 'rectified→closed 徐干部',
    ])
    expect(r.hazards.list({ state: 'open_any' }, COUNTY)).toEqual([])
    expect(r.hazards.list({ state: 'closed' }, COUNTY)).toHaveLength(1)
    // after closing, the same rule registers anew
    expect(r.hazards.get(id, principal({ org: 'wy-island' }, 'property'))).toBeNull()
    expect(r.hazards.get(id, principal({ org: 'wy-shahe' }, 'property'))).not.toBeNull()
  })

  it('an overdue hazard escalates to township and bureau once at the deadline, again after 24 h, none after rectified', () => {
    const s = clock()
    const r = open(tempDir(), s)
    const reg = r.hazards.register({ elevatorId: LIFT1, description: '曳引钢丝绳断丝', grade: 'major', foundBy: 'manual' }, officer)
    const id = reg.ok ? reg.value.id : ''
    const escalations = () => r.outbox.forIncident(id).filter((i) => i.message.facts.kind === 'hazard_overdue')
    runUntil(s, T0 + 7 * DAY - 1)
    expect(escalations()).toEqual([])
    expect(r.hazards.list({ state: 'overdue' }, COUNTY)).toEqual([])
    runUntil(s, T0 + 7 * DAY)
    expect(told(escalations())).toEqual(['township dingtalk 菜园镇政府、徐干部', 'bureau webhook 县市场监管局'])
    expect(escalations()[0]!.id).toBe(`${id}:2/ding-caiyuan`)
    expect(r.hazards.get(id, COUNTY)).toMatchObject({ escalatedAt: T0 + 7 * DAY })
    expect(r.hazards.list({ state: 'overdue' }, COUNTY)).toHaveLength(1)
    runUntil(s, T0 + 8 * DAY - 1)
    expect(escalations()).toHaveLength(2)
    // a note re-plans the timer but changes nothing of when
    r.hazards.change(id, { kind: 'note', text: '催办' }, officer)
    runUntil(s, T0 + 8 * DAY)
    expect(escalations()).toHaveLength(4)
    expect(r.hazards.get(id, COUNTY)).toMatchObject({ escalatedAt: T0 + 7 * DAY })
    r.hazards.change(id, { kind: 'state', state: 'rectifying' }, officer)
    r.hazards.change(id, { kind: 'state', state: 'rectified', measures: '更换钢丝绳' }, officer)
    runUntil(s, T0 + 30 * DAY)
    expect(escalations()).toHaveLength(4)
    expect(r.hazards.stats()).toMatchObject({ escalated: 2, overdue: 0, open: 1 })
  })

  it('a new deadline moves the escalation; a restart keeps the timers, and one missed while down fires at once', () => {
    const s = clock()
    const dir = tempDir()
    let r = open(dir, s)
    const a = r.hazards.register({ elevatorId: LIFT1, description: '底坑进水', grade: 'major', foundBy: 'manual' }, officer)
    const b = r.hazards.register({ elevatorId: LIFT2, description: '机房门未锁', grade: 'general', foundBy: 'patrol' }, officer)
    const ida = a.ok ? a.value.id : ''
    const idb = b.ok ? b.value.id : ''
    r.hazards.change(idb, { kind: 'assign', owner: '李安全员', deadline: T0 + 2 * DAY }, officer)
    const esc = (id: string) => r.outbox.forIncident(id).filter((i) => i.message.facts.kind === 'hazard_overdue').length
    r.close()
    runUntil(s, T0 + 3 * DAY)
    r = open(dir, s)
    // b's deadline passed while the broker was down: told at start
    runUntil(s, T0 + 3 * DAY)
    expect(esc(idb)).toBe(2)
    expect(esc(ida)).toBe(0)
    r.close()
    r = open(dir, s)
    runUntil(s, T0 + 7 * DAY)
    expect(esc(ida)).toBe(2)
    // b again every 24 h: days 4, 5, 6, 7
    expect(esc(idb)).toBe(10)
  })

  it('delivery reports go into the hazard timeline', () => {
    const s = clock()
    const r = open(tempDir(), s)
    const reg = r.hazards.register({ elevatorId: LIFT1, description: '轿厢意外移动', grade: 'major', foundBy: 'manual' }, officer)
    const item = r.outbox.forIncident(reg.ok ? reg.value.id : '')[0]!
    r.hazards.onAttempt({ item, attempt: 1, at: T0 + 1000, state: 'delivered', result: { ok: true, retryable: false, detail: 'HTTP 200 errcode 0' } })
    r.hazards.onAttempt({ item: { ...item, incidentId: 'hz-none' }, attempt: 1, at: T0, state: 'delivered', result: { ok: true, retryable: false, detail: 'x' } })
    const h = r.hazards.get(item.incidentId, COUNTY)!
    expect(h.timeline.at(-1)).toMatchObject({ at: T0 + 1000, kind: 'delivery', detail: { channel: 'dingtalk', ok: true, detail: 'HTTP 200 errcode 0', state: 'delivered' } })
    expect(r.hazards.stats().errors).toBe(0)
  })

  it('lists by state, car, region and found time within the scope', () => {
    const s = clock()
    const r = open(tempDir(), s)
    r.hazards.register({ elevatorId: LIFT1, description: 'a', grade: 'major', foundBy: 'manual' }, officer)
    runUntil(s, T0 + DAY)
    r.hazards.register({ elevatorId: LIFT_ISLAND, description: 'b', grade: 'general', foundBy: 'manual' }, officer)
    const ids = (q: Parameters<typeof r.hazards.list>[0], p = COUNTY) => r.hazards.list(q, p).map((h) => h.description)
    expect(ids({})).toEqual(['b', 'a'])
    expect(ids({ region: '330922203' })).toEqual(['b'])
    expect(ids({ elevatorId: LIFT1 })).toEqual(['a'])
    expect(ids({ from: T0 + 1, to: T0 + 2 * DAY })).toEqual(['b'])
    expect(ids({ limit: 1 })).toEqual(['b'])
    expect(ids({}, principal({ region: CAIYUAN }, 'township'))).toEqual(['a'])
    expect(ids({}, principal({ org: 'wy-island' }, 'property'))).toEqual(['b'])
    expect(ids({ state: 'rectified' })).toEqual([])
  })
})
