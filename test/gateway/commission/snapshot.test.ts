import { describe, expect, it } from 'vitest'
import { encode, liftwatchRef, type RegisterImage } from '../../../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from '../../../gateway/errors.ts'
import { snapshotOf, errorInfo } from '../../../gateway/commission/snapshot.ts'
import { renderProbe, table } from '../../../gateway/commission/render.ts'
import { langFromEnv, truncate, width } from '../../../gateway/commission/i18n.ts'
import type { Sample } from '../../../gateway/commission/unit-poller.ts'

const CAR = {
  floor: '3', floorIndex: 3, position: 10, speed: 0, direction: 'none', moving: false, door: 'closed', doorZone: true,
  occupied: null, load: 12.5, alarmButton: false, safetyCircuit: true, mode: 'normal', power: 'mains', upLimit: false,
  downLimit: false, faultCode: 0, landings: 13, ratedSpeed: 1.75, tripCount: 70000, mainLanding: 1,
}
const image = (over: Record<string, unknown> = {}): RegisterImage => {
  const img = encode(liftwatchRef, { ...CAR, ...over })
  // a real read covers whole blocks: the presence bit is read even while its validIf is off
  img.discrete[5] ??= false
  img.input[13] = 0
  return img
}
const row = (s: ReturnType<typeof snapshotOf>, name: string) => s.rows.find((r) => r.name === name)!

describe('probe snapshot rows', () => {
  it('puts raw words and bits beside the decoded value, addresses as written in the profile', () => {
    const s = snapshotOf(liftwatchRef, image(), [], 1000)
    expect(row(s, 'door')).toMatchObject({ area: 'input', address: 5, raw: [0x0004], rawText: '0x0004 b2..0=100', value: 'closed', valueText: '"closed"' })
    expect(row(s, 'tripCount')).toMatchObject({ address: 2, count: 2, raw: [0x0001, 0x1170], rawText: '0x0001 0x1170', value: 70000 })
    expect(row(s, 'position')).toMatchObject({ raw: [0x2710, 0x0000], value: 10 }) // CDAB: low word first
    expect(row(s, 'occupied')).toMatchObject({ raw: false, value: null, valueText: 'null (discrete 6 off)' })
    expect(row(s, 'moving')).toMatchObject({ area: 'coil', raw: false, rawText: '0', changed: false, changes: 0 })
    expect(s.values).toEqual(CAR)
  })

  it('marks what changed since the previous snapshot and counts changes', () => {
    const a = snapshotOf(liftwatchRef, image(), [], 1000)
    const b = snapshotOf(liftwatchRef, image({ door: 'opening', alarmButton: true }), [], 2000, a)
    const c = snapshotOf(liftwatchRef, image({ door: 'open', alarmButton: true }), [], 3000, b)
    // direction shares door's status word: its bits did not change, so it is not marked
    expect(b.rows.filter((r) => r.changed).map((r) => r.name)).toEqual(['alarmButton', 'door'])
    expect(c.rows.filter((r) => r.changed).map((r) => r.name)).toEqual(['door'])
    expect(row(c, 'door').changes).toBe(2)
    expect(row(c, 'alarmButton')).toMatchObject({ changed: false, changes: 1 })
  })

  it('shows a point error in its row; an unread point is no change', () => {
    const err = new GatewayError(GatewayErrorCode.ModbusException, 'exception 2', { exceptionCode: 2 })
    const a = snapshotOf(liftwatchRef, image(), [], 1000)
    const img = image()
    img.holding = []
    const b = snapshotOf(liftwatchRef, img, ['landings', 'ratedSpeed', 'tripCount', 'mainLanding'].map((point) => ({ point, err })), 2000, a)
    expect(row(b, 'landings')).toMatchObject({
      raw: null, rawText: '—', value: undefined, changed: false, error: { code: 'LW_ERR_MODBUS_EXCEPTION', exceptionCode: 2, text: 'exception 02 illegal data address' },
    })
    expect(b.values).not.toHaveProperty('landings')
    expect(errorInfo(new GatewayError(GatewayErrorCode.ModbusTimeout, 'no answer')).text).toBe('timeout')
  })

  it('renders the probe screen with the marker, both languages and a stale notice', () => {
    const a = snapshotOf(liftwatchRef, image(), [], 1000)
    const b = snapshotOf(liftwatchRef, image({ door: 'open' }), [], 2000, a)
    const stats = { polls: 2, ok: 2, partial: 0, failed: 0, requests: 4, lastLatencyMs: 3, avgLatencyMs: 3, maxLatencyMs: 4 }
    const sample: Sample = { ts: 2000, fresh: true, snapshot: b, latencyMs: 3, stats, connected: true }
    const base = { link: 'tcp 127.0.0.1:1502', unitId: 1, profile: liftwatchRef, connected: true, columns: 200 }
    const screen = renderProbe({ ...base, lang: 'both', sample })
    expect(screen).toMatch(/^LiftWatch 现场调试 probe · tcp 127\.0\.0\.1:1502 · 从站 unit 1/)
    expect(screen).toMatch(/链路 link: 已连接 connected · 轮询 polls 2/)
    expect(screen).toMatch(/^\*\s+door\s+input\s+5\s+0x0002 b2\.\.0=010\s+"open"\s+1$/m)
    expect(screen).toMatch(/^\s+mode\s+input\s+6\s+0x0000\s+"normal"\s+0$/m)
    const stale = renderProbe({ ...base, lang: 'en', sample: { ...sample, fresh: false, connected: false } })
    expect(stale).toMatch(/this read failed: the table shows the last values read at \d\d:\d\d:\d\d/)
  })
})

describe('terminal text', () => {
  it('counts CJK characters as two columns when padding and cutting', () => {
    expect(width('点位 point')).toBe(10)
    expect(table(['点位', 'x'], [['ab', '1']])).toEqual(['点位  x', 'ab    1'])
    expect(truncate('电梯电梯电梯', 7)).toBe('电梯电…')
  })

  it('takes the language from the locale: Chinese → zh, another → en, none → both', () => {
    expect(langFromEnv({ LANG: 'zh_CN.UTF-8' })).toBe('zh')
    expect(langFromEnv({ LANG: 'en_US.UTF-8' })).toBe('en')
    expect(langFromEnv({ LC_ALL: 'zh_TW.UTF-8', LANG: 'en_US.UTF-8' })).toBe('zh')
    expect(langFromEnv({ LANG: 'C.UTF-8' })).toBe('both')
    expect(langFromEnv({})).toBe('both')
  })
})
