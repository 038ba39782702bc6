// 通讯中断 (docs/domain.md#fault-catalogue): no telemetry for 3 heartbeats, or the gateway reports the controller
// unreachable (availability offline), or the gateway itself is offline (its status, or its last
// will). Clears on fresh telemetry, or when the offline report that raised it turns online.
// Raised because the gateway went offline, the alarm is the gateway's (detectors/runtime/inhibit.ts):
// once the gateway is back, an elevator still unreachable gets an alarm of its own, from the
// outage's start — at once when the gateway reports the controller offline, after `returnGraceMs`
// when it just sends nothing.
import { Type, type Static } from '@sinclair/typebox'
import { LINK_UNKNOWN, elevatorOf, linkLost, linkStep, type Elevator, type Link, type Machine, type Step } from './runtime/lifecycle.ts'
import { machineDetector } from './runtime/driver.ts'
import type { DetectorInput } from './runtime/types.ts'

const configSchema = Type.Object({
  heartbeatMs: Type.Integer({ minimum: 100, default: 10_000, description: "the gateways' heartbeat interval" }),
  missedHeartbeats: Type.Integer({ minimum: 1, default: 3, description: 'silent this many heartbeats = communication lost' }),
  returnGraceMs: Type.Integer({
    minimum: 0, default: 15_000,
    description: 'after its gateway is back, an elevator sending no live telemetry this long is unreachable on its own (one heartbeat, plus polling and commit time)',
  }),
}, { additionalProperties: false })
export type CommunicationLostConfig = Static<typeof configSchema>

interface State {
  readonly link: Link
  readonly elevator: Elevator | null
  /** the gateway serving the elevator, for grouping by gateway (detectors/runtime/inhibit.ts) */
  readonly gatewayId: string | null
  readonly raised: boolean
  /** why it was raised; null when taken over already raised (restart) */
  readonly cause: Cause | null
  /** event time the outage began: the raise's `at` */
  readonly since: number | null
  /** when the gateway came back while the alarm was (or may be) the gateway's */
  readonly backAt: number | null
}

type Cause = 'gateway' | 'availability' | 'silence'

const raise = (s: State, cause: Cause, at: number, now: number, silenceMs: number, extra: Record<string, unknown> = {}): Step<State> => {
  const l = s.link
  const evidence: Record<string, unknown> = { cause, gatewayId: s.gatewayId, lastTelemetryAt: l.telemetryAt, detectedAt: now, ...extra }
  if (cause === 'silence') evidence.silenceMs = silenceMs
  if (cause === 'availability' && l.availabilityOffline?.reason) evidence.reason = l.availabilityOffline.reason
  return { state: { ...s, raised: true, cause, since: at, backAt: null }, signals: [{ ...s.elevator!, type: 'communication_lost', state: 'raised', at, evidence }] }
}

function machine(cfg: CommunicationLostConfig, raised: boolean): Machine<State> {
  const silenceMs = cfg.heartbeatMs * cfg.missedHeartbeats
  const evaluate = (s: State, now: number, recovery?: string): Step<State> => {
    const l = s.link
    if (!s.elevator) return { state: s }
    const cause = linkLost(l, now, silenceMs)
    if (s.raised) {
      if (cause) {
        if (cause === 'gateway' || s.backAt === null) return { state: s }
        // the gateway is back: its next heartbeat shows whether this controller answers
        const due = s.backAt + cfg.returnGraceMs
        if (cause === 'silence' && now < due) return { state: s, wakeAt: due }
        return raise(s, cause, s.since ?? now, now, silenceMs, { gatewayOnlineAt: s.backAt })
      }
      return {
        state: { ...s, raised: false, cause: null, since: null, backAt: null },
        signals: [{ ...s.elevator, type: 'communication_lost', state: 'cleared', at: now, evidence: { recovery: recovery ?? 'unknown' } }],
      }
    }
    const silentFrom = l.telemetryAt ?? l.heardAt ?? now
    // offline reports raise at once; silence wakes us when it reaches its limit
    if (!cause) return { state: s, wakeAt: silentFrom + silenceMs }
    const at = cause === 'gateway' ? l.gatewayOffline!.at : cause === 'availability' ? l.availabilityOffline!.at : silentFrom
    return raise(s, cause, at, now, silenceMs)
  }
  // the gateway's status: back online while the alarm is (or, taken over, may be) the gateway's; offline again
  const backAt = (s: State, i: DetectorInput, now: number): number | null => {
    if (i.kind !== 'gateway') return s.backAt
    return i.state === 'online' && s.raised && s.cause !== 'availability' && s.cause !== 'silence' ? s.backAt ?? now : null
  }
  return {
    initial: { link: LINK_UNKNOWN, elevator: null, gatewayId: null, raised, cause: null, since: null, backAt: null },
    input: (s, i, now) => evaluate(
      { ...s, link: linkStep(s.link, i, now), elevator: s.elevator ?? elevatorOf(i), gatewayId: i.gatewayId, backAt: backAt(s, i, now) },
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
