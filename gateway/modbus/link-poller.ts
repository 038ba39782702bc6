// Polls every unit on one link at its own rate, all through the link's single queue. A unit that
// stops answering is probed with backoff, so it never eats the bus time of its neighbours. The
// gateway's production loop; the installer's probe is gateway/commission/unit-poller.ts.
import type { Logger } from 'pino'
import type { Profile, RegisterImage } from '../../protocol/index.ts'
import { backoffDelay } from '../../core/backoff.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import { readPlan, type Block } from './plan.ts'
import { readUnit, type BlockReader, type PointError } from './reader.ts'

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export interface PollTarget { key: string; unitId: number; profile: Profile; pollMs: number }

export interface PollerEvents {
  /** A poll read something; `pointErrors` lists what it could not read (absent from the image). */
  sample(key: string, image: RegisterImage, atMs: number, pointErrors: PointError[]): void
  /** A poll read nothing (timeout, link down, unit refusing everything). */
  failure(key: string, err: GatewayError, consecutiveFailures: number): void
  polled(key: string, ok: boolean, durationMs: number): void
}

export interface PollerOptions {
  offlineAfterFailures: number
  clock?: Clock
  /** Backoff for probing an offline unit. Default 2 s doubling to 30 s. */
  probe?: { minMs: number; maxMs: number }
  random?: () => number
}

/** What the poller needs of a link (ModbusLink provides it). */
export interface PollerLink extends BlockReader {
  readonly connected: boolean
  on(event: 'up', listener: () => void): unknown
  off(event: 'up', listener: () => void): unknown
}

/** Fixed rate: due times step by the period, not by when the poll ended; far behind, restart from now. */
export function nextDue(due: number, periodMs: number, now: number): number {
  const next = due + periodMs
  // A short stall (another unit's timeout) is caught up by polling back to back; a long one is not.
  return now - next > Math.max(2 * periodMs, 1000) ? now : next
}

/** Delay before the k-th probe of an offline unit (k = 0 first): doubling, jittered in [d/2, d]. */
export function probeDelay(k: number, probe: { minMs: number; maxMs: number }, random?: () => number): number {
  return backoffDelay(k, { ...probe, jitter: 0.5 }, random)
}

interface Run {
  readonly target: PollTarget
  readonly plan: Block[]
  readonly log: Logger
  due: number
  polled: boolean
  failures: number
  timer: unknown
  inflight: Promise<void> | undefined
  /** `point|area|address` of points logged as unreadable, so each is logged once */
  readonly bad: Set<string>
}

export class LinkPoller {
  private readonly log: Logger
  private readonly clock: Clock
  private runs: Run[] = []
  private started = false
  private stopping: Promise<void> | undefined
  private readonly onLinkUp = (): void => this.linkUp()

  constructor(
    private readonly link: PollerLink,
    private readonly targets: readonly PollTarget[],
    private readonly events: PollerEvents,
    log: Logger,
    private readonly opts: PollerOptions,
  ) {
    this.log = log
    this.clock = opts.clock ?? systemClock
  }

  start(): void {
    if (this.started) return
    this.started = true
    // A link still connecting gets one period's grace (its 'up' starts the polls at once), so
    // a boot is not reported as a failure of every unit.
    const now = this.clock.now()
    this.runs = this.targets.map((target) => ({
      target, plan: readPlan(target.profile), log: this.log.child({ key: target.key, unitId: target.unitId }),
      due: this.link.connected ? now : now + target.pollMs, polled: false, failures: 0, timer: undefined, inflight: undefined,
      bad: new Set<string>(),
    }))
    this.link.on('up', this.onLinkUp)
    for (const run of this.runs) this.schedule(run)
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping
    this.stopping = (async () => {
      this.link.off('up', this.onLinkUp)
      for (const run of this.runs) this.clock.clearTimeout(run.timer)
      await Promise.all(this.runs.map((r) => r.inflight))
    })()
    return this.stopping
  }

  private schedule(run: Run): void {
    this.clock.clearTimeout(run.timer)
    run.timer = this.clock.setTimeout(() => this.poll(run), Math.max(0, run.due - this.clock.now()))
  }

  // Units that failed while the link was down are polled as soon as it is back, not at their
  // backoff; so are units not polled yet.
  private linkUp(): void {
    if (this.stopping) return
    const now = this.clock.now()
    for (const run of this.runs) {
      if ((run.polled && run.failures === 0) || run.inflight) continue
      run.due = now
      this.schedule(run)
    }
  }

  private poll(run: Run): void {
    run.timer = undefined
    if (this.stopping || run.inflight) return
    run.inflight = this.pollOnce(run).finally(() => { run.inflight = undefined })
  }

  private async pollOnce(run: Run): Promise<void> {
    const { key, unitId, profile, pollMs } = run.target
    const started = this.clock.now()
    run.polled = true
    let reading: Awaited<ReturnType<typeof readUnit>> | undefined
    let error: GatewayError | undefined
    try {
      reading = await readUnit(this.link, unitId, profile, run.plan)
    } catch (err) {
      error = err instanceof GatewayError ? err : new GatewayError(GatewayErrorCode.Internal, 'poll failed', { unitId }, err)
    }
    if (this.stopping) return
    const at = this.clock.now()
    if (reading) {
      if (run.failures > 0) run.log.info({ failures: run.failures }, 'unit answers again')
      run.failures = 0
      this.notePointErrors(run, reading.pointErrors)
      this.deliver(() => this.events.sample(key, reading.image, at, reading.pointErrors))
      run.due = nextDue(run.due, pollMs, at)
    } else {
      run.failures++
      const offlineAfter = this.opts.offlineAfterFailures
      if (run.failures === 1) run.log.warn({ err: error }, 'poll failed')
      else if (run.failures === offlineAfter) run.log.warn({ err: error, failures: run.failures }, 'unit unreachable; probing with backoff')
      else run.log.debug({ err: error, failures: run.failures }, 'poll failed')
      this.deliver(() => this.events.failure(key, error!, run.failures))
      run.due = run.failures >= offlineAfter
        ? at + probeDelay(run.failures - offlineAfter, this.opts.probe ?? { minMs: 2000, maxMs: 30_000 }, this.opts.random)
        : nextDue(run.due, pollMs, at)
    }
    this.deliver(() => this.events.polled(key, reading !== undefined, at - started))
    if (!this.stopping) this.schedule(run)
  }

  /** Logs a point when it becomes unreadable and when it reads again, not on every poll. */
  private notePointErrors(run: Run, pointErrors: PointError[]): void {
    const now = new Set<string>()
    for (const pe of pointErrors) {
      const id = `${pe.point}|${pe.area}|${pe.address}`
      now.add(id)
      if (run.bad.has(id)) continue
      run.bad.add(id)
      run.log.warn({ err: pe.err, point: pe.point, area: pe.area, address: pe.address, exceptionCode: pe.err.data.exceptionCode }, 'point unreadable')
    }
    for (const id of run.bad) {
      if (now.has(id)) continue
      run.bad.delete(id)
      const [point, area, address] = id.split('|')
      run.log.info({ point, area, address: Number(address) }, 'point readable again')
    }
  }

  // A consumer's bug must not stop the polling of every unit on the link.
  private deliver(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.log.error({ err }, 'poller event handler threw')
    }
  }
}
