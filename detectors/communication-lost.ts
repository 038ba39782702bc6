// 通讯中断 (docs/domain.md#fault-catalogue): no telemetry for 3 heartbeats, or the gateway reports the controller
// unreachable (availability offline), or the gateway itself is offline (its status, or its last
// will). Clears on fresh telemetry, or when the offline report that raised it turns online.
// Raised because the gateway went offline, the alarm is the gateway's (detectors/runtime/inhibit.ts):
// once the gateway is back, an elevator still unreachable gets an alarm of its own, from the
// outage's start — at once when the gateway reports the controller offline, after `returnGraceMs`
// when it just sends nothing.
import { Type, type Static } from '@sinclair/typebox'
import { elevatorOf, type Elevator, type Machine, type Step } from './runtime/lifecycle.ts'
import { F, lost, type LinkState } from './runtime/link.ts'
import { machineDetector } from './runtime/driver.ts'
import type { DetectorInput, Dispatch } from './runtime/types.ts'

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

const raise = (s: State, l: LinkState, cause: Cause, at: number, now: number, silenceMs: number, extra: Record<string, unknown> = {}): Step<State> => {
  const evidence: Record<string, unknown> = { cause, gatewayId: s.gatewayId, lastTelemetryAt: l.at, detectedAt: now, ...extra }
  if (cause === 'silence') evidence.silenceMs = silenceMs
  if (cause === 'availability' && l.availabilityReason) evidence.reason = l.availabilityReason
  return { state: { ...s, raised: true, cause, since: at, backAt: null }, signals: [{ ...s.elevator!, type: 'communication_lost', state: 'raised', at, evidence }] }
}

/** One per configuration and starting state, shared by every elevator; the link is the runtime's (runtime/link.ts). */
class CommunicationLostMachine implements Machine<State> {
  readonly initial: State
  readonly silenceMs: number
  readonly dispatch: Dispatch

  constructor(private readonly cfg: CommunicationLostConfig, raised: boolean) {
    this.initial = { elevator: null, gatewayId: null, raised, cause: null, since: null, backAt: null }
    this.silenceMs = cfg.heartbeatMs * cfg.missedHeartbeats
    // a sample from the same gateway only moves the silence wake-up later, which a pending one no later stands for
    this.dispatch = {
      reads: F.gateway, gapMs: this.silenceMs,
      idle: (s: unknown, _prev: unknown, timerPending: boolean) => !(s as State).raised && (s as State).backAt === null && timerPending,
    }
  }

  input(s: State, i: DetectorInput, now: number, link?: LinkState): Step<State> {
    const elevator = s.elevator ?? elevatorOf(i)
    const backAt = this.backAt(s, i, now)
    const next = elevator === s.elevator && i.gatewayId === s.gatewayId && backAt === s.backAt ? s : { ...s, elevator, gatewayId: i.gatewayId, backAt }
    return this.evaluate(next, now, link!, i.kind === 'telemetry' ? 'telemetry' : `${i.kind} ${i.state}`)
  }

  wake(s: State, now: number, link?: LinkState): Step<State> {
    return this.evaluate(s, now, link!)
  }

  private evaluate(s: State, now: number, l: LinkState, recovery?: string): Step<State> {
    const silenceMs = this.silenceMs
    if (!s.elevator) return { state: s }
    const cause = lost(l, now, silenceMs)
    if (s.raised) {
      if (cause) {
        if (cause === 'gateway' || s.backAt === null) return { state: s }
        // the gateway is back: its next heartbeat shows whether this controller answers
        const due = s.backAt + this.cfg.returnGraceMs
        if (cause === 'silence' && now < due) return { state: s, wakeAt: due }
        return raise(s, l, cause, s.since ?? now, now, silenceMs, { gatewayOnlineAt: s.backAt })
      }
      return {
        state: { ...s, raised: false, cause: null, since: null, backAt: null },
        signals: [{ ...s.elevator, type: 'communication_lost', state: 'cleared', at: now, evidence: { recovery: recovery ?? 'unknown' } }],
      }
    }
    const silentFrom = l.at ?? l.heardAt ?? now
    // offline reports raise at once; silence wakes us when it reaches its limit
    if (!cause) return { state: s, wakeAt: silentFrom + silenceMs }
    const at = cause === 'gateway' ? l.gatewayAt! : cause === 'availability' ? l.availabilityAt! : silentFrom
    return raise(s, l, cause, at, now, silenceMs)
  }

  // the gateway's status: back online while the alarm is (or, taken over, may be) the gateway's; offline again
  private backAt(s: State, i: DetectorInput, now: number): number | null {
    if (i.kind !== 'gateway') return s.backAt
    return i.state === 'online' && s.raised && s.cause !== 'availability' && s.cause !== 'silence' ? s.backAt ?? now : null
  }
}

// machines hold no elevator's data: one per configuration (and starting state) for every elevator
const machines = new WeakMap<CommunicationLostConfig, [CommunicationLostMachine | undefined, CommunicationLostMachine | undefined]>()
function machineFor(cfg: CommunicationLostConfig, raised: boolean): CommunicationLostMachine {
  let pair = machines.get(cfg)
  if (!pair) machines.set(cfg, (pair = [undefined, undefined]))
  return (pair[raised ? 1 : 0] ??= new CommunicationLostMachine(cfg, raised))
}

export const communicationLost = machineDetector({
  id: 'communication-lost',
  types: ['communication_lost'],
  configSchema,
  machine: (cfg, ctx) => {
    const machine = machineFor(cfg, ctx.active.includes('communication_lost'))
    // replayed history says nothing about the link now
    return { machine, replay: false, dispatch: machine.dispatch }
  },
})
