// docs/protocol.md#topics is generated from protocol/: every topic the system publishes has a row.
import { describe, expect, it } from 'vitest'
import { renderProtocolDoc } from '../../protocol/docs.ts'
import { alarmTopic, availabilityTopic, gatewayAlarmTopic, gatewayStatusTopic, incidentTopic, parseTopic, telemetryTopic } from '../../protocol/topics.ts'

/** The rows of the Topics table: topic → the rest of its cells. */
function topicRows(doc: string): Map<string, string[]> {
  const section = doc.split('## Topics')[1]!.split('\n## ')[0]!
  const rows = section.split('\n').filter((l) => l.startsWith('| `'))
  return new Map(rows.map((l) => {
    const cells = l.split(' | ').map((c) => c.replace(/^\| ?|`| ?\|$/g, '').trim())
    return [cells[0]!, cells.slice(1)]
  }))
}

describe('the topic table of docs/protocol.md', () => {
  const rows = topicRows(renderProtocolDoc())
  const r = '{region}', e = '{elevatorId}', g = '{gatewayId}'

  it('lists the gateway alarm topic: broker → subscribers, QoS 1, not retained, an AlarmEvent of scope gateway', () => {
    const row = rows.get(gatewayAlarmTopic(g))
    expect(row).toBeDefined()
    expect(row![0]).toBe('broker → subscribers')
    expect(row![1]).toBe('1')
    expect(row![2]).toBe('no')
    expect(row![3]).toContain('AlarmEvent')
  })

  it('has a row for every kind of topic parseTopic knows, and no other', () => {
    const built = [telemetryTopic(r, e), availabilityTopic(r, e), alarmTopic(r, e), gatewayStatusTopic(g), gatewayAlarmTopic(g), incidentTopic(r, e)]
    expect([...rows.keys()].sort()).toEqual([...built].sort())
    // each row's topic parses as the kind it is built for (placeholders filled in)
    const fill = (t: string) => t.replace(r, '330922').replace(e, '33092231102023080001').replace(g, 'gw-1')
    expect(new Set([...rows.keys()].map((t) => parseTopic(fill(t))?.kind))).toEqual(new Set(['telemetry', 'availability', 'alarm', 'status', 'gateway-alarm', 'incident']))
  })
})
