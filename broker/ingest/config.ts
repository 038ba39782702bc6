// The `ingest` config section.
import { Type, type Static } from '@sinclair/typebox'
import { parseSection } from '../../core/config.ts'

export const IngestConfigSchema = Type.Object({
  maxPayloadBytes: Type.Integer({ minimum: 1024, default: 16_384, description: 'larger payloads are invalid without being parsed (telemetry is ~600 bytes)' }),
  seqWindow: Type.Integer({ minimum: 8, maximum: 4096, default: 64, description: 'recent seqs remembered per elevator to drop duplicates' }),
  logIntervalSeconds: Type.Number({ exclusiveMinimum: 0, default: 60, description: 'at most one invalid-message line per gateway per interval' }),
  maxGateways: Type.Integer({ minimum: 1, default: 10_000, description: 'distinct gateway keys in the stats; more are counted as "(other)"' }),
  clockSkewMs: Type.Integer({ minimum: 0, default: 2000, description: "a live message whose ts is off the broker's clock by more than this counts as skewed (the gateway's clock is off; its offset is corrected)" }),
  clockToleranceMs: Type.Integer({ minimum: 100, default: 5000, description: "a live ts this far from what the gateway's measured clock offset predicts is re-timed to its receipt (one bad ts, or a clock step until confirmed)" }),
  maxAgeSeconds: Type.Integer({ minimum: 60, default: 7 * 86_400, description: "replayed telemetry dated longer than this before its receipt (after the gateway's clock correction) is kept for the sinks but not evaluated by the detectors (a gateway clock reset during an outage)" }),
  clockStepConfirmations: Type.Integer({ minimum: 1, default: 3, description: 're-timed live messages in a row agreeing on a new offset: the gateway clock was stepped, the new offset is adopted' }),
}, { additionalProperties: false, default: {} })
export type IngestConfig = Static<typeof IngestConfigSchema>

export function parseIngestConfig(data: unknown = {}, file = '(config)', at = 'ingest'): Readonly<IngestConfig> {
  return parseSection(IngestConfigSchema, data, file, at)
}

export const DEFAULT_INGEST_CONFIG: Readonly<IngestConfig> = parseIngestConfig()
