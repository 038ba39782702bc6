// Drives one incident in virtual time: the engine's wakeAt becomes a scheduled `wake`, events come
// at their frames, and an optional `react` plays the parties answering commands (docs/domain.md#response-chain).
import { VirtualAction, VirtualTimeScheduler, type Subscription } from 'rxjs'
import { step, type Command, type Incident, type ResponseEvent, type StepResult } from '../../response/index.ts'

export const T0 = 1_767_225_600_000 // 2026-01-01T00:00:00Z
export const MIN = 60_000

export interface Timed<T> { readonly at: number; readonly value: T }
export type React = (cmd: Command, now: number) => readonly { readonly afterMs: number; readonly event: ResponseEvent }[]

export const vts = () => new VirtualTimeScheduler(VirtualAction, Infinity)

export class Driver {
  incident!: Incident
  readonly commands: Timed<Command>[] = []
  readonly wakes: number[] = []
  private wake: Subscription | undefined

  constructor(private readonly scheduler: VirtualTimeScheduler, private readonly react?: React) {}

  get now(): number { return T0 + this.scheduler.now() }

  /** `open` runs at frame `atMs` with the absolute time. */
  open(atMs: number, open: (now: number) => StepResult): this {
    this.scheduler.schedule(() => this.apply(open(this.now)), atMs - this.scheduler.now())
    return this
  }

  at(atMs: number, event: ResponseEvent): this {
    this.scheduler.schedule(() => this.send(event), atMs - this.scheduler.now())
    return this
  }

  private send(event: ResponseEvent): void {
    this.apply(step(this.incident, event, this.now))
  }

  private apply(r: StepResult): void {
    this.incident = r.state
    for (const c of r.commands) {
      this.commands.push({ at: this.now - T0, value: c })
      for (const x of this.react?.(c, this.now) ?? []) this.scheduler.schedule(() => this.send(x.event), x.afterMs)
    }
    this.wake?.unsubscribe()
    this.wake = undefined
    if (r.wakeAt !== null) {
      const due = r.wakeAt
      this.wake = this.scheduler.schedule(() => {
        this.wakes.push(this.now - T0)
        this.send({ kind: 'wake' })
      }, Math.max(0, due - this.now))
    }
  }

  notified(): { at: number; role: string; step: string; reminder: boolean }[] {
    return this.commands.flatMap((c) => (c.value.kind === 'notify' ? [{ at: c.at, role: c.value.role, step: c.value.step, reminder: c.value.reminder }] : []))
  }
}
