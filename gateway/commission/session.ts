// One elevator's commissioning run: polls the unit and feeds each sample to the checklist until
// every step is decided. The installer's keys arrive as skip()/quit(); updates go to a callback.
import { advance, createChecklist, isDone, quit, skipStep, type ChecklistOptions, type ChecklistState } from './checklist.ts'
import type { Sample, UnitPoller } from './unit-poller.ts'
import type { Values } from './steps.ts'

export interface RunUpdate {
  readonly state: ChecklistState
  readonly sample: Sample | undefined
}

export interface RunOutcome {
  readonly state: ChecklistState
  readonly last: Sample | undefined
  readonly startedAt: number
  readonly finishedAt: number
}

export class CommissionRun {
  private state: ChecklistState | undefined
  private prev: Values | undefined
  private last: Sample | undefined
  private startedAt = 0
  private finished: ((o: RunOutcome) => void) | undefined

  constructor(
    private readonly poller: UnitPoller,
    private readonly pollMs: number,
    private readonly checklist: ChecklistOptions,
    private readonly onUpdate: (u: RunUpdate) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when every step is passed, failed or skipped. */
  async run(): Promise<RunOutcome> {
    this.startedAt = this.now()
    // the first sample is the reference a change is judged against
    const first = await this.poller.poll()
    this.last = first
    this.prev = valuesOf(first)
    this.state = createChecklist(this.checklist, first.ts, this.prev)
    const outcome = new Promise<RunOutcome>((resolve) => { this.finished = resolve })
    this.emit()
    if (!this.settle()) this.poller.start(this.pollMs, (s) => this.sample(s))
    return await outcome
  }

  skip(): void { this.apply((s) => skipStep(s, this.now())) }
  quit(): void { this.apply((s) => quit(s, this.now())) }

  private sample(s: Sample): void {
    this.last = s
    const cur = valuesOf(s)
    this.apply((st) => advance(st, this.prev, cur, s.ts))
    this.prev = cur
  }

  private apply(f: (s: ChecklistState) => ChecklistState): void {
    if (!this.state || isDone(this.state)) return
    this.state = f(this.state)
    this.emit()
    this.settle()
  }

  private emit(): void {
    this.onUpdate({ state: this.state!, sample: this.last })
  }

  private settle(): boolean {
    if (!this.state || !isDone(this.state) || !this.finished) return false
    const resolve = this.finished
    this.finished = undefined
    void this.poller.stop().then(() => resolve({ state: this.state!, last: this.last, startedAt: this.startedAt, finishedAt: this.now() }))
    return true
  }
}

const valuesOf = (s: Sample): Values | undefined => (s.fresh && s.snapshot ? s.snapshot.values : undefined)
