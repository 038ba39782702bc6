// Per elevator: decoded samples in, v1 messages out. A change goes out at once, a heartbeat when
// nothing was sent for heartbeatMs, availability on the transitions. No I/O, no clock of its own.
import {
  type Availability, type ControllerState, type PointValue, type Problem, type Profile, type ProfileFacts, type SpeedSign,
  availabilityTopic, telemetryMessage, telemetryTopic, validateTelemetry,
} from '../protocol/index.ts'
import { changed, deriveState, type Deadband, type Landing } from './telemetry.ts'

// How long a trip's first samples may wait for their direction (position not moved yet, speed
// still 0) before the gateway says moving with direction none after all.
export const DIRECTION_WAIT_MS = 1000

/** A message to publish, with what the gateway's own metrics need of it already typed. */
export type OutMessage = { topic: string; payload: string; elevatorId: string } & (
  | { kind: 'change' | 'heartbeat'; retain: false }
  | { kind: 'availability'; retain: true; state: 'online' | 'offline' }
)

export interface ReporterOptions {
  elevatorId: string
  region: string
  gatewayId: string
  boot: string
  heartbeatMs: number
  offlineAfterFailures: number
  deadband: Deadband
  landings?: readonly Landing[]
  /** what a negative speed means (speedSignOf(profile)) */
  speedSign?: SpeedSign
  /** the profile's controller fault code → catalogue type, published as faultType */
  faultCodes?: Profile['faultCodes']
  /** a message the v1 contract rejects: never published, never given a seq */
  onInvalid?: (problems: Problem[], state: ControllerState) => void
}

export class ElevatorReporter {
  private seq = 0
  private points: Record<string, PointValue> = {}
  private last: { state: ControllerState; ts: number } | undefined
  private sent: ControllerState | undefined
  private sentAt = -Infinity
  private available: 'online' | 'offline' | undefined
  private availabilityMsg: OutMessage | undefined
  /** when the trip whose direction is not known yet began */
  private undirectedSince: number | undefined
  private readonly telemetryTopic: string
  private readonly availabilityTopic: string

  constructor(private readonly o: ReporterOptions) {
    this.telemetryTopic = telemetryTopic(o.region, o.elevatorId)
    this.availabilityTopic = availabilityTopic(o.region, o.elevatorId)
  }

  /** A poll that read at least one point. Points that failed this time keep their last value. */
  sample(decoded: Readonly<Record<string, PointValue>>, ts: number): OutMessage[] {
    const out: OutMessage[] = []
    if (this.available !== 'online') out.push(this.setAvailability('online', ts))
    Object.assign(this.points, decoded)
    const state = deriveState(this.points, ts, { landings: this.o.landings, prev: this.last, speedSign: this.o.speedSign })
    this.last = { state, ts }
    if (this.directionPending(state, ts)) return out
    const isChange = !this.sent || changed(this.sent, state, this.o.deadband)
    if (isChange || ts - this.sentAt >= this.o.heartbeatMs) {
      const m = this.telemetry(state, ts, isChange ? 'change' : 'heartbeat')
      if (m) out.push(m)
    }
    return out
  }

  /**
   * A trip's first samples, before the position has moved or the speed has a sign, cannot tell
   * the direction: they wait (up to DIRECTION_WAIT_MS) instead of saying moving with direction none.
   */
  private directionPending(state: ControllerState, ts: number): boolean {
    if (!state.moving || state.direction !== 'none' || state.position === null || this.sent?.moving) {
      this.undirectedSince = undefined
      return false
    }
    this.undirectedSince ??= ts
    return ts - this.undirectedSince < DIRECTION_WAIT_MS
  }

  /** A poll that read nothing; `consecutive` counts them since the last success. */
  failure(consecutive: number, reason: string, ts: number): OutMessage[] {
    if (consecutive < this.o.offlineAfterFailures || this.available === 'offline') return []
    // the next success must be reported as a change, not deduplicated against stale state
    this.sent = undefined
    return [this.setAvailability('offline', ts, reason)]
  }

  /** The retained availability to republish after a reconnect, if known. */
  currentAvailability(): OutMessage | undefined {
    return this.availabilityMsg
  }

  get state(): ControllerState | undefined { return this.last?.state }
  get availability(): 'online' | 'offline' | undefined { return this.available }

  private telemetry(state: ControllerState, ts: number, reason: 'change' | 'heartbeat'): OutMessage | undefined {
    const facts: ProfileFacts = state.faultCode !== 0 && this.o.faultCodes ? { faultType: this.o.faultCodes[state.faultCode] ?? null } : {}
    const msg = telemetryMessage({ ts, seq: this.seq, boot: this.o.boot, gateway: this.o.gatewayId, reason }, { ...state, ...facts })
    const v = validateTelemetry(msg)
    if (!v.ok) {
      this.o.onInvalid?.(v.problems, state)
      return undefined
    }
    this.seq++
    const payload = JSON.stringify(msg)
    this.sent = state
    this.sentAt = ts
    return { topic: this.telemetryTopic, payload, elevatorId: this.o.elevatorId, retain: false, kind: reason }
  }

  private setAvailability(state: 'online' | 'offline', ts: number, reason?: string): OutMessage {
    this.available = state
    const msg: Availability = { v: 1, ts, state, gateway: this.o.gatewayId, ...(reason ? { reason } : {}) }
    this.availabilityMsg = { topic: this.availabilityTopic, payload: JSON.stringify(msg), elevatorId: this.o.elevatorId, retain: true, kind: 'availability', state }
    return this.availabilityMsg
  }
}
