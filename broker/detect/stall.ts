// The broker's own liveness, for judging silence. A broker whose event loop was blocked (a GC
// storm, a synchronous disk, a debugger: 90 s in issue 10) read nothing meanwhile; at the resume
// its timers fire first — every car's silence check — and only then are the messages queued in
// its sockets read, complete, seconds later. Silence the broker did not listen through is no
// proof of a lost link: after a stall, communication_lost raises wait out a grace, and data that
// arrives within it (the detector clears) withdraws them. A controller the gateway itself reports
// unreachable (cause availability) is news the stall cannot have faked: it passes at once.
import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs'
import type { AlarmSignal } from '../../detectors/index.ts'

export interface StallConfig {
  /** how often the runtime checks that its own timers run on time */
  readonly tickMs: number
  /** a tick this much late = the broker was not running */
  readonly afterMs: number
  /** after a stall, communication_lost raises wait this long for the queued data */
  readonly graceMs: number
}

// A false silence needs a stall longer than the silence limit less one heartbeat (30 − 10 s):
// a tick 15 s overdue catches those, and GC pauses of a few seconds stay below it.
export const STALL_DEFAULTS: StallConfig = { tickMs: 5_000, afterMs: 10_000, graceMs: 15_000 }

export interface Stall { readonly from: number; readonly to: number }

function tickWork(this: SchedulerAction<StallGuard>, g?: StallGuard): void {
  g!.tick()
}

function releaseWork(this: SchedulerAction<StallGuard>, g?: StallGuard): void {
  g!.release()
}

export class StallGuard {
  /** stalls seen, raises withdrawn because data came within the grace */
  readonly counts = { stalls: 0, withdrawn: 0 }
  private lastAlive = 0
  private heldUntil = -Infinity
  private readonly held = new Map<string, AlarmSignal>()
  private ticking: Subscription | null = null
  private releasing: Subscription | null = null

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly config: StallConfig,
    private readonly hooks: {
      readonly emit: (s: AlarmSignal) => void
      /** keep ticking: the runtime holds elevators whose silence is being judged */
      readonly busy: () => boolean
      readonly stalled: (s: Stall) => void
    },
  ) {}

  /** An input arrived: the broker is reading. Starts the tick when it was idle. */
  alive(): void {
    if (this.ticking) return
    this.lastAlive = this.scheduler.now()
    this.arm()
  }

  apply(s: AlarmSignal): void {
    if (s.type !== 'communication_lost' || s.scope === 'gateway') return this.hooks.emit(s)
    // a silence check may fire before the late tick does: it sees the stall first
    if (this.ticking) this.check()
    const wasHeld = this.held.delete(s.elevatorId)
    if (s.state === 'cleared') {
      // its data came within the grace: the raise never happened
      if (wasHeld) this.counts.withdrawn++
      else this.hooks.emit(s)
      return
    }
    if (s.evidence.cause === 'availability' || this.scheduler.now() >= this.heldUntil) return this.hooks.emit(s)
    this.held.set(s.elevatorId, s)
  }

  stop(): void {
    this.ticking?.unsubscribe()
    this.releasing?.unsubscribe()
    this.ticking = this.releasing = null
  }

  /** @internal */
  tick(): void {
    this.ticking = null
    this.check()
    if (this.hooks.busy()) this.arm()
  }

  /** @internal the grace is over: what is still held was not answered by data */
  release(): void {
    this.releasing = null
    const wait = this.heldUntil - this.scheduler.now()
    if (wait > 0) {
      this.releasing = this.scheduler.schedule(releaseWork, wait, this)
      return
    }
    const held = [...this.held.values()]
    this.held.clear()
    for (const s of held) this.hooks.emit(s)
  }

  private arm(): void {
    this.ticking = this.scheduler.schedule(tickWork, this.config.tickMs, this)
  }

  /** Was the broker away since it last knew itself running? Its tick came (or would come) late. */
  private check(): void {
    const now = this.scheduler.now()
    if (now - this.lastAlive > this.config.tickMs + this.config.afterMs) {
      this.counts.stalls++
      this.heldUntil = now + this.config.graceMs
      this.releasing ??= this.scheduler.schedule(releaseWork, this.config.graceMs, this)
      this.hooks.stalled({ from: this.lastAlive, to: now })
    }
    this.lastAlive = now
  }
}
