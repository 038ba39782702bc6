// 通讯中断 (docs/domain.md#fault-catalogue): no telemetry for 3 heartbeats, or the gateway reports the controller
// unreachable (availability offline), or the gateway itself is offline (its status, or its last
// will). Clears on fresh telemetry, or when the offline report that raised it turns online.
import { Type, type Static } from '@sinclair/typebox'
import { LINK_UNKNOWN, elevatorOf, linkLost, linkStep, type Elevator, type Link, type Machine, type Step } from './runtime/lifecycle.ts'
import { machineDetector } from './runtime/driver.ts'

const configSchema = Type.Object({
  heartbeatMs: Type.Integer({ minimum: 100, default: 10_000, description: "the gateways' heartbeat interval" }),
  missedHeartbeats: Type.Integer({ minimum: 1, default: 3, description: 'silent this many heartbeats = communication lost' }),
}, { additionalProperties: false })
export type CommunicationLostConfig = Static<typeof configSchema>

interface State {
  readonly link: Link
  readonly elevator: Elevator | null
  /** the gateway serving the elevator, for grouping by gateway (detectors/runtime/inhibit.ts) */
  readonly gatewayId: string | null
  readonly raised: boolean
}

function machine(cfg: CommunicationLostConfig, raised: boolean): Machine<State> {
  const silenceMs = cfg.heartbeatMs * cfg.missedHeartbeats
  const evaluate = (s: State, now: number, recovery?: string): Step<State> => {
    const l = s.link
    if (!s.elevator) return { state: s }
    const cause = linkLost(l, now, silenceMs)
    if (s.raised) {
      if (cause) return { state: s }
      return {
        state: { ...s, raised: false },
        signals: [{ ...s.elevator, type: 'communication_lost', state: 'cleared', at: now, evidence: { recovery: recovery ?? 'unknown' } }],
      }
    }
    const silentFrom = l.telemetryAt ?? l.heardAt ?? now
    // offline reports raise at once; silence wakes us when it reaches its limit
    if (!cause) return { state: s, wakeAt: silentFrom + silenceMs }
    const at = cause === 'gateway' ? l.gatewayOffline!.at : cause === 'availability' ? l.availabilityOffline!.at : silentFrom
    const evidence: Record<string, unknown> = { cause, gatewayId: s.gatewayId, lastTelemetryAt: l.telemetryAt, detectedAt: now }
    if (cause === 'silence') evidence.silenceMs = silenceMs
    if (cause === 'availability' && l.availabilityOffline?.reason) evidence.reason = l.availabilityOffline.reason
    return { state: { ...s, raised: true }, signals: [{ ...s.elevator, type: 'communication_lost', state: 'raised', at, evidence }] }
  }
  return {
    initial: { link: LINK_UNKNOWN, elevator: null, gatewayId: null, raised },
    input: (s, i, now) => evaluate(
      { ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i), gatewayId: i.gatewayId },
      now,
      i.kind === 'telemetry' ? 'telemetry' : `${i.kind} ${i.state}`,
    ),
    wake: (s, now) => evaluate(s, now),
  }
}

export const communicationLost = machineDetector({
  id: 'communication-lost',
  types: ['communication_lost'],
  configSchema,
  // replayed history says nothing about the link now
  machine: (cfg, ctx) => ({ machine: machine(cfg, ctx.active.includes('communication_lost')), replay: false }),
})
