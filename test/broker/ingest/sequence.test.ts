// SeqTracker: duplicates within the window, gaps on jumps, boots by ts; bounded per elevator.
import { describe, expect, it } from 'vitest'
import { SeqTracker } from '../../../broker/ingest/sequence.ts'

describe('SeqTracker', () => {
  it('drops what it saw within the window, counts jumps, accepts fill-ins once', () => {
    const t = new SeqTracker(8)
    const v = (seq: number, boot = 'b1', ts = seq) => t.observe('e1', boot, seq, ts)
    expect(v(5)).toEqual({ verdict: 'head', missed: 0 }) // first sight: no gap provable
    expect(v(6)).toEqual({ verdict: 'head', missed: 0 })
    expect(v(6)).toEqual({ verdict: 'duplicate', missed: 0 })
    expect(v(10)).toEqual({ verdict: 'head', missed: 3 })
    expect(v(8)).toEqual({ verdict: 'behind', missed: 0 })
    expect(v(8)).toEqual({ verdict: 'duplicate', missed: 0 })
    expect(v(5)).toEqual({ verdict: 'duplicate', missed: 0 })
    // far behind the window: cannot tell, so accepted
    expect(v(30)).toEqual({ verdict: 'head', missed: 19 })
    expect(v(9)).toEqual({ verdict: 'behind', missed: 0 })
    expect(v(9)).toEqual({ verdict: 'behind', missed: 0 })
    // the other elevator has its own state
    expect(t.observe('e2', 'b1', 30, 0)).toEqual({ verdict: 'head', missed: 0 })
  })

  it('takes a newer boot by ts and restarts seq; an older boot is a replay across a reboot', () => {
    const t = new SeqTracker(8)
    t.observe('e1', 'b1', 100, 1_000)
    expect(t.observe('e1', 'b2', 0, 2_000)).toEqual({ verdict: 'head', missed: 0 })
    expect(t.observe('e1', 'b2', 0, 2_000)).toEqual({ verdict: 'duplicate', missed: 0 })
    expect(t.observe('e1', 'b1', 101, 1_001)).toEqual({ verdict: 'old-boot', missed: 0 })
    expect(t.observe('e1', 'b2', 2, 2_002)).toEqual({ verdict: 'head', missed: 1 })
  })
})
