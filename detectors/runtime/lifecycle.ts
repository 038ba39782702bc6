// The alarm lifecycle inside a detector: a condition goes pending, is raised when it has held
// long enough on fresh data, and is cleared (`runMachine`, `Link`). What happens to the signals
// after the detectors is alarms.ts. Pure: state in closures, time from the injected scheduler
// and message `ts`.
import type { Telemetry } from '../../protocol/index.ts'
import type { AlarmSignal, DetectorInput } from './types.ts'
import type { Learned } from './learned.ts'
import type { LinkState } from './link.ts'

/** What a detector's state machine does with one input or wake-up. */
export interface Step<S> {
  readonly state: S
  readonly signals?: readonly AlarmSignal[]
  /** event time to be woken at (a threshold coming due); null or absent = no wake-up */
  readonly wakeAt?: number | null
}

export interface Machine<S> {
  readonly initial: S
  /**
   * a live input (replayed telemetry is filtered out before), at event time `now`; `link` is the
   * elevator's link with this input already in it (link.ts), which the driver always passes
   */
  input(state: S, input: DetectorInput, now: number, link?: LinkState): Step<S>
  /** a wake-up came due: at or after the time a step asked for, or earlier (then ask again) */
  wake(state: S, now: number, link?: LinkState): Step<S>
  /** what it learns that should survive a restart (learned.ts); absent = nothing */
  readonly learned?: Learned<S>
  /**
   * With `Dispatch.band`: writes to `out[at]`, `out[at + 1]` the lowest and highest value of
   * that field that, in place of `last`'s, would leave `state` as it is (NaN: none), for a
   * state the dispatch's `idle` has judged a repeat of `last` leaves as it is
   */
  band?(state: S, last: Telemetry, out: number[], at: number): void
}

export { runMachine, type RunOptions } from './driver.ts'

/** What is known about the path from controller to broker for one elevator. */
export interface Link {
  /** ts of the last live telemetry */
  readonly telemetryAt: number | null
  /** when this instance first heard of the elevator: silence counts from here before any telemetry */
  readonly heardAt: number | null
  readonly availabilityOffline: { readonly at: number; readonly reason?: string } | null
  readonly gatewayOffline: { readonly at: number } | null
}

export const LINK_UNKNOWN: Link = { telemetryAt: null, heardAt: null, availabilityOffline: null, gatewayOffline: null }

export function linkStep(l: Link, i: DetectorInput, now: number): Link {
  const heardAt = l.heardAt ?? now
  switch (i.kind) {
    case 'telemetry':
      // a sample proves both the gateway and the controller answer
      return { telemetryAt: i.ts, heardAt, availabilityOffline: null, gatewayOffline: null }
    case 'availability':
      return {
        ...l, heardAt,
        availabilityOffline: i.state === 'online' ? null : l.availabilityOffline ?? { at: i.ts, ...(i.reason ? { reason: i.reason } : {}) },
      }
    case 'gateway':
      return { ...l, heardAt, gatewayOffline: i.state === 'online' ? null : l.gatewayOffline ?? { at: i.ts } }
  }
}

/** Why the elevator's data cannot be trusted at `now`, or null when it is fresh. */
export function linkLost(l: Link, now: number, silenceMs: number): 'availability' | 'gateway' | 'silence' | null {
  if (l.gatewayOffline) return 'gateway'
  if (l.availabilityOffline) return 'availability'
  const last = l.telemetryAt ?? l.heardAt
  return last === null || now - last >= silenceMs ? 'silence' : null
}

export const isFresh = (l: Link, now: number, staleAfterMs: number): boolean =>
  l.telemetryAt !== null && linkLost(l, now, staleAfterMs) === null

/** Whom a signal is about, taken from the inputs. */
export interface Elevator { readonly elevatorId: string; readonly region: string }
export const elevatorOf = (i: DetectorInput): Elevator => ({ elevatorId: i.elevatorId, region: i.region })
