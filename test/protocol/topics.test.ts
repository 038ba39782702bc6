import { describe, expect, it } from 'vitest'
import { alarmTopic, availabilityTopic, filters, gatewayStatusTopic, parseTopic, telemetryTopic } from '../../protocol/index.ts'

describe('topics', () => {
  it('builds and parses each v1 topic', () => {
    const id = '31103309222024010001'
    expect(telemetryTopic('330922', id)).toBe(`lift/v1/330922/${id}/telemetry`)
    expect(parseTopic(telemetryTopic('330922', id))).toEqual({ kind: 'telemetry', region: '330922', elevatorId: id })
    expect(parseTopic(availabilityTopic('330922', id))).toEqual({ kind: 'availability', region: '330922', elevatorId: id })
    expect(parseTopic(alarmTopic('330922', id))).toEqual({ kind: 'alarm', region: '330922', elevatorId: id })
    expect(parseTopic(gatewayStatusTopic('gw-01'))).toEqual({ kind: 'status', gatewayId: 'gw-01' })
  })

  it('refuses malformed topics', () => {
    for (const t of [
      'lift/v1/330922/E1', 'lift/v2/330922/E1/telemetry', 'lift/v1/33092/E1/telemetry',
      'lift/v1/330922/-E1/telemetry', 'lift/v1/330922/E1/telemetry/extra', 'lift/v1/330922/E1/other',
      'lift/v1/gateways/gw/other', 'lift/v1/gateways/../status', '', 'lift/v1/330922//telemetry',
    ]) expect(parseTopic(t), t).toBeNull()
  })

  it('filters cover their topics', () => {
    expect(filters.region('330922')).toBe('lift/v1/330922/#')
    expect(filters.telemetry).toBe('lift/v1/+/+/telemetry')
    expect(filters.gatewayStatus).toBe('lift/v1/gateways/+/status')
  })
})
