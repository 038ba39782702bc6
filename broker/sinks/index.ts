// The broker's telemetry storage: InfluxDB when `telemetry.influx` is configured, otherwise the
// embedded SQLite store (docs/architecture.md#real-peers).
import { Type, type Static } from '@sinclair/typebox'
import type { Logger } from 'pino'
import { parseSection } from './config.ts'
import { influxConfigProblems } from './influx-config.ts'
import { InfluxSink, InfluxSinkConfigSchema } from './influx.ts'
import { SqliteTelemetrySink, SqliteTelemetrySinkConfigSchema } from './sqlite-telemetry.ts'
import type { TelemetrySink } from './types.ts'

export type { SinkStats, StoredTelemetry, TelemetrySink } from './types.ts'
export { SinkError, SinkErrorCode } from './errors.ts'
export { InfluxSink, InfluxSinkConfigSchema, parseInfluxSinkConfig, type InfluxSinkConfig } from './influx.ts'
export { SqliteTelemetrySink, SqliteTelemetrySinkConfigSchema, parseSqliteTelemetrySinkConfig, type SqliteTelemetrySinkConfig } from './sqlite-telemetry.ts'

export const TelemetryStorageConfigSchema = Type.Object({
  influx: Type.Optional(InfluxSinkConfigSchema),
  sqlite: SqliteTelemetrySinkConfigSchema,
}, { additionalProperties: false, default: {} })
export type TelemetryStorageConfig = Static<typeof TelemetryStorageConfigSchema>

export function parseTelemetryStorageConfig(data: unknown, path = 'telemetry'): Readonly<TelemetryStorageConfig> {
  return parseSection(TelemetryStorageConfigSchema, data, path, (c) =>
    c.influx ? influxConfigProblems(c.influx).map((p) => ({ ...p, path: `influx.${p.path}` })) : [])
}

export function createTelemetrySink(cfg: Readonly<TelemetryStorageConfig>, log: Logger): TelemetrySink {
  return cfg.influx ? new InfluxSink(cfg.influx, log) : new SqliteTelemetrySink(cfg.sqlite, log)
}
