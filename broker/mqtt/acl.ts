// Who may publish and subscribe what. Pure: a principal, a topic and the registry in, null
// (allowed) or the reason it is refused out.
import { TOPIC_ROOT, isRegion, parseTopic } from '../../protocol/index.ts'
import type { Registry } from '../registry/registry.ts'
import { inScope } from '../accounts/scope.ts'
import type { Role } from './config.ts'

/** `anonymous` exists only with allowAnonymous; its username is null. A bridge carries `gateways`, a scoped monitor its `scope`. */
export interface Principal { role: Role | 'anonymous'; username: string | null; gateways?: ReadonlySet<string>; scope?: { region: string } }

/** A gateway speaks for itself; a bridge for the gateways its user names. */
const speaksFor = (who: Principal, gatewayId: string) => (who.role === 'bridge' ? who.gateways?.has(gatewayId) === true : gatewayId === who.username)

export const PublishRefusal = {
  ReadOnly: 'read-only',                         // monitors publish nothing
  NotV1: 'not-v1-topic',                         // not a topic parseTopic knows
  AlarmTopic: 'alarm-topic',                     // alarms and incidents are published by the broker only
  OtherGatewayStatus: 'other-gateway-status',    // a gateway publishes only its own status (a bridge: its gateways')
  UnregisteredElevator: 'unregistered-elevator', // not in the registry
  OtherGatewayElevator: 'other-gateway-elevator',// the registry assigns it to another gateway (not one the bridge carries)
  WrongRegion: 'wrong-region',                   // the topic's region is not the registry's
} as const
export type PublishRefusal = (typeof PublishRefusal)[keyof typeof PublishRefusal]

export const SubscribeRefusal = {
  OutsideV1: 'outside-lift-v1',       // monitors and anonymous clients read lift/v1/… only
  GatewayWildcard: 'gateway-filter',  // a gateway may subscribe only to exact topics it may publish
  OutsideScope: 'outside-scope',      // a scoped monitor names a county other than its scope's
} as const
export type SubscribeRefusal = (typeof SubscribeRefusal)[keyof typeof SubscribeRefusal]

export function publishRefusal(who: Principal, topic: string, registry: Registry): PublishRefusal | null {
  if (who.role === 'monitor') return PublishRefusal.ReadOnly
  const t = parseTopic(topic)
  if (!t) return PublishRefusal.NotV1
  if (t.kind === 'alarm' || t.kind === 'gateway-alarm' || t.kind === 'incident') return PublishRefusal.AlarmTopic
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
  if (!filter.startsWith(`${TOPIC_ROOT}/`)) return SubscribeRefusal.OutsideV1
  // topics carry the 6-digit county code: a filter naming a county is refused unless the scope lies
  // in it; wildcards (and lift/v1/gateways/…) are allowed and cut per message by forwardedPayload
  const county = filter.split('/')[2]!
  if (who.scope && isRegion(county) && !who.scope.region.startsWith(county)) return SubscribeRefusal.OutsideScope
  return null
}

/**
 * What a monitor scoped to a region prefix receives of a message its filter matched: an elevator's
 * message only when the registry puts the elevator in the scope (its village, township or county
 * code, broker/accounts/scope.ts); a gateway's status or alarm only when the gateway serves an
 * elevator in the scope, with the payload's `elevators` list cut to those. null: not forwarded.
 */
export function forwardedPayload(scope: { region: string }, topic: string, payload: Buffer, registry: Registry): Buffer | null {
  const t = parseTopic(topic)
  if (!t) return null
  if (t.kind !== 'status' && t.kind !== 'gateway-alarm') {
    const e = registry.elevator(t.elevatorId)
    return e && inScope(scope, e) ? payload : null
  }
  const mine = new Set(registry.byGateway(t.gatewayId).filter((e) => inScope(scope, e)).map((e) => e.id))
  if (mine.size === 0) return null
  let body: unknown
  try {
    body = JSON.parse(payload.toString('utf8'))
  } catch {
    // a payload that cannot be cut is not forwarded: it might list elevators of other regions
    return null
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null
  const listed = (body as { elevators?: unknown }).elevators
  if (listed === undefined) return payload
  if (!Array.isArray(listed)) return null
  const kept = listed.filter((id) => mine.has(id as string))
  return kept.length === listed.length ? payload : Buffer.from(JSON.stringify({ ...body, elevators: kept }))
}
