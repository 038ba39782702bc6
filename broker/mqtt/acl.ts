// Who may publish and subscribe what. Pure: a principal, a topic and the registry in, null
// (allowed) or the reason it is refused out.
import { TOPIC_ROOT, parseTopic } from '../../protocol/index.ts'
import type { Registry } from '../registry/registry.ts'
import type { Role } from './config.ts'

/** `anonymous` exists only with allowAnonymous; its username is null. A bridge carries `gateways`. */
export interface Principal { role: Role | 'anonymous'; username: string | null; gateways?: ReadonlySet<string> }

/** A gateway speaks for itself; a bridge for the gateways its user names. */
const speaksFor = (who: Principal, gatewayId: string) => (who.role === 'bridge' ? who.gateways?.has(gatewayId) === true : gatewayId === who.username)

export const PublishRefusal = {
  ReadOnly: 'read-only',                         // monitors publish nothing
  NotV1: 'not-v1-topic',                         // not a topic parseTopic knows
  AlarmTopic: 'alarm-topic',                     // alarms are published by the broker only
  OtherGatewayStatus: 'other-gateway-status',    // a gateway publishes only its own status (a bridge: its gateways')
  UnregisteredElevator: 'unregistered-elevator', // not in the registry
  OtherGatewayElevator: 'other-gateway-elevator',// the registry assigns it to another gateway (not one the bridge carries)
  WrongRegion: 'wrong-region',                   // the topic's region is not the registry's
} as const
export type PublishRefusal = (typeof PublishRefusal)[keyof typeof PublishRefusal]

export const SubscribeRefusal = {
  OutsideV1: 'outside-lift-v1',       // monitors and anonymous clients read lift/v1/… only
  GatewayWildcard: 'gateway-filter',  // a gateway may subscribe only to exact topics it may publish
} as const
export type SubscribeRefusal = (typeof SubscribeRefusal)[keyof typeof SubscribeRefusal]

export function publishRefusal(who: Principal, topic: string, registry: Registry): PublishRefusal | null {
  if (who.role === 'monitor') return PublishRefusal.ReadOnly
  const t = parseTopic(topic)
  if (!t) return PublishRefusal.NotV1
  if (t.kind === 'alarm' || t.kind === 'gateway-alarm') return PublishRefusal.AlarmTopic
  // without an identity there is nothing to check against; ingest still checks payload vs registry
  if (who.role === 'anonymous') return null
  if (t.kind === 'status') return speaksFor(who, t.gatewayId) ? null : PublishRefusal.OtherGatewayStatus
  const e = registry.elevator(t.elevatorId)
  if (!e) return PublishRefusal.UnregisteredElevator
  if (!speaksFor(who, e.gatewayId)) return PublishRefusal.OtherGatewayElevator
  if (e.region !== t.region) return PublishRefusal.WrongRegion
  return null
}

export function subscribeRefusal(who: Principal, filter: string, registry: Registry): SubscribeRefusal | null {
  if (who.role === 'gateway' || who.role === 'bridge') {
    // a gateway (or bridge) reads back at most its own retained state; no wildcards, nothing of others
    const exact = !filter.includes('+') && !filter.includes('#')
    return exact && publishRefusal(who, filter, registry) === null ? null : SubscribeRefusal.GatewayWildcard
  }
  return filter.startsWith(`${TOPIC_ROOT}/`) ? null : SubscribeRefusal.OutsideV1
}
