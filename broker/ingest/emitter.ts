// A hot Observable without a Subject: next() calls each subscriber's next directly, no closure,
// no copy of the observer list per value (ingest emits once per message; docs/performance.md#pipeline-against-bare-aedes-ingest).
// Subscribers added or removed during a next() take effect from the next value.
import { Observable, type Subscriber } from 'rxjs'

export class Emitter<T> {
  readonly observable: Observable<T>
  private subscribers: Subscriber<T>[] = []
  private done = false

  constructor() {
    this.observable = new Observable<T>((s) => this.add(s))
  }

  /** Whether anyone listens (a caller may skip making a value nobody reads). */
  get observed(): boolean {
    return this.subscribers.length > 0
  }

  next(value: T): void {
    const subs = this.subscribers
    for (let i = 0; i < subs.length; i++) subs[i]!.next(value)
  }

  complete(): void {
    if (this.done) return
    this.done = true
    const subs = this.subscribers
    this.subscribers = []
    for (const s of subs) s.complete()
  }

  private add(s: Subscriber<T>): () => void {
    if (this.done) {
      s.complete()
      return () => {}
    }
    this.subscribers = [...this.subscribers, s]
    return () => { this.subscribers = this.subscribers.filter((x) => x !== s) }
  }
}
