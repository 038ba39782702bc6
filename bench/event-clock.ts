// A scheduler whose clock is the replayed messages' ts: `advanceTo(ts)` before each message runs
// the wake-ups due by then, in due order, each at its own due time; nothing runs on the wall
// clock. RxJS's VirtualTimeScheduler re-sorts its whole queue on every schedule and removes by
// linear search, which with tens of thousands of pending timers (one eviction timer per elevator,
// re-armed by every message) would measure the test scheduler instead of the detectors; this one
// keeps an indexed binary heap: schedule and cancel are O(log n).
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs'

type Work<T> = (this: SchedulerAction<T>, state?: T) => void

/** What the heap needs of a wake-up, whatever its state type. */
interface Queued {
  due: number
  order: number
  /** index in the heap; -1 = not queued */
  at: number
  run(): void
}

class Wake<T> extends Subscription implements SchedulerAction<T>, Queued {
  due = 0
  order = 0
  at = -1

  constructor(private readonly clock: EventClock, private readonly work: Work<T>, private state: T | undefined) {
    super()
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this
    this.state = state
    this.clock.queue(this, delay)
    return this
  }

  run(): void {
    this.work.call(this, this.state)
  }

  override unsubscribe(): void {
    if (!this.closed) this.clock.cancel(this)
    super.unsubscribe()
  }
}

export class EventClock implements SchedulerLike {
  private time: number
  private orders = 0
  private readonly heap: Queued[] = []

  constructor(start: number) {
    this.time = start
  }

  now(): number {
    return this.time
  }

  get pending(): number {
    return this.heap.length
  }

  schedule<T>(work: Work<T>, delay = 0, state?: T): Subscription {
    const w = new Wake(this, work, state)
    this.queue(w, delay)
    return w
  }

  /** Runs every wake-up due by `t` (and those they schedule for no later), then stands at `t`. */
  advanceTo(t: number): void {
    const h = this.heap
    while (h.length > 0 && h[0]!.due <= t) {
      const w = h[0]!
      this.remove(w)
      if (w.due > this.time) this.time = w.due
      w.run()
    }
    if (t > this.time) this.time = t
  }

  queue(w: Queued, delay: number): void {
    if (w.at >= 0) this.remove(w)
    w.due = this.time + Math.max(0, delay)
    w.order = this.orders++
    w.at = this.heap.length
    this.heap.push(w)
    this.up(w.at)
  }

  cancel(w: Queued): void {
    if (w.at >= 0) this.remove(w)
  }

  private remove(w: Queued): void {
    const h = this.heap
    const i = w.at
    const last = h.pop()!
    w.at = -1
    if (last === w) return
    h[i] = last
    last.at = i
    this.down(i)
    this.up(last.at)
  }

  // earlier due first; equal dues in the order they were scheduled, as RxJS's schedulers do
  private before(a: Queued, b: Queued): boolean {
    return a.due < b.due || (a.due === b.due && a.order < b.order)
  }

  private up(i: number): void {
    const h = this.heap
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.before(h[i]!, h[p]!)) break
      this.swap(i, p)
      i = p
    }
  }

  private down(i: number): void {
    const h = this.heap
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && this.before(h[l]!, h[m]!)) m = l
      if (r < h.length && this.before(h[r]!, h[m]!)) m = r
      if (m === i) return
      this.swap(i, m)
      i = m
    }
  }

  private swap(i: number, j: number): void {
    const h = this.heap
    const a = h[i]!
    const b = h[j]!
    h[i] = b
    h[j] = a
    a.at = j
    b.at = i
  }
}
