// One detector instance for one elevator, contained (STYLE rule 9): when it throws or errors,
// the failure is reported and a fresh instance takes over the elevator's later inputs; the other
// detectors and the other elevators never see it.
import { Observable, defer, take, type Subscription } from 'rxjs'
import type { AlarmSignal } from '../../detectors/index.ts'

export interface ContainHooks {
  /** the instance failed; it is restarted unless its inputs have ended */
  failed(err: unknown): void
  restarted(): void
}

/**
 * `start` builds and subscribes a fresh instance over `inputs$` (a hot group: a new subscriber
 * sees only later inputs, so the input that broke an instance is not fed to its successor).
 * An instance that fails while starting is restarted at the next input, not at once, so a
 * detector whose create() always throws costs one attempt per input instead of a busy loop.
 */
export function contained(start: () => Observable<AlarmSignal>, inputs$: Observable<unknown>, hooks: ContainHooks): Observable<AlarmSignal> {
  return new Observable<AlarmSignal>((subscriber) => {
    let instance: Subscription | null = null
    let waiting: Subscription | null = null
    let closed = false

    const launch = (): void => {
      let starting = true
      let failedStarting = false
      const sub = defer(start).subscribe({
        next: (s) => subscriber.next(s),
        error: (err) => {
          hooks.failed(err)
          if (closed) return
          if (starting) failedStarting = true
          else restart()
        },
        complete: () => {
          closed = true
          subscriber.complete()
        },
      })
      starting = false
      instance = sub
      if (failedStarting && !closed) {
        let next = false
        waiting = inputs$.pipe(take(1)).subscribe({
          next: () => { next = true },
          complete: () => {
            waiting = null
            if (next) restart()
            else if (!closed) {
              closed = true
              subscriber.complete()
            }
          },
        })
      }
    }
    const restart = () => {
      hooks.restarted()
      launch()
    }

    launch()
    return () => {
      closed = true
      instance?.unsubscribe()
      waiting?.unsubscribe()
    }
  })
}
