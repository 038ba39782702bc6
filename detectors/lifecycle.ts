// The alarm lifecycle, in two halves. Inside a detector: a condition goes pending, is raised when
// it has held long enough on fresh data, and is cleared (`runMachine`, `Link`). After the
// detectors: signals become AlarmEvents, raised once per key and cleared once (`AlarmLifecycle`).
// Pure: state in closures, time from the injected scheduler and message `ts`.
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
import { catalogueEntry, type AlarmEvent, type AlarmType } from '../protocol/index.ts'
import type { AlarmSignal, DetectorInput } from './types.ts'

/** What a detector's state machine does with one input or wake-up. */
export interface Step<S> {
  readonly state: S
  readonly signals?: readonly AlarmSignal[]
  /** event time to be woken at (a threshold coming due); null or absent = no wake-up */
  readonly wakeAt?: number | null
}

export interface Machine<S> {
  readonly initial: S
  /** a live input (replayed telemetry is filtered out before), at event time `now` */
  input(state: S, input: DetectorInput, now: number): Step<S>
  /** a wake-up came due: at or after the time a step asked for, or earlier (then ask again) */
  wake(state: S, now: number): Step<S>
}

/**
 * Drives a machine over one elevator's inputs. Event time is the last live telemetry `ts` plus
 * the scheduler time elapsed since it arrived, so thresholds are measured on the gateway's clock
 * whatever its offset from ours, and virtual time runs them in tests. Before any telemetry the
 * scheduler's own clock stands in.
 */
export function runMachine<S>(m: Machine<S>, scheduler: SchedulerLike): OperatorFunction<DetectorInput, AlarmSignal> {
  return (input$) => new Observable<AlarmSignal>((subscriber) => {
    let state = m.initial
    let base: number | null = null
    let baseAt = 0
    let timer: Subscription | null = null
    let timerAt: number | null = null
    const now = () => (base === null ? scheduler.now() : base + (scheduler.now() - baseAt))
    const apply = (step: Step<S>) => {
      state = step.state
      for (const s of step.signals ?? []) subscriber.next(s)
      const at = step.wakeAt ?? null
      // a wake-up already due no later is kept: the machine re-evaluates then and asks again,
      // so a steady stream of heartbeats does not churn timers
      if (timer && at !== null && timerAt !== null && timerAt <= at) return
      timer?.unsubscribe()
      timer = null
      timerAt = at
      if (at === null) return
      timer = scheduler.schedule(() => {
        timer = null
        timerAt = null
        guarded(() => apply(m.wake(state, now())))
      }, Math.max(0, at - now()))
    }
    // an exception in the machine ends this instance with an error; the runtime restarts it
    const guarded = (fn: () => void) => {
      try {
        fn()
      } catch (err) {
        subscriber.error(err)
      }
    }
    const sub = input$.subscribe({
      next: (i) => guarded(() => {
        if (i.kind === 'telemetry') {
          if (i.msg.reason === 'replay') return
          base = i.ts
          baseAt = scheduler.now()
        }
        // a wake-up due by this input's time comes first: the old state held until now
        if (timerAt !== null && now() >= timerAt) apply(m.wake(state, now()))
        apply(m.input(state, i, now()))
      }),
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    })
    return () => {
      sub.unsubscribe()
      timer?.unsubscribe()
    }
  })
}

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

export const alarmKey = (elevatorId: string, type: AlarmType): string => `${elevatorId}:${type}`

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
function base32(n: number, width: number): string {
  let out = ''
  for (let i = 0; i < width; i++) {
    out = CROCKFORD[n % 32]! + out
    n = Math.floor(n / 32)
  }
  return out
}

/**
 * ULID-shaped ids without randomness: 10 characters of milliseconds, 6 of a counter within the
 * millisecond. Sortable by creation; unique within a process and across restarts while the clock
 * moves forward. The clock never steps back here, so a clock correction cannot repeat an id.
 */
export function alarmIds(clock: () => number): () => string {
  let last = -1
  let counter = 0
  return () => {
    const t = Math.max(Math.floor(clock()), last)
    counter = t === last ? counter + 1 : 0
    last = t
    return base32(t, 10) + base32(counter, 6)
  }
}

/**
 * Signals → AlarmEvents: one raised event per key while active, one cleared event with the same
 * id; after a clear the key opens a new alarm with a new id. A repeated raise or a clear of an
 * alarm that is not active returns null.
 */
export class AlarmLifecycle {
  private readonly open = new Map<string, AlarmEvent>()
  private readonly byElevator = new Map<string, Set<AlarmType>>()

  constructor(private readonly newId: () => string) {}

  /** Takes over alarms still active from before (the alarm store after a broker restart). */
  restore(events: readonly AlarmEvent[]): void {
    for (const e of events) {
      if (e.state !== 'raised') continue
      // exactly the protocol's fields: a stored row may carry more (acknowledgement)
      const { v, id, key, type, code, severity, state, elevatorId, region, raisedAt, clearedAt, evidence, drill } = e
      this.track({ v, id, key, type, code, severity, state, elevatorId, region, raisedAt, clearedAt, evidence, drill })
    }
  }

  apply(s: AlarmSignal): AlarmEvent | null {
    const key = alarmKey(s.elevatorId, s.type)
    const current = this.open.get(key)
    if (s.state === 'raised') {
      if (current) return null
      const entry = catalogueEntry(s.type)
      const event: AlarmEvent = {
        v: 1, id: this.newId(), key, type: s.type, code: entry.code, severity: entry.severity, state: 'raised',
        elevatorId: s.elevatorId, region: s.region, raisedAt: s.at, clearedAt: null, evidence: s.evidence, drill: false,
      }
      this.track(event)
      return event
    }
    if (!current) return null
    this.open.delete(key)
    const types = this.byElevator.get(s.elevatorId)
    types?.delete(s.type)
    if (types?.size === 0) this.byElevator.delete(s.elevatorId)
    return { ...current, state: 'cleared', clearedAt: Math.max(s.at, current.raisedAt), evidence: { ...current.evidence, cleared: s.evidence } }
  }

  active(): AlarmEvent[] {
    return [...this.open.values()]
  }

  activeTypes(elevatorId: string): AlarmType[] {
    return [...(this.byElevator.get(elevatorId) ?? [])]
  }

  private track(e: AlarmEvent): void {
    this.open.set(e.key, e)
    const types = this.byElevator.get(e.elevatorId) ?? new Set<AlarmType>()
    types.add(e.type)
    this.byElevator.set(e.elevatorId, types)
  }
}

/** Whom a signal is about, taken from the inputs. */
export interface Elevator { readonly elevatorId: string; readonly region: string }
export const elevatorOf = (i: DetectorInput): Elevator => ({ elevatorId: i.elevatorId, region: i.region })
