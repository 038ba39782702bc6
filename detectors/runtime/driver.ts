// Drives one detector machine over one elevator's inputs. A class with its methods on the
// prototype and no closures per instance: the broker holds one per detector per elevator, for
// thousands of elevators. `runMachine` wraps it as the stream transform of the detector contract.
import { Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs'
import type { Machine, Step } from './lifecycle.ts'
import type { Static, TSchema } from '@sinclair/typebox'
import type { AlarmSignal, Detector, DetectorContext, DetectorInput, DetectorMachine } from './types.ts'
import { restoreFrom, snapshotOf, type LearnedDrop, type LearnedRecord } from './learned.ts'

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

type Telemetry = Extract<DetectorInput, { kind: 'telemetry' }>

interface History<S> {
  state: S
  wakeAt: number | null
  lastTs: number
  /** the gateway's clock minus ours for the replayed sample being evaluated */
  skew: number
  idle: Subscription | null
  liveSince: DetectorInput[]
}

/** Where a driver's signals and late failures go (an object, so a driver needs no closures). */
export interface DriverSink {
  signal(s: AlarmSignal): void
  /** a wake-up or the end of a replay session failed in the machine; `from` is the driver */
  fail(err: unknown, from: unknown): void
}

/** A later wake-up does not replace an earlier one still pending; null (no wake-up) does. */
const nextWake = (current: number | null, asked: number | null | undefined): number | null =>
  asked !== null && asked !== undefined && current !== null && current <= asked ? current : asked ?? null

// scheduler work: plain functions taking the driver as their state, so no closure per timer
function wakeWork(this: SchedulerAction<MachineDriver<{ raised: unknown }>>, d?: MachineDriver<{ raised: unknown }>): void {
  d!.fired()
}
function historyWork(this: SchedulerAction<MachineDriver<{ raised: unknown }>>, d?: MachineDriver<{ raised: unknown }>): void {
  d!.historyEnded()
}

/**
 * Event time is the last live telemetry `ts` plus the scheduler time elapsed since it arrived;
 * ingest puts every `ts` on the broker's clock (broker/ingest/clock.ts), so a gateway whose clock
 * is off moves nothing here, and virtual time runs thresholds in tests. Before any telemetry the
 * scheduler's own clock stands in. Signals carry `gatewayAt`, their `at` on the gateway's clock,
 * when that differs.
 *
 * Telemetry a gateway replays from its outbox after an outage (`reason: "replay"`) is history:
 * it runs through a second copy of the machine, started from the state at the last live sample
 * before the gap and timed by the samples' own `ts`, so a condition that held during the outage
 * is raised with its true start, flagged `late`. When the history ends, an alarm it left raised
 * is handed to the live machine, brought up to date with the live samples since, which clears it
 * when the condition ends. A late raise says whether the condition is still on (`ongoing`): the
 * machine is pure, so the raised history state is tried on the newest live sample — a clear there
 * means it was already over when the history arrived.
 *
 * `input` throws what the machine throws; a timer's failure goes to the sink.
 */
export class MachineDriver<S extends { readonly raised: unknown }> {
  private state: S
  private base: number | null = null
  private baseAt = 0
  private timer: Subscription | null = null
  private timerAt: number | null = null
  // the state right after the last live telemetry, and after the last one before a gap
  private lastState: S | null = null
  private lastWake: number | null = null
  private lastTs = -Infinity
  private lastLive: Telemetry | null = null
  /** the gateway's clock minus ours, at the last live telemetry */
  private skew = 0
  private gapState: S | null = null
  private gapWake: number | null = null
  private gapTs = -Infinity
  private history: History<S> | null = null

  constructor(
    private readonly m: Machine<S>,
    private readonly scheduler: SchedulerLike,
    private readonly sink: DriverSink,
    private readonly replay = true,
  ) {
    this.state = m.initial
  }

  input(i: DetectorInput): void {
    if (i.kind === 'telemetry') {
      if (i.msg.reason === 'replay') {
        if (this.replay) this.replayed(i)
        return
      }
      if (this.lastState !== null && i.ts - this.lastTs > GAP_MS) {
        this.gapState = this.lastState
        this.gapWake = this.lastWake
        this.gapTs = this.lastTs
      }
      const h = this.history
      if (h && h.liveSince.length < MAX_LIVE_KEPT) h.liveSince.push(i)
      this.lastLive = i
      this.skew = (i.gatewayTs ?? i.ts) - i.ts
      this.base = i.ts
      this.baseAt = this.scheduler.now()
    }
    // a wake-up due by this input's time comes first: the old state held until now
    const now = this.now()
    if (this.timerAt !== null && now >= this.timerAt) this.apply(this.m.wake(this.state, now))
    this.apply(this.m.input(this.state, i, now))
    if (i.kind === 'telemetry') {
      this.lastState = this.state
      this.lastWake = this.timerAt
      this.lastTs = i.ts
    }
  }

  /** The learned part of the live state (learned.ts), or null: nothing learned, or nothing to learn. */
  snapshot(): LearnedRecord | null {
    const l = this.m.learned
    return l ? snapshotOf(l, this.state) : null
  }

  /**
   * Puts a snapshot back, before the first input only (the learned part of a fresh state): true
   * when restored, else why it was dropped.
   */
  restore(r: LearnedRecord): true | LearnedDrop {
    const l = this.m.learned
    if (!l) return 'version'
    if (this.base !== null || this.lastState !== null) return 'invalid'
    const s = restoreFrom(l, this.state, r)
    if (typeof s === 'string') return s
    this.state = s
    return true
  }

  dispose(): void {
    this.timer?.unsubscribe()
    this.timer = null
    this.history?.idle?.unsubscribe()
    this.history = null
  }

  /** @internal the wake-up timer came due */
  fired(): void {
    this.timer = null
    this.timerAt = null
    try {
      this.apply(this.m.wake(this.state, this.now()))
    } catch (err) {
      this.sink.fail(err, this)
    }
  }

  /** @internal no history for a while: the replay session is over */
  historyEnded(): void {
    const h = this.history
    this.history = null
    // an alarm the history left raised goes to the live state
    if (!h?.state.raised || this.state.raised) return
    this.state = h.state
    try {
      for (const i of h.liveSince) if (i.ts > h.lastTs) this.apply(this.m.input(this.state, i, i.ts))
    } catch (err) {
      this.sink.fail(err, this)
    }
  }

  private now(): number {
    return this.base === null ? this.scheduler.now() : this.base + (this.scheduler.now() - this.baseAt)
  }

  private apply(step: Step<S>): void {
    this.state = step.state
    const signals = step.signals
    if (signals) for (const s of signals) this.sink.signal(this.skew === 0 ? s : { ...s, gatewayAt: s.at + this.skew })
    const at = step.wakeAt ?? null
    // a wake-up already due no later is kept: the machine re-evaluates then and asks again, so
    // a steady stream of heartbeats does not churn timers
    if (this.timer && at !== null && this.timerAt !== null && this.timerAt <= at) return
    this.timer?.unsubscribe()
    this.timer = null
    this.timerAt = at
    if (at === null) return
    this.timer = this.scheduler.schedule(wakeWork, Math.max(0, at - this.now()), this as MachineDriver<{ raised: unknown }>)
  }

  private replayed(i: Telemetry): void {
    let h = this.history
    if (!h) {
      // the last live sample older than this history is where it starts
      const gap = this.gapState !== null && this.gapTs <= i.ts
      const last = !gap && this.lastState !== null && this.lastTs <= i.ts
      h = this.history = {
        state: gap ? this.gapState! : last ? this.lastState! : this.m.initial,
        wakeAt: gap ? this.gapWake : last ? this.lastWake : null,
        lastTs: gap ? this.gapTs : last ? this.lastTs : -Infinity,
        skew: 0, idle: null, liveSince: [],
      }
    }
    h.idle?.unsubscribe()
    h.idle = this.scheduler.schedule(historyWork, REPLAY_IDLE_MS, this as MachineDriver<{ raised: unknown }>)
    if (i.ts <= h.lastTs) return
    h.skew = (i.gatewayTs ?? i.ts) - i.ts
    // thresholds that came due between two samples of history, at their own time
    for (let n = 0; h.wakeAt !== null && h.wakeAt <= i.ts && n < 100; n++) {
      const at = h.wakeAt
      h.wakeAt = null
      this.late(h, this.m.wake(h.state, at), at)
    }
    this.late(h, this.m.input(h.state, i, i.ts), i.ts)
    h.lastTs = i.ts
  }

  private late(h: History<S>, step: Step<S>, now: number): void {
    h.state = step.state
    h.wakeAt = nextWake(h.wakeAt, step.wakeAt)
    const signals = step.signals
    if (!signals) return
    for (const s of signals) {
      const ongoing = s.state === 'raised' ? this.ongoing(h, s, now) : undefined
      this.sink.signal({ ...s, late: true, ...(h.skew === 0 ? {} : { gatewayAt: s.at + h.skew }), ...(ongoing === undefined ? {} : { ongoing }) })
    }
  }

  /**
   * Whether a condition the history raised at `now` still holds by the live data: the history's
   * state tried on the newest live sample (a pure step, nothing kept). Unknown without live data
   * newer than the history.
   */
  private ongoing(h: History<S>, s: AlarmSignal, now: number): boolean | undefined {
    const live = this.lastLive
    if (!live || live.ts <= now) return undefined
    try {
      const step = this.m.input(h.state, live, live.ts)
      return !step.signals?.some((x) => x.type === s.type && x.state === 'cleared')
    } catch {
      // the live machine will meet the same sample and report its failure itself
      return undefined
    }
  }
}

/** The detector contract's stream transform over a machine: one driver per subscription. */
export function runMachine<S extends { readonly raised: unknown }>(m: Machine<S>, scheduler: SchedulerLike, opts: RunOptions = {}): OperatorFunction<DetectorInput, AlarmSignal> {
  return (input$) => new Observable<AlarmSignal>((subscriber) => {
    // an exception in the machine ends this instance with an error; the runtime restarts it
    const d = new MachineDriver(m, scheduler, { signal: (s) => subscriber.next(s), fail: (err) => subscriber.error(err) }, opts.replay !== false)
    const sub = input$.subscribe({
      next: (i) => {
        try {
          d.input(i)
        } catch (err) {
          subscriber.error(err)
        }
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    })
    return () => {
      sub.unsubscribe()
      d.dispose()
    }
  })
}

/** A detector from its machine: `create` (the stream transform) and `machine` (for the runtime) alike. */
export function machineDetector<S extends TSchema>(d: {
  readonly id: string
  readonly types: Detector<S>['types']
  readonly configSchema: S
  machine(config: Static<S>, ctx: DetectorContext): DetectorMachine
}): Detector<S> {
  return {
    ...d,
    create: (cfg, ctx) => {
      const m = d.machine(cfg, ctx)
      return runMachine(m.machine, ctx.scheduler, { replay: m.replay !== false })
    },
  }
}
