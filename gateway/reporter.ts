// Per elevator: decoded samples in, v1 messages out. A change goes out at once, a heartbeat when
// nothing was sent for heartbeatMs, availability on the transitions. No I/O, no clock of its own.
import {
  type Availability, type ControllerState, type PointValue,
  availabilityTopic, encodeTelemetry, telemetryTopic,
} from '../protocol/index.ts'
import { changed, deriveState, type Deadband, type Landing } from './telemetry.ts'

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
}

export class ElevatorReporter {
  private seq = 0
  private points: Record<string, PointValue> = {}
  private last: { state: ControllerState; ts: number } | undefined
  private sent: ControllerState | undefined
  private sentAt = -Infinity
  private available: 'online' | 'offline' | undefined
  private availabilityMsg: OutMessage | undefined
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
    const state = deriveState(this.points, ts, { landings: this.o.landings, prev: this.last })
    this.last = { state, ts }
    const isChange = !this.sent || changed(this.sent, state, this.o.deadband)
    if (isChange || ts - this.sentAt >= this.o.heartbeatMs) {
      out.push(this.telemetry(state, ts, isChange ? 'change' : 'heartbeat'))
    }
    return out
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

  private telemetry(state: ControllerState, ts: number, reason: 'change' | 'heartbeat'): OutMessage {
    const payload = encodeTelemetry({ ts, seq: this.seq++, boot: this.o.boot, gateway: this.o.gatewayId, reason }, state)
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
