// One timer for deadlines set one at a time, as a link's requests go on the wire one at a time.
// Setting a later deadline leaves the timer where it is; when it fires early it re-arms for what
// is left. Answers take about a millisecond and timeouts about a second, so a busy link costs one
// timer event per timeout period instead of a setTimeout and a clearTimeout per request.
// Monotonic time: a wall clock stepped back by NTP must not stretch a timeout.

export class Deadline {
  private readonly onDue: () => void
  private due = Infinity
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity

  constructor(onDue: () => void) {
    this.onDue = onDue
  }

  /** onDue runs `ms` from now, unless the deadline is set again or cleared first. */
  set(ms: number): void {
    this.due = performance.now() + ms
    if (this.timerAt <= this.due) return
    this.arm()
  }

  /** No deadline; the timer lapses on its own. */
  clear(): void {
    this.due = Infinity
  }

  /** No deadline and no timer, so nothing holds the process open. */
  stop(): void {
    this.due = Infinity
    clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
  }

  private arm(): void {
    clearTimeout(this.timer)
    this.timerAt = this.due
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(this.due - performance.now())))
  }

  private readonly fire = (): void => {
    this.timer = undefined
    this.timerAt = Infinity
    if (this.due === Infinity) return
    if (performance.now() < this.due) {
      this.arm()
      return
    }
    this.due = Infinity
    this.onDue()
  }
}
