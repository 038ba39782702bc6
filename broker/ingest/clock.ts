// Each gateway's clock, measured against ours. A gateway stamps `ts` with its own clock, which may
// run minutes ahead, be stepped back by an NTP correction, or write one absurd value; the
// detectors must work in the broker's time whatever it says (issue 10, "Time"). Live messages are
// sent the moment they are sampled, so receipt − ts is the gateway's offset plus the network delay:
// the estimate follows the largest ts − receipt seen (the least delayed message), creeping back
// slowly so a drifting clock is followed too.
//
// A live message whose ts disagrees with the estimate by more than the tolerance is re-timed to
// its receipt, so one bad ts can never move an elevator's time; when `stepConfirmations` of them in
// a row agree with each other, the gateway's clock was stepped and their offset is adopted.
//
// An offset within `skewMs` is measured but not applied: a gateway kept by NTP is closer to true
// time than an estimate that carries the network and queueing delay, so its ts stands as sampled.

/** How a message's ts became broker time. */
export interface Timing {
  /** broker time (ms since epoch) the sample was taken, as far as we can tell */
  at: number
  /** ts disagreed with the gateway's measured offset: `at` is the receipt time */
  retimed: boolean
  /** this message confirmed a step of the gateway's clock */
  stepped: boolean
  /** ts was off our clock by more than `skewMs` */
  skewed: boolean
}

export interface ClockOptions {
  /** |ts − receipt| beyond this counts the message as skewed (the gateway's clock is off) */
  skewMs: number
  /** ts − offset this far from the receipt is not believed: re-timed, or the start of a step */
  toleranceMs: number
  /** re-timed live messages in a row that agree on a new offset: a clock step, adopted */
  stepConfirmations: number
}

interface GatewayClock {
  /** ms the gateway's clock is ahead of ours (ts − receipt of the least delayed message) */
  offset: number
  /** a new offset that re-timed messages in a row agree on, and how many */
  step: { offset: number; n: number } | null
}

/** How fast the estimate follows messages that arrive later than it expects (1/64 of the difference each). */
const CREEP = 1 / 64

export class GatewayClocks {
  private readonly clocks = new Map<string, GatewayClock>()

  constructor(private readonly opts: ClockOptions, private readonly maxGateways: number) {}

  /** A live message (sent as sampled): measured, and timed in broker time. */
  live(gatewayId: string, ts: number, receivedAt: number): Timing {
    const d = ts - receivedAt
    const skewed = Math.abs(d) > this.opts.skewMs
    const c = this.clocks.get(gatewayId)
    if (!c) {
      if (this.clocks.size < this.maxGateways) this.clocks.set(gatewayId, { offset: d, step: null })
      // nothing measured yet: a ts within the skew bound stands, any other is taken at its receipt
      return { at: skewed ? receivedAt : Math.min(ts, receivedAt), retimed: false, stepped: false, skewed }
    }
    const dev = d - c.offset
    if (Math.abs(dev) <= this.opts.toleranceMs) {
      c.step = null
      // timed by the estimate so far; a message less delayed than any before corrects it at once
      const at = Math.min(ts - this.applied(c), receivedAt)
      c.offset = dev > 0 ? d : Math.round(c.offset + dev * CREEP)
      return { at, retimed: false, stepped: false, skewed }
    }
    const step = c.step
    if (step && Math.abs(d - step.offset) <= this.opts.toleranceMs) {
      step.n++
      step.offset = Math.max(step.offset, d)
    } else {
      c.step = { offset: d, n: 1 }
    }
    if (c.step!.n >= this.opts.stepConfirmations) {
      c.offset = c.step!.offset
      c.step = null
      return { at: Math.min(ts - this.applied(c), receivedAt), retimed: false, stepped: true, skewed }
    }
    return { at: receivedAt, retimed: true, stepped: false, skewed }
  }

  /**
   * A message that may have waited (replayed history, availability): its ts corrected by the
   * gateway's measured offset, never later than its receipt. Does not move the estimate.
   */
  corrected(gatewayId: string, ts: number, receivedAt: number): number {
    const c = this.clocks.get(gatewayId)
    return Math.min(c ? ts - this.applied(c) : ts, receivedAt)
  }

  /** The offset a gateway's ts is corrected by: none while its clock is within `skewMs` of ours. */
  private applied(c: GatewayClock): number {
    return Math.abs(c.offset) > this.opts.skewMs ? c.offset : 0
  }

  /** ms each gateway's clock is ahead of ours (negative: behind). */
  offset(gatewayId: string): number | undefined {
    return this.clocks.get(gatewayId)?.offset
  }

  offsets(): Record<string, number> {
    return Object.fromEntries([...this.clocks].map(([id, c]) => [id, c.offset]))
  }
}
