// v1 topics (docs/protocol.md#topics). Every topic string of the system is built or parsed here.
import { isElevatorId, isGatewayId, isRegion } from './ids.ts'

export const TOPIC_ROOT = 'lift/v1'
export type ElevatorTopicKind = 'telemetry' | 'availability' | 'alarm' | 'incident'

export const telemetryTopic = (region: string, elevatorId: string): string => `${TOPIC_ROOT}/${region}/${elevatorId}/telemetry`
export const availabilityTopic = (region: string, elevatorId: string): string => `${TOPIC_ROOT}/${region}/${elevatorId}/availability`
export const alarmTopic = (region: string, elevatorId: string): string => `${TOPIC_ROOT}/${region}/${elevatorId}/alarm`
/** broker → subscribers: the response chain's incident of an elevator, on every change (docs/protocol.md#topics) */
export const incidentTopic = (region: string, elevatorId: string): string => `${TOPIC_ROOT}/${region}/${elevatorId}/incident`
export const gatewayStatusTopic = (gatewayId: string): string => `${TOPIC_ROOT}/gateways/${gatewayId}/status`
/** broker → subscribers: a gateway's own alarm (offline, grouping its elevators' communication_lost) */
export const gatewayAlarmTopic = (gatewayId: string): string => `${TOPIC_ROOT}/gateways/${gatewayId}/alarm`
/** Where an alarm event is published: its elevator's topic, or its gateway's for scope gateway. */
export const alarmEventTopic = (a: { region: string; elevatorId: string; scope?: 'elevator' | 'gateway' }): string =>
  a.scope === 'gateway' ? gatewayAlarmTopic(a.elevatorId) : alarmTopic(a.region, a.elevatorId)

/** Subscription filters. A detector instance owns whole regions (docs/architecture.md#scaling). */
export const filters = {
  all: `${TOPIC_ROOT}/#`,
  region: (region: string) => `${TOPIC_ROOT}/${region}/#`,
  telemetry: `${TOPIC_ROOT}/+/+/telemetry`,
  availability: `${TOPIC_ROOT}/+/+/availability`,
  /** elevator alarms and gateway alarms (lift/v1/gateways/{gatewayId}/alarm) alike */
  alarms: `${TOPIC_ROOT}/+/+/alarm`,
  gatewayStatus: `${TOPIC_ROOT}/gateways/+/status`,
  incidents: `${TOPIC_ROOT}/+/+/incident`,
} as const

export type ParsedTopic =
  | { kind: ElevatorTopicKind; region: string; elevatorId: string }
  | { kind: 'status'; gatewayId: string }
  | { kind: 'gateway-alarm'; gatewayId: string }

// A broker parses the same few thousand topics over and over (the ACL, then ingest, for every
// publish): a lookup is cheaper than splitting and matching the id patterns. Only topics as short
// as a v1 topic can be are kept, at most MEMO_MAX of them (then the memo starts afresh), so topics
// a client makes up cost bounded memory. Results are frozen: every caller gets the same object.
const MEMO_MAX = 65_536
const MEMO_TOPIC_CHARS = 160
const memo = new Map<string, ParsedTopic | null>()

/** null for anything that is not a well-formed v1 topic (wrong root, bad id, unknown leaf). */
export function parseTopic(topic: string): ParsedTopic | null {
  if (topic.length > MEMO_TOPIC_CHARS) return parse(topic)
  const known = memo.get(topic)
  if (known !== undefined) return known
  const parsed = parse(topic)
  if (memo.size >= MEMO_MAX) memo.clear()
  memo.set(topic, parsed && Object.freeze(parsed))
  return parsed
}

function parse(topic: string): ParsedTopic | null {
  const parts = topic.split('/')
  if (parts.length !== 5 || parts[0] !== 'lift' || parts[1] !== 'v1') return null
  const [, , a, b, leaf] = parts as [string, string, string, string, string]
  if (a === 'gateways') {
    if (!isGatewayId(b)) return null
    return leaf === 'status' ? { kind: 'status', gatewayId: b } : leaf === 'alarm' ? { kind: 'gateway-alarm', gatewayId: b } : null
  }
  if (!isRegion(a) || !isElevatorId(b)) return null
  if (leaf === 'telemetry' || leaf === 'availability' || leaf === 'alarm' || leaf === 'incident') return { kind: leaf, region: a, elevatorId: b }
  return null
}
