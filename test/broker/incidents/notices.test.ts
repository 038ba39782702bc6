import { describe, expect, it } from 'vitest'
import { noticesFor, type NoticeContext } from '../../../broker/incidents/notices.ts'
import { DEFAULT_POLICY, openForAlarm, type Command, type PartyRole } from '../../../response/index.ts'
import { CAIYUAN, ISLAND, LIFT1, LIFT_ISLAND, parties, registry, T0 } from './fixtures.ts'

type Notify = Extract<Command, { kind: 'notify' }>
const reg = registry()
const dir = parties()
const ctxFor = (elevatorId = LIFT1, drill = false): NoticeContext & { bound: string[] } => {
  const e = reg.elevator(elevatorId)!
  const incident = openForAlarm(
    { id: 'inc-1', elevator: { elevatorId, region: '330922', township: e.township! }, policy: DEFAULT_POLICY, now: T0 },
    { id: 'a1', type: 'entrapment', severity: 'critical', elevatorId, raisedAt: T0, drill },
  ).state
  const bound: string[] = []
  return { incident, elevator: e, directory: dir, now: T0, bound, link: (p) => { bound.push(`${p.id} ${p.role}`); return `https://lw.example/r/${p.id}` } }
}
const cmd = (role: PartyRole, over: Partial<Notify> = {}): Notify =>
  ({ kind: 'notify', incidentId: 'inc-1', notificationId: 'inc-1:7', step: 'at_once', role, reminder: false, drill: false, ...over })

describe('notices for one notify command', () => {
  it('one item per group robot naming every party on it, one SMS per mobile, each with the right link', () => {
    const ctx = ctxFor()
    const n = noticesFor(cmd('maintenance'), ctx)
    expect(n.unreached).toBe(false)
    expect(n.items.map((i) => [i.id, i.channel, i.partyId, i.partyName, i.to, i.message.link])).toEqual([
      ['inc-1:7/wecom-lift', 'wecom', 'zs-lift', '舟山电梯维保、王师傅、赵师傅', undefined, 'https://lw.example/r/zs-lift'],
      ['inc-1:7/sms-main/13800000001', 'sms', 'p-wang', '王师傅', '13800000001', 'https://lw.example/r/p-wang'],
    ])
    expect(ctx.bound).toEqual(['zs-lift maintenance', 'p-wang maintenance'])
    expect(n.items[0]!.message.mobiles).toEqual(['13800000001', '13800000011'])
    expect(n.items[0]).toMatchObject({ incidentId: 'inc-1', notificationId: 'inc-1:7', role: 'maintenance', state: 'pending', attempts: 0, nextAt: T0, createdAt: T0, drill: false })
    expect(n.items[1]!.message.sms).toMatchObject({ code: '33001', link: 'https://lw.example/r/p-wang' })
  })

  it('a group robot of a township office and its officer: one message, bound to the office', () => {
    const n = noticesFor(cmd('township', { step: 'level2' }), ctxFor())
    expect(n.items.map((i) => `${i.id} ${i.partyId} ${i.partyName}`)).toEqual(['inc-1:7/ding-caiyuan caiyuan-office 菜园镇政府、徐干部'])
    expect(n.items[0]!.message.text).toContain('徐干部(13800000005)')
    expect(n.items[0]!.message.title).toContain('【升级】')
  })

  it('police goes to the desk, asking it to call 110/119', () => {
    const n = noticesFor(cmd('police', { step: 'level3' }), ctxFor())
    expect(n.items.map((i) => `${i.role} ${i.channel} ${i.partyId}`)).toEqual(['police webhook desk-96333'])
    expect(n.items[0]!.message.text).toContain('110/119')
  })

  it('a role nobody holds, or whose parties have no channel, reaches nobody', () => {
    expect(noticesFor(cmd('steward'), ctxFor(LIFT_ISLAND))).toEqual({ items: [], unreached: true })
    expect(noticesFor(cmd('grid'), ctxFor(LIFT_ISLAND))).toEqual({ items: [], unreached: true })
    expect(noticesFor(cmd('rescuer'), ctxFor(LIFT_ISLAND)).items.map((i) => i.to)).toEqual(['13800000007'])
    expect(ctxFor(LIFT_ISLAND).elevator!.township).toBe(ISLAND)
    expect(ctxFor().elevator!.township).toBe(CAIYUAN)
  })

  it('carries the drill flag into every item and message', () => {
    const n = noticesFor(cmd('maintenance', { drill: true }), ctxFor(LIFT1, true))
    expect(n.items.every((i) => i.drill && i.message.text.startsWith('【演练】'))).toBe(true)
  })
})
