// The detector contract (STYLE rules 5–6): a detector is a pure stream transform from the
// broker's accepted events of ONE elevator to alarm signals. Time comes from event `ts` and the
// injected RxJS scheduler, never from Date.now().
import type { Observable, SchedulerLike } from 'rxjs'
import type { TSchema, Static } from '@sinclair/typebox'
import type { AlarmType, Telemetry } from '../protocol/index.ts'

/** What ingest hands the detector runtime, already validated and deduplicated. */
export type DetectorInput =
  | { kind: 'telemetry'; elevatorId: string; region: string; gatewayId: string; ts: number; msg: Telemetry }
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
}

export interface DetectorContext {
  scheduler: SchedulerLike
}

export interface Detector<S extends TSchema = TSchema> {
  /** equal to the file name, e.g. 'entrapment' */
  readonly id: string
  readonly configSchema: S
  /** config already validated and defaulted against configSchema */
  create(config: Static<S>, ctx: DetectorContext): (input$: Observable<DetectorInput>) => Observable<AlarmSignal>
}
