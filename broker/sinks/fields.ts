// Which telemetry fields are stored, and as what: derived from protocol's TelemetrySchema, so a
// field added to the contract reaches InfluxDB and the SQLite table without an edit here.
import { TelemetrySchema, type Telemetry } from '../../protocol/index.ts'

export type FieldKind = 'int' | 'float' | 'bool' | 'string'
export interface FieldSpec {
  readonly name: keyof Telemetry & string
  readonly kind: FieldKind
  readonly nullable: boolean
  /** may be absent from a message (faultType): stored as NULL, read back as absent */
  readonly optional: boolean
}

interface JsonSchema { type?: string; anyOf?: JsonSchema[] }

// `v` is constant, `ts` is the point's time, `gateway` is a tag: none of them is a field.
const NOT_FIELDS = new Set(['v', 'ts', 'gateway'])

function kindOf(name: string, s: JsonSchema): { kind: FieldKind; nullable: boolean } {
  const types = new Set((s.anyOf ?? [s]).map((o) => o.type))
  const nullable = types.delete('null')
  const [only] = types
  if (types.size !== 1 || only === undefined) throw new Error(`telemetry field ${name}: no single storable type (${[...types].join(', ')})`)
  const kind = ({ integer: 'int', number: 'float', boolean: 'bool', string: 'string' } as const)[only as 'integer']
  if (!kind) throw new Error(`telemetry field ${name}: type ${only} cannot be stored`)
  return { kind, nullable }
}

export const TELEMETRY_FIELDS: readonly FieldSpec[] = Object.entries(TelemetrySchema.properties as Record<string, JsonSchema>)
  .filter(([name]) => !NOT_FIELDS.has(name))
  .map(([name, s]) => ({ name: name as FieldSpec['name'], ...kindOf(name, s), optional: !(TelemetrySchema.required as readonly string[]).includes(name) }))

/** Tag (InfluxDB) and key column (SQLite) names, with the message property each comes from. */
export const TELEMETRY_TAGS = [
  { tag: 'elevator', from: 'elevatorId' },
  { tag: 'region', from: 'region' },
  { tag: 'gateway', from: 'gateway' },
] as const
