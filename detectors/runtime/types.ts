// The detector contract (docs/architecture.md#conventions, rules 5–6): a detector is a pure stream transform from the
// broker's accepted events of ONE elevator to alarm signals. Time comes from event `ts` and the
// injected RxJS scheduler, never from the wall clock.
import type { Observable, SchedulerLike } from 'rxjs'
import type { TSchema, Static } from '@sinclair/typebox'
import type { AlarmType, Telemetry } from '../../protocol/index.ts'
import type { Machine } from './lifecycle.ts'

/**
 * What ingest hands the detector runtime, already validated and deduplicated. `gateway` inputs
 * are a gateway's status fanned out to each of its elevators; their `ts` is the broker's receipt
 * time (the status payload carries none). Every `ts`, and a telemetry's `msg.ts`, is on the
 * broker's clock: ingest corrects the gateway's and keeps what the gateway said in `gatewayTs`
 * when it differs. Telemetry with `msg.reason === 'replay'` is history from a gateway's outbox,
 * not the elevator's current state.
 */
export type DetectorInput =
  | { kind: 'telemetry'; elevatorId: string; region: string; gatewayId: string; ts: number; msg: Telemetry; gatewayTs?: number }
  | { kind: 'availability'; elevatorId: string; region: string; gatewayId: string; ts: number; state: 'online' | 'offline'; reason?: string }
  | { kind: 'gateway'; elevatorId: string; region: string; gatewayId: string; ts: number; state: 'online' | 'offline' }

/** A detector's verdict about one elevator; the alarm lifecycle turns these into AlarmEvents. */
export interface AlarmSignal {
  elevatorId: string
  region: string
  type: AlarmType
  state: 'raised' | 'cleared'
  /** event time (ms) the condition began (raised) or ended (cleared) */
  at: number
  evidence: Record<string, unknown>
  /** found in history replayed after an outage, not live */
  late?: boolean
  /** late raises: whether the live data shows the condition still on (set by the driver) */
  ongoing?: boolean
  /** `at` on the clock of the gateway that sent the data (from the input's `gatewayTs`), set by the driver when it differs */
  gatewayAt?: number
  /** a raise for an alarm already active that carries newer evidence */
  evidenceUpdate?: boolean
  /** 'gateway': about a whole gateway (elevatorId holds the gatewayId), set by the inhibition stage */
  scope?: 'elevator' | 'gateway'
  /** scope gateway: the elevators whose communication_lost it groups */
  groups?: string[]
  /** the detector id it came from, set by the runtime: a type two detectors raise clears when both have cleared */
  source?: string
}

/** What the registry knows about one elevator; detectors fall back to safe defaults without it. */
export interface ElevatorFacts {
  /** landing labels, lowest first */
  readonly landings: readonly string[]
  /** m/s */
  readonly ratedSpeed: number
  /** metres from the lowest to the top landing; null when not registered */
  readonly travel: number | null
}

export interface DetectorContext {
  scheduler: SchedulerLike
  /** the registry's facts about this elevator; null for an elevator it does not describe */
  elevator?: ElevatorFacts | null
  /**
   * Alarm types already raised for this elevator when this instance starts (after a restart,
   * after its elevator's group was evicted for idleness, or after the broker restarted). An
   * instance treats its own types in here as raised, so it can clear them.
   */
  active: readonly AlarmType[]
}

/** A detector's behaviour as a state machine, which the runtime drives without a stream per elevator. */
export interface DetectorMachine {
  readonly machine: Machine<{ readonly raised: unknown }>
  /** evaluate replayed history in event time (default true) */
  readonly replay?: boolean
  /** change-driven dispatch, one object shared by the machines of a configuration; absent = every sample is stepped */
  readonly dispatch?: Dispatch
}

/**
 * Change-driven dispatch (link.ts): the telemetry fields (`F` bits) the machine reads. A live
 * sample that changes none of them from the previous one, comes less than `gapMs` after it
 * with no offline report between, and finds no wake-up due, is not given to the machine when
 * `idle(state, previous sample)` says such a repeat leaves the state as it is and asks no new
 * wake-up (`timerPending`: one is pending now).
 */
export interface Dispatch {
  readonly reads: number
  readonly gapMs: number
  /** reads of `prev` only the fields named in `reads`: the runtime asks once for a run of repeats */
  idle?(state: unknown, prev: Telemetry, timerPending: boolean): boolean
  /**
   * `F.position` or `F.speed`: the machine gives a band of that field (lifecycle.ts
   * `Machine.band`); a sample that changes, of the fields read, only that one, to a value
   * within the band, is a repeat too
   */
  readonly band?: number
}

export interface Detector<S extends TSchema = TSchema> {
  /** equal to the file name, e.g. 'entrapment' */
  readonly id: string
  /** the alarm types this detector may signal; the runtime rejects any other */
  readonly types: readonly AlarmType[]
  readonly configSchema: S
  /** config already validated and defaulted against configSchema */
  create(config: Static<S>, ctx: DetectorContext): (input$: Observable<DetectorInput>) => Observable<AlarmSignal>
  /** the same behaviour as a machine (detectors/runtime/driver.ts machineDetector gives both) */
  machine?(config: Static<S>, ctx: DetectorContext): DetectorMachine
}
