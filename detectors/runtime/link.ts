// One elevator's link, kept once for all its detectors (docs/detectors-benchmark.md#issue-14-second-pass-one-link-state-change-driven-dispatch):
// the last live telemetry and the one before it, offline reports, the event clock's base. The
// runtime writes it before its detectors step on an input; the machines read it instead of
// keeping copies of their own. And which telemetry fields changed from the previous live sample,
// so that a detector none of whose fields changed, in a state a repeat cannot move, is skipped.
import type { SchedulerLike } from 'rxjs'
import type { Telemetry } from '../../protocol/index.ts'
import type { DetectorInput } from './types.ts'
import { onTrip } from './stop.ts'

/** Bits of `LinkState.changed`: a telemetry field, or a fact derived from several. */
export const F = {
  floor: 1 << 0, floorIndex: 1 << 1, position: 1 << 2, speed: 1 << 3, direction: 1 << 4, moving: 1 << 5, door: 1 << 6,
  doorZone: 1 << 7, occupied: 1 << 8, load: 1 << 9, alarmButton: 1 << 10, safetyCircuit: 1 << 11, mode: 1 << 12, power: 1 << 13,
  upLimit: 1 << 14, downLimit: 1 << 15, faultCode: 1 << 16, faultType: 1 << 17,
  /** onTrip (stop.ts) of the sample */
  trip: 1 << 18,
  /** the gateway serving the elevator */
  gateway: 1 << 19,
} as const
/** every bit: a detector that reads everything */
export const ALL_FIELDS = (1 << 20) - 1

/** The fields of `t` that differ from `p`. */
export function changedFields(t: Telemetry, p: Telemetry): number {
  let c = 0
  if (t.floor !== p.floor) c |= F.floor
  if (t.floorIndex !== p.floorIndex) c |= F.floorIndex
  if (t.position !== p.position) c |= F.position
  if (t.speed !== p.speed) c |= F.speed
  if (t.direction !== p.direction) c |= F.direction
  if (t.moving !== p.moving) c |= F.moving
  if (t.door !== p.door) c |= F.door
  if (t.doorZone !== p.doorZone) c |= F.doorZone
  if (t.occupied !== p.occupied) c |= F.occupied
  if (t.load !== p.load) c |= F.load
  if (t.alarmButton !== p.alarmButton) c |= F.alarmButton
  if (t.safetyCircuit !== p.safetyCircuit) c |= F.safetyCircuit
  if (t.mode !== p.mode) c |= F.mode
  if (t.power !== p.power) c |= F.power
  if (t.upLimit !== p.upLimit) c |= F.upLimit
  if (t.downLimit !== p.downLimit) c |= F.downLimit
  if (t.faultCode !== p.faultCode) c |= F.faultCode
  if (t.faultType !== p.faultType) c |= F.faultType
  if (onTrip(t) !== onTrip(p)) c |= F.trip
  return c
}

/** `offline` bits: the availability topic or the gateway reports offline. */
export const AVAILABILITY_OFFLINE = 1
export const GATEWAY_OFFLINE = 2

type TelemetryInput = Extract<DetectorInput, { kind: 'telemetry' }>

/**
 * What is known about the path from controller to broker for one elevator (lifecycle.ts `Link`
 * as one mutable record). During a telemetry step `at`/`last` are that sample and
 * `prevAt`/`prev`/`prevOffline` what held before it.
 */
export class LinkState {
  /** input ts of the last live telemetry; null = none yet */
  at: number | null = null
  last: Telemetry | null = null
  /** the input that brought `last` */
  lastInput: TelemetryInput | null = null
  prevAt: number | null = null
  prev: Telemetry | null = null
  prevInput: TelemetryInput | null = null
  /** the offline bits before the last live telemetry cleared them */
  prevOffline = 0
  /** first offline report of the availability topic since the last online or telemetry; null = none */
  availabilityAt: number | null = null
  availabilityReason: string | undefined = undefined
  gatewayAt: number | null = null
  /** event time of the first input: silence counts from here before any telemetry */
  heardAt: number | null = null
  gatewayId: string | null = null
  /** fields changed by the last live telemetry from the one before (ALL_FIELDS when there was none) */
  changed = ALL_FIELDS
  /** the event clock: the last live telemetry's ts, and the scheduler's time when it came */
  base: number | null = null
  baseAt = 0
  /** the gateway's clock minus ours, at the last live telemetry */
  skew = 0

