import { describe, expect, it } from 'vitest'
import { clipBytes, renderMessage, TEXT_LIMIT, type RenderContext } from '../../../broker/incidents/render.ts'
import { DEFAULT_POLICY, openForAlarm, type Incident } from '../../../response/index.ts'
import { CAIYUAN, LIFT1, MIN, registry, T0 } from './fixtures.ts'

const incident = (over: Partial<Incident> = {}): Incident => ({
  ...openForAlarm(
    { id: 'inc-20260101-abcdef', elevator: { elevatorId: LIFT1, region: '330922', township: CAIYUAN }, policy: DEFAULT_POLICY, now: T0 },
    { id: 'a1', type: 'entrapment', severity: 'critical', elevatorId: LIFT1, raisedAt: T0 - 20_000, detectedAt: T0, drill: false },
  ).state,
  ...over,
})
const ctx = (over: Partial<RenderContext> = {}): RenderContext => ({
  incident: incident(), elevator: registry().elevator(LIFT1)!, role: 'maintenance', step: 'at_once', reminder: false,
  parties: [{ name: '舟山电梯维保', phone: '0580-5081234' }, { name: '王师傅', phone: '13800000001' }],
  link: 'https://lw.example/r/TOKEN', carAt: '3 层', now: T0 + 95_000, ...over,
})

describe('the zh-CN message', () => {
  it('says where, which car, how long, what is asked and how to answer', () => {
    const m = renderMessage(ctx())
    expect(m.title).toBe('【电梯困人】 嵊泗县菜园镇沙河路 18 号 1号楼 1单元')
    expect(m.text.split('\n')).toEqual([
      m.title,
      '地址：嵊泗县菜园镇沙河路 18 号 1号楼 1单元',
      '救援识别码：33001',
      `注册代码：${LIFT1}`,
      '停靠位置：3 层',
      '被困时长：1 分 55 秒',
      '告警时间：08:00:00',
      '当前状态：已发生',
      '通知对象：维保单位 舟山电梯维保(0580-5081234)、王师傅(13800000001)',
      '请立即响应并赶赴现场实施救援，到场后确认到达。',
      '处置链接：https://lw.example/r/TOKEN',
      '应急救援电话：96333',
    ])
    expect(m.mobiles).toEqual(['13800000001'])
    expect(m.link).toBe('https://lw.example/r/TOKEN')
    expect(m.sms).toEqual({ address: '嵊泗县菜园镇沙河路 18 号 1号楼 1', code: '33001', minutes: '1', link: 'https://lw.example/r/TOKEN' })
    expect([...m.sms.address!]).toHaveLength(20)
    expect(m.markdown).toContain('> **救援识别码**：33001')
    expect(m.markdown).toContain('[打开处置页面 / Open](https://lw.example/r/TOKEN)')
    expect(m.facts).toMatchObject({ incidentId: 'inc-20260101-abcdef', rescueCode: '33001', carAt: '3 层', trappedAt: T0 - 20_000, alarmAt: T0, state: '01', role: 'maintenance', drill: false })
  })

  it('marks drills first, then the kind, escalations and reminders; asks the desk to call 110/119', () => {
    const drill = incident({ drill: true })
    expect(renderMessage(ctx({ incident: drill })).title).toMatch(/^【演练】【电梯困人】 /)
    expect(renderMessage(ctx({ incident: drill, step: 'level2', role: 'grid' })).title).toMatch(/^【演练】【电梯困人】【升级】 /)
    expect(renderMessage(ctx({ step: 'reminder', reminder: true })).title).toMatch(/^【电梯困人】【提醒】 /)
    const police = renderMessage(ctx({ step: 'level3', role: 'police', parties: [{ name: '96333 平台', phone: '96333' }], now: T0 + 61 * MIN }))
    expect(police.title).toMatch(/^【电梯困人】【升级】【请报警】 /)
    expect(police.text).toContain('请立即拨打 110/119')
    expect(police.text).toContain('被困时长：61 分 20 秒')
    const other = renderMessage(ctx({ incident: incident({ alarmType: 'overtravel_top' }) }))
    expect(other.title).toMatch(/^【电梯紧急告警】冲顶 /)
    expect(renderMessage(ctx({ role: 'property' })).text).toContain('请安抚被困人员')
  })

  it('works without the registry entry, a link or the car position', () => {
    const m = renderMessage(ctx({ elevator: undefined, link: undefined, carAt: undefined }))
    expect(m.title).toBe('【电梯困人】')
    expect(m.text).toContain(`地址：电梯 ${LIFT1}`)
    expect(m.text).not.toContain('停靠位置')
    expect(m.text).not.toContain('处置链接')
    expect(m.link).toBeUndefined()
    expect(m.sms.link).toBe('')
  })

  it('keeps the text within 2,048 bytes and the link whole, however many parties', () => {
    const parties = Array.from({ length: 200 }, (_, i) => ({ name: `某某物业服务有限公司第${i}分公司`, phone: '13800000001' }))
    const m = renderMessage(ctx({ parties }))
    expect(Buffer.byteLength(m.text)).toBeLessThanOrEqual(TEXT_LIMIT)
    expect(Buffer.byteLength(m.text)).toBeGreaterThan(TEXT_LIMIT - 8)
    expect(m.text.endsWith('处置链接：https://lw.example/r/TOKEN\n应急救援电话：96333')).toBe(true)
    expect(Buffer.byteLength(m.markdown)).toBeLessThanOrEqual(4096)
    expect(clipBytes('电梯困人', 7)).toBe('电…')
  })
})
