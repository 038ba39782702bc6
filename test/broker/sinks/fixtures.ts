// Shared pieces of the sink tests: sample messages and a sink configuration for a test server.
import type { AlarmEvent } from '../../../protocol/index.ts'
import { parseInfluxSinkConfig, type InfluxSinkConfig } from '../../../broker/sinks/influx.ts'
import type { StoredTelemetry } from '../../../broker/sinks/types.ts'
import { sampleTelemetry } from '../../protocol/fixtures.ts'

export { captureLog, delay, silent, tempDir, until } from '../../gateway/outbox/fixtures.ts'

export const REGION = '330922'

export const stored = (over: Partial<StoredTelemetry> = {}): StoredTelemetry => ({
  ...sampleTelemetry(), elevatorId: 'E-1', region: REGION, ...over,
})

export const alarmEvent = (over: Partial<AlarmEvent> = {}): AlarmEvent => ({
  v: 1, id: 'a-1', key: 'E-1:entrapment', type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
  elevatorId: 'E-1', region: REGION, raisedAt: 1_764_000_000_000, clearedAt: null,
  evidence: { doorClosedMs: 120_000, occupied: true }, drill: false, ...over,
})

/** Fast retries and a short flush interval, so the tests see each stage within seconds. */
export const influxConfig = (url: string, spillDir: string, over: Partial<InfluxSinkConfig> = {}) =>
  parseInfluxSinkConfig({
    url, org: 'lw', bucket: 'test', token: 'test-token', spillDir,
    batchSize: 500, flushIntervalMs: 100, maxRetries: 1, minRetryDelayMs: 50, maxRetryDelayMs: 500, retryJitterMs: 20,
    timeoutMs: 2000, maxRetryTimeMs: 5000, maxBufferLines: 5000, stopTimeoutMs: 5000,
    ...over,
  })
