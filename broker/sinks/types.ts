// What every telemetry sink offers the broker (docs/architecture.md#conventions, rule 3): start(), an idempotent stop(), and
// writes that never wait on I/O. Stats are plain numbers a Prometheus exporter maps one to one.
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'

/** A telemetry message as ingest accepted it, with the ids its topic carried. */
export type StoredTelemetry = Telemetry & { elevatorId: string; region: string }

export interface SinkStats {
  /** monotonic over the sink object's life: export as `liftwatch_sink_<name>_total` */
  counters: Record<string, number>
  /** values of now: export as `liftwatch_sink_<name>` */
  gauges: Record<string, number>
}

export interface TelemetrySink {
  readonly kind: 'influxdb' | 'sqlite'
  start(): Promise<void>
  /** Writes or keeps (on disk) what it holds, then releases everything. Idempotent. */
  stop(): Promise<void>
  /** Queues one point. Throws LW_ERR_SINK_NOT_STARTED outside start() … stop(). */
  writeTelemetry(t: StoredTelemetry): void
  /** The same as writeTelemetry({ ...msg, elevatorId, region }), without making that object. */
  /** `ts`: the time to store when `msg.ts` is not the gateway's (ingest corrects it to broker time); default msg.ts */
  writeSample(msg: Telemetry, elevatorId: string, region: string, ts?: number): void
  writeAlarm(a: AlarmEvent): void
  stats(): SinkStats
}
