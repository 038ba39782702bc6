// Drives one detector machine over one elevator's inputs. A class with its methods on the
// prototype and no closures per instance: the broker holds one per detector per elevator, for
// thousands of elevators. `runMachine` wraps it as the stream transform of the detector contract.
import { Observable, type OperatorFunction, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs'
import type { Machine, Step } from './lifecycle.ts'
import type { Static, TSchema } from '@sinclair/typebox'
import type { AlarmSignal, Detector, DetectorContext, DetectorInput, DetectorMachine, Dispatch } from './types.ts'
import { restoreFrom, snapshotOf, type LearnedDrop, type LearnedRecord } from './learned.ts'
import { LinkState } from './link.ts'

export interface RunOptions {
  /** evaluate replayed history in event time (default true); false = ignore it */
  readonly replay?: boolean
  /** change-driven dispatch (types.ts DetectorMachine); absent = every sample */
  readonly dispatch?: Dispatch
}


/** live samples this far apart (1.5 heartbeats) mean the data had a gap */
export const GAP_MS = 15_000
/** scheduler time without replayed history that ends a replay session */
const REPLAY_IDLE_MS = 10_000
/** live samples kept during a replay session to bring a handed-over alarm up to date */
const MAX_LIVE_KEPT = 1_000

type Telemetry = Extract<DetectorInput, { kind: 'telemetry' }>

interface History<S> {
  state: S
  wakeAt: number | null
  lastTs: number
  /** the history's own link: its samples, on their own clock */
  link: LinkState
  /** the gateway's clock minus ours for the replayed sample being evaluated */
  skew: number
  idle: Subscription | null
  liveSince: DetectorInput[]
}

/** The last live state before a gap in the data, and the replay session under way. */
interface Past<S> {
  gapState: S | null
  gapWake: number | null
  gapTs: number
  gapLive: Telemetry | null
  history: History<S> | null
}

/** Where a driver's signals and late failures go (an object, so a driver needs no closures). */
export interface DriverSink {
  /** `from` is the driver */
  signal(s: AlarmSignal, from: unknown): void
  /** a wake-up or the end of a replay session failed in the machine; `from` is the driver */
  fail(err: unknown, from: unknown): void
}

/**
 * A driver launched with its elevator's group shares the group's link, and mirrors into the
 * group's cells (`cells[cell]`: its wake-up time, Infinity for none; `cells[cell + 1]`: 1 while
 * a live sample must reach it, 0 while the group may skip it by the dispatch rules) so that the
 * engine can test the skip without calling the driver (dispatch.ts).
 */
export interface SharedLink {
  readonly link: LinkState
  readonly cells: number[]
  readonly cell: number
  /** with a band (types.ts Dispatch): where in `cells` its low and high are; -1 = none */
  readonly band: number
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
 * The link (link.ts) is either the driver's own, or one shared by every driver of an elevator
 * and written by the runtime before the drivers see the input (`shared`). A live sample that
 * changes nothing the machine reads, in a state a repeat cannot move, is not given to it
 * (`dispatch`): the step would have been the identity.
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
  private timer: Subscription | null = null
  private timerAt: number | null = null
  // the state right after the last live telemetry, and after the last one before a gap
  private lastState: S | null = null
  private lastWake: number | null = null
  // only after a gap in the live data or with replayed history: allocated then
  private past: Past<S> | null = null
  private readonly link: LinkState
  private readonly cells: number[] | null
  private readonly cell: number
  private readonly band: number

  constructor(
    private readonly m: Machine<S>,
    private readonly scheduler: SchedulerLike,
    private readonly sink: DriverSink,
    private readonly replay = true,
    /** @internal read by the engine's skip test */
    readonly dispatch: Dispatch | null = null,
    shared: SharedLink | null = null,
  ) {
    this.state = m.initial
    this.link = shared?.link ?? new LinkState()
    this.cells = shared?.cells ?? null
    this.cell = shared?.cell ?? 0
    this.band = shared?.band ?? -1
  }

  input(i: DetectorInput): void {
    const link = this.link
    if (i.kind === 'telemetry') {
      if (i.msg.reason === 'replay') {
        if (this.replay) this.replayed(i)
        this.mustSee()
        return
      }
      if (this.cells === null) link.live(i, this.scheduler)
      if (this.replay && this.lastState !== null && i.ts - link.prevAt! > GAP_MS) {
        const p = (this.past ??= { gapState: null, gapWake: null, gapTs: -Infinity, gapLive: null, history: null })
        p.gapState = this.lastState
        p.gapWake = this.lastWake
        p.gapTs = link.prevAt!
        p.gapLive = link.prevInput
      }
      const h = this.past?.history
      if (h && h.liveSince.length < MAX_LIVE_KEPT) h.liveSince.push(i)
      if (this.skips(i)) {
        if (this.lastState !== this.state) this.lastState = this.state
        this.lastWake = this.timerAt
        this.seen()
        return
      }
    } else {
      if (this.cells === null) link.live(i, this.scheduler)
      this.mustSee()
    }
    // a wake-up due by this input's time comes first: the old state held until now
    const now = link.now(this.scheduler)
    if (this.timerAt !== null && now >= this.timerAt) this.apply(this.m.wake(this.state, now, link))
    this.apply(this.m.input(this.state, i, now, link))
    if (i.kind === 'telemetry') {
      this.lastState = this.state
      this.lastWake = this.timerAt
      this.seen()
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
    if ((this.cells === null && this.link.base !== null) || this.lastState !== null) return 'invalid'
    const s = restoreFrom(l, this.state, r)
    if (typeof s === 'string') return s
    this.state = s
    return true
  }

  dispose(): void {
    this.timer?.unsubscribe()
    this.timer = null
    this.past?.history?.idle?.unsubscribe()
    this.past = null
  }

  /** @internal the wake-up timer came due */
  fired(): void {
    this.timer = null
    this.wakeAt(null)
    this.mustSee()
    try {
      this.apply(this.m.wake(this.state, this.link.now(this.scheduler), this.link))
    } catch (err) {
      this.sink.fail(err, this)
    }
  }

  /** @internal no history for a while: the replay session is over */
  historyEnded(): void {
    const h = this.past?.history
    if (this.past) this.past.history = null
    this.mustSee()
    // an alarm the history left raised goes to the live state
    if (!h?.state.raised || this.state.raised) return
    this.state = h.state
    try {
      const link = h.link
      for (const i of h.liveSince) {
        if (i.kind !== 'telemetry' || i.ts <= h.lastTs) continue
        link.history(i)
        this.apply(this.m.input(this.state, i, i.ts, link))
      }
    } catch (err) {
      this.sink.fail(err, this)
    }
  }

  /** Change-driven dispatch: this live sample would leave the machine's state as it is. */
  private skips(i: Telemetry): boolean {
    const d = this.dispatch
    const link = this.link
    if (d === null || link.prev === null || (link.changed & d.reads) !== 0 || link.prevOffline !== 0) return false
    const gapMs = d.gapMs
    if (i.ts - link.prevAt! >= gapMs || i.msg.ts - link.prev.ts >= gapMs) return false
    const timerAt = this.timerAt
    if (timerAt !== null && link.now(this.scheduler) >= timerAt) return false
    return d.idle === undefined || d.idle(this.state, link.prev, timerAt !== null)
  }

  private wakeAt(at: number | null): void {
    this.timerAt = at
    if (this.cells !== null) this.cells[this.cell] = at ?? Infinity
  }

  // the group may skip this driver on a live sample only while its lastState and lastWake are
  // those of the last live sample, no replay session keeps the live samples, and the machine
  // says a repeat of the last sample leaves its state as it is: `idle` reads of the previous
  // sample only the fields in `reads` (types.ts Dispatch), which a skipped sample repeats, and
  // anything that changes the state or the timer in between sets the cell again
  private mustSee(): void {
    if (this.cells !== null) this.cells[this.cell + 1] = 1
  }

  private seen(): void {
    const cells = this.cells
    if (cells === null) return
    const d = this.dispatch
    const must = d === null || this.past?.history || (d.idle !== undefined && !d.idle(this.state, this.link.last!, this.timerAt !== null))
    cells[this.cell + 1] = must ? 1 : 0
    if (must || this.band < 0) return
    if (this.m.band) this.m.band(this.state, this.link.last!, cells, this.band)
    else cells[this.band] = cells[this.band + 1] = NaN
  }

  private apply(step: Step<S>): void {
    this.state = step.state
    const signals = step.signals
    const skew = this.link.skew
    if (signals) for (const s of signals) this.sink.signal(skew === 0 ? s : { ...s, gatewayAt: s.at + skew }, this)
    const at = step.wakeAt ?? null
    // a wake-up already due no later is kept: the machine re-evaluates then and asks again, so
    // a steady stream of heartbeats does not churn timers
    if (this.timer && at !== null && this.timerAt !== null && this.timerAt <= at) return
    this.timer?.unsubscribe()
    this.timer = null
    this.wakeAt(at)
    if (at === null) return
    this.timer = this.scheduler.schedule(wakeWork, Math.max(0, at - this.link.now(this.scheduler)), this as MachineDriver<{ raised: unknown }>)
  }
  private replayed(i: Telemetry): void {
    const p = (this.past ??= { gapState: null, gapWake: null, gapTs: -Infinity, gapLive: null, history: null })
    let h = p.history
    if (!h) {
      // the last live sample older than this history is where it starts
      const gap = p.gapState !== null && p.gapTs <= i.ts
      const lastTs = this.link.at ?? -Infinity
      const last = !gap && this.lastState !== null && lastTs <= i.ts
      h = p.history = {
        state: gap ? p.gapState! : last ? this.lastState! : this.m.initial,
        wakeAt: gap ? p.gapWake : last ? this.lastWake : null,
        lastTs: gap ? p.gapTs : last ? lastTs : -Infinity,
        link: LinkState.after(gap ? p.gapLive : last ? this.link.lastInput : null),
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
      this.late(h, this.m.wake(h.state, at, h.link), at)
    }
    h.link.history(i)
    this.late(h, this.m.input(h.state, i, i.ts, h.link), i.ts)
    h.lastTs = i.ts
  }

  private late(h: History<S>, step: Step<S>, now: number): void {
    h.state = step.state
    h.wakeAt = nextWake(h.wakeAt, step.wakeAt)
    const signals = step.signals
    if (!signals) return
    for (const s of signals) {
      const ongoing = s.state === 'raised' ? this.ongoing(h, s, now) : undefined
      this.sink.signal({ ...s, late: true, ...(h.skew === 0 ? {} : { gatewayAt: s.at + h.skew }), ...(ongoing === undefined ? {} : { ongoing }) }, this)
    }
  }

  /**
   * Whether a condition the history raised at `now` still holds by the live data: the history's
   * state tried on the newest live sample (a pure step on a copy of the history's link, nothing
   * kept). Unknown without live data newer than the history.
   */
  private ongoing(h: History<S>, s: AlarmSignal, now: number): boolean | undefined {
    const live = this.link.lastInput
    if (!live || live.ts <= now) return undefined
    try {
      const link = h.link.copy()
      link.history(live)
      const step = this.m.input(h.state, live, live.ts, link)
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
    const d = new MachineDriver(m, scheduler, { signal: (s) => subscriber.next(s), fail: (err) => subscriber.error(err) }, opts.replay !== false, opts.dispatch ?? null)
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
      return runMachine(m.machine, ctx.scheduler, { replay: m.replay !== false, ...(m.dispatch ? { dispatch: m.dispatch } : {}) })
    },
  }
}
