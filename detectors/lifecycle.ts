// The alarm lifecycle inside a detector: a condition goes pending, is raised when it has held
// long enough on fresh data, and is cleared (`runMachine`, `Link`). What happens to the signals
// after the detectors is alarms.ts. Pure: state in closures, time from the injected scheduler
// and message `ts`.
import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
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

/** A machine's state right after a live telemetry sample, kept to replay history from. */
interface Snapshot<S> { readonly state: S; readonly wakeAt: number | null; readonly ts: number }

export interface RunOptions {
  /** evaluate replayed history in event time (default true); false = ignore it */
  readonly replay?: boolean
}

/** live samples this far apart (1.5 heartbeats) mean the data had a gap */
const GAP_MS = 15_000
/** scheduler time without replayed history that ends a replay session */
const REPLAY_IDLE_MS = 10_000
/** live samples kept during a replay session to bring a handed-over alarm up to date */
const MAX_LIVE_KEPT = 1_000

/** A later wake-up does not replace an earlier one still pending; null (no wake-up) does. */
const nextWake = (current: number | null, asked: number | null | undefined): number | null =>
  asked !== null && asked !== undefined && current !== null && current <= asked ? current : asked ?? null

/**
 * Drives a machine over one elevator's inputs. Event time is the last live telemetry `ts` plus
 * the scheduler time elapsed since it arrived, so thresholds are measured on the gateway's clock
 * whatever its offset from ours, and virtual time runs them in tests. Before any telemetry the
 * scheduler's own clock stands in.
 *
 * Telemetry a gateway replays from its outbox after an outage (`reason: "replay"`) is history:
 * it runs through a second copy of the machine, started from the state at the last live sample
 * before the gap and timed by the samples' own `ts`, so a condition that held during the outage
 * is raised with its true start, flagged `late`. When the history ends, an alarm it left raised
 * is handed to the live machine, which clears it when the condition ends.
 */
export function runMachine<S extends { readonly raised: unknown }>(m: Machine<S>, scheduler: SchedulerLike, opts: RunOptions = {}): OperatorFunction<DetectorInput, AlarmSignal> {
  return (input$) => new Observable<AlarmSignal>((subscriber) => {
    let state = m.initial
    let base: number | null = null
    let baseAt = 0
    let timer: Subscription | null = null
    let timerAt: number | null = null
    let lastLive: Snapshot<S> | null = null
    let beforeGap: Snapshot<S> | null = null
    let history: { state: S; wakeAt: number | null; lastTs: number; idle: Subscription | null; liveSince: DetectorInput[] } | null = null
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
    const replayed = (i: Extract<DetectorInput, { kind: 'telemetry' }>) => {
      if (!history) {
        // the last live sample older than this history is where it starts
        const from = [beforeGap, lastLive].find((x) => x && x.ts <= i.ts) ?? null
        history = { state: from?.state ?? m.initial, wakeAt: from?.wakeAt ?? null, lastTs: from?.ts ?? -Infinity, idle: null, liveSince: [] }
      }
      const h = history
      h.idle?.unsubscribe()
      h.idle = scheduler.schedule(() => guarded(endHistory), REPLAY_IDLE_MS)
      if (i.ts <= h.lastTs) return
      const late = (step: Step<S>) => {
        h.state = step.state
        h.wakeAt = nextWake(h.wakeAt, step.wakeAt)
        for (const s of step.signals ?? []) subscriber.next({ ...s, late: true })
      }
      // thresholds that came due between two samples of history, at their own time
      for (let n = 0; h.wakeAt !== null && h.wakeAt <= i.ts && n < 100; n++) {
        const at = h.wakeAt
        h.wakeAt = null
        late(m.wake(h.state, at))
      }
      late(m.input(h.state, i, i.ts))
      h.lastTs = i.ts
    }
    // an alarm the history left raised goes to the live state: the history's state, brought up
    // to date with the live samples that came meanwhile, so the live machine clears it
    const endHistory = () => {
      const h = history
      history = null
      if (!h?.state.raised || state.raised) return
      const since = h.liveSince
      state = h.state
      for (const i of since) if (i.ts > h.lastTs) apply(m.input(state, i, i.ts))
    }
    const sub = input$.subscribe({
      next: (i) => guarded(() => {
        if (i.kind === 'telemetry') {
          if (i.msg.reason === 'replay') {
            if (opts.replay !== false) replayed(i)
            return
          }
          if (lastLive && i.ts - lastLive.ts > GAP_MS) beforeGap = lastLive
          if (history && history.liveSince.length < MAX_LIVE_KEPT) history.liveSince.push(i)
          base = i.ts
          baseAt = scheduler.now()
        }
        // a wake-up due by this input's time comes first: the old state held until now
        if (timerAt !== null && now() >= timerAt) apply(m.wake(state, now()))
        apply(m.input(state, i, now()))
        if (i.kind === 'telemetry') lastLive = { state, wakeAt: timerAt, ts: i.ts }
      }),
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    })
    return () => {
      sub.unsubscribe()
      timer?.unsubscribe()
      history?.idle?.unsubscribe()
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

/** Whom a signal is about, taken from the inputs. */
export interface Elevator { readonly elevatorId: string; readonly region: string }
export const elevatorOf = (i: DetectorInput): Elevator => ({ elevatorId: i.elevatorId, region: i.region })
