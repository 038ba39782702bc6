// The detector runtime: ingest's accepted inputs, grouped per elevator, through every registered
// detector; each detector instance contained; signals turned into AlarmEvents by the lifecycle.
import { Subject, asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs'
import type { Logger } from 'pino'
import type { AlarmEvent } from '../../protocol/index.ts'
import { AlarmLifecycle, DETECTORS, alarmIds, type Applied, type AlarmSignal, type Detector, type DetectorInput } from '../../detectors/index.ts'
import { GatewayInhibition } from '../../detectors/runtime/inhibit.ts'
import type { ElevatorFacts } from '../../detectors/runtime/types.ts'
import { resolveDetectorsConfig, type DetectorsConfig } from './config.ts'
import { ElevatorEngine, type LearnedRow } from './elevators.ts'
import type { LearnedDrop } from '../../detectors/runtime/learned.ts'
import { DetectError, DetectErrorCode } from './errors.ts'
import { STALL_DEFAULTS, StallGuard, type StallConfig } from './stall.ts'
import { LearnedKeeper, LearnedStore, type LearnedKeeperCounts } from './snapshots.ts'

export interface DetectorFailure {
  readonly code: typeof DetectErrorCode.Failed | typeof DetectErrorCode.Signal
  readonly detectorId: string
  readonly elevatorId: string
  readonly err: unknown
}

export interface DetectorRuntimeOptions {
  /** ingest's accepted, validated, deduplicated inputs */
  readonly input$: Observable<DetectorInput>
  /** default: the registration list of detectors/index.ts */
  readonly detectors?: readonly Detector[]
  /** threshold overrides, validated at start() */
  readonly config?: DetectorsConfig
  /** default asyncScheduler; tests pass a virtual-time scheduler */
  readonly scheduler?: SchedulerLike
  /** an elevator silent this long has its detector state dropped (default 1 h); must exceed every silence threshold */
  readonly evictAfterMs?: number
  /** the registry's facts about an elevator (landings, rated speed, travel); absent = none known */
  readonly facts?: (elevatorId: string) => ElevatorFacts | null | undefined
  /** alarms still active from before (AlarmStore.active()): kept under their ids, cleared when their condition ends */
  readonly active?: readonly AlarmEvent[]
  /** alarm id generator; default ULID-shaped ids from the scheduler clock (no two runtimes should share a millisecond and a generator) */
  readonly newId?: () => string
  /** a child logger with the component set by the composition root */
  readonly log?: Logger
  /** the broker's own liveness for judging silence (broker/detect/stall.ts); default STALL_DEFAULTS */
  readonly stall?: Partial<StallConfig>
  /** told of every contained detector failure, after it is counted and logged */
  readonly onDetectorError?: (f: DetectorFailure) => void
}

export interface DetectorStats { errors: number; restarts: number; invalidSignals: number }

export interface DetectorRuntimeStats {
  eventsIn: number
  /** elevators with detector state held now */
  elevators: number
  alarmsRaised: number
  /** re-emitted while active: flapping, an earlier start from replayed history, new evidence */
  alarmsUpdated: number
  alarmsCleared: number
  alarmsActive: number
  /** repeated raises of an active key, clears of an inactive one; a clear being held is not counted until published */
  signalsIgnored: number
  /** the broker's own timers ran this late (broker/detect/stall.ts): it was not reading */
  brokerStalls: number
  /** communication_lost raises withdrawn after a stall because the elevator's data came within the grace */
  stallWithdrawn: number
  detectors: Record<string, DetectorStats>
  /** learned state kept across restarts (config `learned`); absent when not kept */
  learned?: LearnedKeeperCounts
}

const HOUR = 3_600_000

export class DetectorRuntime {
  /** raised and cleared AlarmEvents, hot; completes at stop() */
  readonly alarms$: Observable<AlarmEvent>
  private readonly alarms = new Subject<AlarmEvent>()
  private sub: Subscription | null = null
  private stopped = false
  private lifecycle: AlarmLifecycle | null = null
  private inhibition: GatewayInhibition | null = null
  private stall: StallGuard | null = null
  private engine: ElevatorEngine | null = null
  private keeper: LearnedKeeper | null = null
  private log: Logger | undefined
  private readonly counts = { eventsIn: 0, alarmsRaised: 0, alarmsUpdated: 0, alarmsCleared: 0, signalsIgnored: 0 }
  private readonly perDetector = new Map<string, DetectorStats>()

  constructor(private readonly opts: DetectorRuntimeOptions) {
    this.alarms$ = this.alarms.asObservable()
  }

  /** Validates the configuration (throws DetectorConfigError) and starts detecting. */
  start(): void {
    if (this.stopped) throw new DetectError(DetectErrorCode.Stopped, 'detector runtime already stopped')
    if (this.sub) return
    const detectors = this.opts.detectors ?? DETECTORS
    const config = resolveDetectorsConfig(detectors, this.opts.config)
    const scheduler = this.opts.scheduler ?? asyncScheduler
    const evictAfterMs = this.opts.evictAfterMs ?? HOUR
    this.log = this.opts.log
    const lifecycle = (this.lifecycle = new AlarmLifecycle({
      newId: this.opts.newId ?? alarmIds(() => scheduler.now()), scheduler, config: config.alarms,
      emit: (e) => {
        if (e.state === 'cleared') this.counts.alarmsCleared++
        this.alarms.next(e)
      },
    }))
    lifecycle.restore(this.opts.active ?? [])
    const inhibition = (this.inhibition = new GatewayInhibition(scheduler, (s) => this.count(lifecycle.apply(s))))
    inhibition.restore(this.opts.active ?? [])
    const stall = (this.stall = new StallGuard(scheduler, { ...STALL_DEFAULTS, ...this.opts.stall }, {
      emit: (s) => inhibition.apply(s),
      busy: () => (this.engine?.size ?? 0) > 0,
      stalled: ({ from, to }) => this.log?.warn({ from, to, stalledMs: to - from }, 'broker stalled: communication_lost held for the queued data'),
    }))
    for (const d of detectors) this.perDetector.set(d.id, { errors: 0, restarts: 0, invalidSignals: 0 })
    const keeper = (this.keeper = config.learned && new LearnedKeeper(new LearnedStore(config.learned.path), scheduler, config.learned, this.log))

    const engine = (this.engine = new ElevatorEngine(detectors, scheduler, evictAfterMs, {
      configFor: (d, elevatorId) => config.configFor(d.id, elevatorId),
      context: (elevatorId) => ({
        scheduler, elevator: this.opts.facts?.(elevatorId) ?? null,
        active: [...lifecycle.activeTypes(elevatorId), ...inhibition.activeTypes(elevatorId)],
      }),
      signal: (d, elevatorId, s) => this.signal(d, elevatorId, s, stall),
      failed: (d, elevatorId, err) => {
        this.perDetector.get(d.id)!.errors++
        this.report({ code: DetectErrorCode.Failed, detectorId: d.id, elevatorId, err })
      },
      restarted: (d) => { this.perDetector.get(d.id)!.restarts++ },
      ...(keeper ? {
        learned: (elevatorId: string) => keeper.load(elevatorId),
        dropped: (d: Detector, elevatorId: string, why: LearnedDrop) => keeper.drop(d.id, elevatorId, why),
        evicting: (rows: LearnedRow[]) => keeper.save(rows),
      } : {}),
    }))
    // before the first input: each elevator's learned state is read at its first input
    keeper?.start(engine)
    this.sub = this.opts.input$.subscribe({
      next: (i) => {
        this.counts.eventsIn++
        stall.alive()
        engine.input(i)
      },
      error: (err) => this.log?.error({ err, code: DetectErrorCode.Input }, 'detector input failed; detection stopped'),
    })
  }

  /** Idempotent: ends detection and completes alarms$. */
  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.sub?.unsubscribe()
    this.sub = null
    // what was learned is written before the instances holding it go
    this.keeper?.stop()
    this.engine?.stop()
    this.stall?.stop()
    this.inhibition?.stop()
    this.lifecycle?.stop()
    this.alarms.complete()
  }

  stats(): DetectorRuntimeStats {
    return {
      ...this.counts,
      brokerStalls: this.stall?.counts.stalls ?? 0,
      stallWithdrawn: this.stall?.counts.withdrawn ?? 0,
      elevators: this.engine?.size ?? 0,
      alarmsActive: this.lifecycle?.active().length ?? 0,
      detectors: Object.fromEntries([...this.perDetector].map(([id, s]) => [id, { ...s }])),
      ...(this.keeper ? { learned: this.keeper.counts() } : {}),
    }
  }

  /** The alarms active now. */
  active(): AlarmEvent[] {
    return this.lifecycle?.active() ?? []
  }

  /** A signal checked against the detector contract, tagged with its source, on through the stall guard to inhibition and the lifecycle. */
  private signal(d: Detector, elevatorId: string, s: AlarmSignal, stall: StallGuard): void {
    const problem = signalProblem(d, elevatorId, s)
    if (problem !== null) {
      this.perDetector.get(d.id)!.invalidSignals++
      this.report({ code: DetectErrorCode.Signal, detectorId: d.id, elevatorId, err: new DetectError(DetectErrorCode.Signal, problem, { signal: s }) })
      return
    }
    stall.apply({ ...s, source: d.id })
  }

  private count(a: Applied): void {
    if (a === 'raised') this.counts.alarmsRaised++
    else if (a === 'updated') this.counts.alarmsUpdated++
    else if (a === 'ignored') this.counts.signalsIgnored++
  }

  private report(f: DetectorFailure): void {
    const msg = f.code === DetectErrorCode.Failed ? 'detector failed; instance restarted' : 'detector signal dropped'
    this.log?.error({ err: f.err, code: f.code, detector: f.detectorId, elevatorId: f.elevatorId }, msg)
    try {
      this.opts.onDetectorError?.(f)
    } catch (err) {
      // a broken hook must not take the containment down with it
      this.log?.error({ err, detector: f.detectorId }, 'onDetectorError hook threw')
    }
  }
}

/** What is wrong with a signal under the detector contract, or null. */
function signalProblem(d: Detector, elevatorId: string, s: AlarmSignal): string | null {
  if (!d.types.includes(s.type)) return `type "${s.type}" is not one of ${d.types.join(', ')}`
  if (s.elevatorId !== elevatorId) return `elevatorId "${s.elevatorId}" in the instance of "${elevatorId}"`
  if (s.state !== 'raised' && s.state !== 'cleared') return `state "${String(s.state)}"`
  if (!Number.isFinite(s.at)) return `at ${String(s.at)} is not a time`
  return null
}
