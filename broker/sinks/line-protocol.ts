// InfluxDB line protocol for the two measurements of docs/telemetry-storage.md. After this file
// lines are the unit everywhere: the client batches them and the spool stores them.
import { Point } from '@influxdata/influxdb-client'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import { TELEMETRY_FIELDS } from './fields.ts'
import type { StoredTelemetry } from './types.ts'

export const TELEMETRY_MEASUREMENT = 'lift_telemetry'
export const ALARM_MEASUREMENT = 'lift_alarm'
// InfluxDB caps a string field at 64 KiB; evidence is a detector's summary, never near that.
export const EVIDENCE_MAX_CHARS = 16_384

// Timestamps are set as ms numbers and the write API's precision is ms: no conversion.
const MS = { convertTime: (t: string | number | Date | undefined) => (t === undefined ? undefined : String(t)) }

export function telemetryLine(t: StoredTelemetry): string {
  return sampleLine(t, t.elevatorId, t.region)
}

/** telemetryLine({ ...msg, elevatorId, region }) without that object; tags as fields.ts TELEMETRY_TAGS */
export function sampleLine(t: Telemetry, elevatorId: string, region: string): string {
  const p = new Point(TELEMETRY_MEASUREMENT).tag('elevator', elevatorId).tag('region', region).tag('gateway', t.gateway)
  for (const f of TELEMETRY_FIELDS) {
    const v = t[f.name]
    // line protocol has no null: an unknown value is an absent field
    if (v === null || v === undefined) continue
    switch (f.kind) {
      case 'int': p.intField(f.name, v); break
      case 'float': p.floatField(f.name, v); break
      case 'bool': p.booleanField(f.name, v as boolean); break
      case 'string': p.stringField(f.name, v); break
    }
  }
  return p.timestamp(t.ts).toLineProtocol(MS)!
}

export function alarmLine(a: AlarmEvent): string {
  let evidence = JSON.stringify(a.evidence)
  if (evidence.length > EVIDENCE_MAX_CHARS) evidence = `${evidence.slice(0, EVIDENCE_MAX_CHARS - 1)}…`
  const p = new Point(ALARM_MEASUREMENT)
    .tag('elevator', a.elevatorId)
    .tag('region', a.region)
    .tag('type', a.type)
    .tag('severity', a.severity)
    .tag('state', a.state)
    .stringField('id', a.id)
    .intField('raisedAt', a.raisedAt)
    .booleanField('drill', a.drill)
    .stringField('evidence', evidence)
  if (a.code !== null) p.stringField('code', a.code)
  if (a.clearedAt !== null) p.intField('clearedAt', a.clearedAt)
  // a raised event happens at raisedAt, a cleared one at clearedAt
  return p.timestamp(a.state === 'cleared' && a.clearedAt !== null ? a.clearedAt : a.raisedAt).toLineProtocol(MS)!
}
