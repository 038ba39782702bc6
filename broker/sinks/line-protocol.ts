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

// A telemetry line is made for every accepted sample: written here by hand, as the client's
// Point writes it (fields and tags sorted by name, the same escaping), without a Point per sample.
// test/broker/sinks/line-protocol.test.ts compares the two.
const SORTED_FIELDS = [...TELEMETRY_FIELDS].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
const TAG_SPECIAL = /[, =\n\r\t]/
const TAG_ESCAPES: Record<string, string> = { ',': '\\,', ' ': '\\ ', '=': '\\=', '\n': '\\n', '\r': '\\r', '\t': '\\t' }
const tagValue = (v: string) => (TAG_SPECIAL.test(v) ? v.replace(/[, =\n\r\t]/g, (c) => TAG_ESCAPES[c]!) : v)
const quoted = (v: string) => `"${/["\\]/.test(v) ? v.replace(/["\\]/g, (c) => `\\${c}`) : v}"`

/** telemetryLine({ ...msg, ts, elevatorId, region }) without that object; tags as fields.ts TELEMETRY_TAGS */
export function sampleLine(t: Telemetry, elevatorId: string, region: string, ts: number = t.ts): string {
  // tags sorted by name; an empty tag value is left out, as Point does
  let line = TELEMETRY_MEASUREMENT
  if (elevatorId) line += `,elevator=${tagValue(elevatorId)}`
  if (t.gateway) line += `,gateway=${tagValue(t.gateway)}`
  if (region) line += `,region=${tagValue(region)}`
  let first = true
  for (const f of SORTED_FIELDS) {
    const v = t[f.name]
    // line protocol has no null: an unknown value is an absent field
    if (v === null || v === undefined) continue
    line += first ? ' ' : ','
    first = false
    line += f.name
    switch (f.kind) {
      case 'int': line += `=${intValue(f.name, v)}i`; break
      case 'float': line += `=${floatValue(f.name, v)}`; break
      case 'bool': line += v ? '=T' : '=F'; break
      case 'string': line += `=${quoted(String(v))}`; break
    }
  }
  return `${line} ${ts}`
}

// Point's bounds: a 64-bit integer
const INT_BOUND = 9_223_372_036_854_776_000

function intValue(name: string, v: unknown): number {
  const n = Number(v)
  if (Number.isNaN(n) || n <= -INT_BOUND || n >= INT_BOUND) throw new Error(`invalid integer value for field '${name}': '${String(v)}'!`)
  return Math.floor(n)
}

function floatValue(name: string, v: unknown): number {
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`invalid float value for field '${name}': ${String(v)}`)
  return n
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
