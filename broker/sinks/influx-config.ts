// The `telemetry.influx` config section. Names ending in Ms are milliseconds.
import { Type, type Static } from '@sinclair/typebox'
import type { Problem } from '../../protocol/index.ts'
import { parseSection } from './config.ts'

const Int = (def: number, description: string, minimum = 0) => Type.Integer({ minimum, default: def, description })

export const InfluxSinkConfigSchema = Type.Object({
  url: Type.String({ pattern: '^https?://[^/]', description: 'InfluxDB base URL, e.g. http://influxdb:8086' }),
  org: Type.String({ minLength: 1, default: 'liftwatch', description: 'organisation (InfluxDB 2.x)' }),
  bucket: Type.String({ minLength: 1, default: 'liftwatch', description: 'bucket; its retention policy is the retention' }),
  token: Type.Optional(Type.String({ minLength: 1, description: 'API token with write access to the bucket; never logged' })),
  precision: Type.Literal('ms', { default: 'ms', description: 'message ts are ms since the epoch, written as they are' }),
  batchSize: Int(5000, 'lines per write request', 1),
  flushIntervalMs: Int(1000, 'a partial batch is sent after this long', 10),
  maxBatchBytes: Int(8 * 1024 * 1024, 'request body bound; keep under the server limit (InfluxDB: 25 MB)', 1024),
  gzipThreshold: Int(1000, 'request bodies larger than this many bytes are gzipped'),
  timeoutMs: Int(10_000, 'per write request', 100),
  maxRetries: Int(3, 'retries of one batch in memory (exponential backoff) before it is spilled to disk'),
  minRetryDelayMs: Int(1000, 'first retry delay; also the first spool re-send delay', 1),
  maxRetryDelayMs: Int(30_000, 'longest retry delay, in memory and for the spool', 1),
  retryJitterMs: Int(200, 'random extra delay added to each retry'),
  maxRetryTimeMs: Int(60_000, 'a batch retried in memory this long is spilled', 100),
  maxBufferLines: Int(50_000, "bound of the client's in-memory retry buffer; overflow is spilled", 1),
  spillDir: Type.String({ minLength: 1, default: './data/influx-spool', description: 'directory of the spill spool (SQLite)' }),
  maxSpillBytes: Int(1024 ** 3, 'spool bound; past it the oldest lines are dropped (and counted)', 65_536),
  stopTimeoutMs: Int(15_000, 'how long stop() may try to write what memory holds before it is spilled or counted lost', 100),
}, { additionalProperties: false })
export type InfluxSinkConfig = Static<typeof InfluxSinkConfigSchema>

/** Cross-field checks the schema cannot express. */
export function influxConfigProblems(c: InfluxSinkConfig): Problem[] {
  const problems: Problem[] = []
  if (c.maxRetryDelayMs < c.minRetryDelayMs) problems.push({ path: 'maxRetryDelayMs', message: 'must be ≥ minRetryDelayMs' })
  if (c.maxBufferLines < c.batchSize) problems.push({ path: 'maxBufferLines', message: 'must be ≥ batchSize' })
  return problems
}

export function parseInfluxSinkConfig(data: unknown, path = 'telemetry.influx'): Readonly<InfluxSinkConfig> {
  return parseSection(InfluxSinkConfigSchema, data, path, influxConfigProblems)
}