  get offline(): number {
    return (this.availabilityAt === null ? 0 : AVAILABILITY_OFFLINE) | (this.gatewayAt === null ? 0 : GATEWAY_OFFLINE)
  }

  /** Event time: the last live telemetry's ts plus the scheduler time since it came. */
  now(scheduler: SchedulerLike): number {
    return this.base === null ? scheduler.now() : this.base + (scheduler.now() - this.baseAt)
  }

  /** A live input (replayed telemetry is history: it goes to `history`, not here). */
  live(i: DetectorInput, scheduler: SchedulerLike): void {
    if (i.kind === 'telemetry') {
      this.base = i.ts
      this.baseAt = scheduler.now()
      this.skew = (i.gatewayTs ?? i.ts) - i.ts
    }
    this.heardAt ??= this.now(scheduler)
    this.step(i)
  }

  /** A sample of replayed history, on its own clock (`now` = its ts). */
  history(i: TelemetryInput): void {
    this.heardAt ??= i.ts
    this.step(i)
  }

  /** The link as it stood right after live sample `i` came (history starts from there). */
  static after(i: TelemetryInput | null): LinkState {
    const l = new LinkState()
    if (i === null) return l
    l.at = i.ts
    l.last = i.msg
    l.lastInput = i
    l.heardAt = i.ts
    l.gatewayId = i.gatewayId
    return l
  }

  copy(): LinkState {
    return Object.assign(new LinkState(), this)
  }

  private step(i: DetectorInput): void {
    if (i.kind === 'telemetry') {
      const t = i.msg
      const p = this.last
      this.changed = p === null ? ALL_FIELDS : changedFields(t, p) | (i.gatewayId === this.gatewayId ? 0 : F.gateway)
      this.prevAt = this.at
      this.prev = p
      this.prevInput = this.lastInput
      this.prevOffline = this.offline
      this.at = i.ts
      this.last = t
      this.lastInput = i
      // a sample proves both the gateway and the controller answer
      this.availabilityAt = null
      this.availabilityReason = undefined
      this.gatewayAt = null
    } else if (i.kind === 'availability') {
      if (i.state === 'online') {
        this.availabilityAt = null
        this.availabilityReason = undefined
      } else if (this.availabilityAt === null) {
        this.availabilityAt = i.ts
        this.availabilityReason = i.reason
      }
    } else if (i.state === 'online') {
      this.gatewayAt = null
    } else {
      this.gatewayAt ??= i.ts
    }
    this.gatewayId = i.gatewayId
  }
}

/** Why the elevator's data cannot be trusted at `now` (lifecycle.ts `linkLost` on the shared link). */
export function lost(l: LinkState, now: number, silenceMs: number): 'availability' | 'gateway' | 'silence' | null {
  if (l.gatewayAt !== null) return 'gateway'
  if (l.availabilityAt !== null) return 'availability'
  const last = l.at ?? l.heardAt
  return last === null || now - last >= silenceMs ? 'silence' : null
}

/** Fresh data at `now` (lifecycle.ts `isFresh`). */
export const fresh = (l: LinkState, now: number, staleAfterMs: number): boolean =>
  l.at !== null && l.gatewayAt === null && l.availabilityAt === null && now - l.at < staleAfterMs

/** Whether the data was fresh just before the current telemetry: what `isFresh` said of the link before it. */
export const freshBefore = (l: LinkState, now: number, staleAfterMs: number): boolean =>
  l.prevAt !== null && l.prevOffline === 0 && now - l.prevAt < staleAfterMs
