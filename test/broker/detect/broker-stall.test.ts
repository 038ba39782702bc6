// Issue 10, "Gateways": a broker hang of 90 s. While the broker's event loop is blocked nothing is
// read; at the resume its timers fire first (the silence checks of every car), then the messages
// queued in its sockets arrive, complete, within seconds. Silence the broker itself did not listen
// through is no proof of a lost link. Through the runtime with every detector, in virtual time.
import { describe, expect, it } from 'vitest'
import type { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { DetectorInput } from '../../../detectors/index.ts'
import { DetectorRuntime } from '../../../broker/detect/runtime.ts'
import { FACTS, T0, play, tele, vts } from '../../detectors/harness.ts'

const S = 1_000
const CARS = Array.from({ length: 20 }, (_, i) => ({ elevatorId: `330922311020241100${String(i + 1).padStart(2, '0')}`, region: '330922', gatewayId: `gw-${i % 4}` }))
const HANG = 300 * S
const HANG_MS = 90 * S
const RESUME = HANG + HANG_MS
const END = RESUME + 10 * 60 * S

/**
 * The event loop blocked over [from, from + ms): every action due in it runs at the resume, in the
 * order it was due — as Node runs expired timers at the start of its next loop, before any I/O.
 */
function hang(scheduler: VirtualTimeScheduler, from: number, ms: number): void {
  scheduler.schedule(() => {
    const resume = from + ms
    let order = -Number.MAX_SAFE_INTEGER
    for (const a of scheduler.actions as VirtualAction<unknown>[]) {
      if (a.delay > resume) break
      a.delay = resume
      ;(a as unknown as { index: number }).index = order++
    }
  }, from)
}

interface Run { events: { frame: number; e: AlarmEvent }[]; stats: ReturnType<DetectorRuntime['stats']> }

function run(arrivals: Map<DetectorInput, number>): Run {
  const scheduler = vts(END)
  const input$ = play(scheduler, [...arrivals.keys()], (i) => arrivals.get(i)!)
  hang(scheduler, HANG, HANG_MS)
  const runtime = new DetectorRuntime({ input$, scheduler, facts: () => FACTS })
  const events: Run['events'] = []
  runtime.alarms$.subscribe((e) => events.push({ frame: scheduler.now(), e }))
  runtime.start()
  scheduler.flush()
  const stats = runtime.stats()
  runtime.stop()
  return { events, stats }
}

/** Heartbeats every 10 s per car (staggered); what was sent during the hang arrives 2–4 s after the resume. */
function traffic(cars: typeof CARS): Map<DetectorInput, number> {
  const arrivals = new Map<DetectorInput, number>()
  cars.forEach((who, k) => {
    for (let ms = k * 300; ms < END; ms += 10 * S) {
      const late = ms >= HANG && ms < RESUME + 2 * S
      arrivals.set(tele(ms, {}, who, 'heartbeat'), late ? RESUME + 2 * S + Math.round((2 * S * (ms - HANG)) / (HANG_MS + 2 * S)) : ms)
    }
  })
  return arrivals
}

const lost = (r: Run) => r.events.filter((x) => x.e.type === 'communication_lost')

describe('a broker hang of 90 s', () => {
  it('raises no communication_lost for cars whose data arrives complete 2–4 s after the resume', () => {
    const r = run(traffic(CARS))
    expect(lost(r).map((x) => [x.e.elevatorId, x.e.state, x.frame])).toEqual([])
    // seen, and said: one stall; every car's silence check fired at the resume and was withdrawn by its data
    // (a car whose first queued sample is itself 30 s old is judged silent again, and withdrawn again)
    expect(r.stats.brokerStalls).toBe(1)
    expect(r.stats.stallWithdrawn).toBeGreaterThanOrEqual(CARS.length)
  })

  it('still raises it for a car that had gone silent before the hang and stays silent, with its true start', () => {
    const [silent, ...others] = CARS
    const arrivals = traffic(others)
    for (let ms = 0; ms < HANG - 20 * S; ms += 10 * S) arrivals.set(tele(ms, {}, silent!, 'heartbeat'), ms)
    const r = run(arrivals)
    const raised = lost(r).filter((x) => x.e.state === 'raised')
    expect(raised.map((x) => x.e.elevatorId)).toEqual([silent!.elevatorId])
    // its last sample was at 270 s: silent since, and still so once the backlog was read
    expect(raised[0]!.e.raisedAt).toBe(T0 + HANG - 30 * S)
    expect(raised[0]!.frame).toBeGreaterThan(RESUME + 4 * S)
    expect(raised[0]!.frame).toBeLessThan(RESUME + 60 * S)
  })
})
