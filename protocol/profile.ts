// Controller profiles: data that maps a controller's coils, inputs and registers to telemetry
// fields. The gateway decodes with a profile; the simulator encodes with the same one.
import { Type, type Static } from '@sinclair/typebox'
import { ALARM_TYPES, type AlarmType } from './catalogue.ts'

export const AREAS = ['coil', 'discrete', 'holding', 'input'] as const
export type Area = (typeof AREAS)[number]
export const POINT_TYPES = ['bool', 'bit', 'bits', 'u16', 'i16', 'u32', 'i32', 'f32', 'string'] as const
export type PointType = (typeof POINT_TYPES)[number]
// A = most significant byte. 16-bit values: AB (big-endian, Modbus' own) or BA.
export const ORDERS = ['AB', 'BA', 'ABCD', 'CDAB', 'BADC', 'DCBA'] as const
export type ByteOrder = (typeof ORDERS)[number]
// How a signed speed reads: most controllers report negative = down (docs/profiles.md#signed-speed).
export const SPEED_SIGNS = ['down-negative', 'up-negative', 'abs'] as const
export type SpeedSign = (typeof SPEED_SIGNS)[number]
// Our own types have conditions no controller reports as a fault code (detectors/fault-code.ts).
const NOT_MAPPABLE: readonly AlarmType[] = ['communication_lost', 'anomaly', 'long_idle', 'maintenance_overdue']
export const FAULT_CODE_TYPES = ALARM_TYPES.filter((t) => !NOT_MAPPABLE.includes(t))
export type FaultCodeType = (typeof FAULT_CODE_TYPES)[number]

const union = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), { description })

const Ref = Type.Object({
  area: union(AREAS, 'Modbus data area'),
  address: Type.Integer({ minimum: 0, maximum: 65536, description: 'address as written in the profile (see addressBase)' }),
  type: Type.Optional(union(['bool', 'bit'] as const, 'bool on a coil/discrete input, bit of a register')),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15 })),
}, { additionalProperties: false })

export const PointSchema = Type.Object({
  area: union(AREAS, 'Modbus data area'),
  address: Type.Integer({ minimum: 0, maximum: 65536, description: 'address as written in the profile (see addressBase)' }),
  type: union(POINT_TYPES, 'value type'),
  bit: Type.Optional(Type.Integer({ minimum: 0, maximum: 15, description: 'lowest bit, for bit and bits' })),
  width: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'number of bits, for bits' })),
  length: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'registers, for string' })),
  order: Type.Optional(union(ORDERS, 'byte/word order; 32-bit default ABCD, 16-bit default AB')),
  scale: Type.Optional(Type.Number({ description: 'engineering value = raw × scale + offset' })),
  offset: Type.Optional(Type.Number()),
  invert: Type.Optional(Type.Boolean({ description: 'bool/bit: true when the signal is low' })),
  sign: Type.Optional(union(SPEED_SIGNS, 'speed only: what a negative value means; down-negative and up-negative give the direction')),
  enum: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9]+$' }), Type.String(), { description: 'raw code → value' })),
  nullValue: Type.Optional(Type.Number({ description: 'raw value meaning "unknown" (decodes to null)' })),
  validIf: Type.Optional(Ref),
  description: Type.Optional(Type.String()),
}, { additionalProperties: false })
export type Point = Static<typeof PointSchema>
export type PointRef = Static<typeof Ref>

export const ProfileSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$' }),
  description: Type.String(),
  addressBase: Type.Union([Type.Literal(0), Type.Literal(1)], { description: 'addresses in this file start at 0 (protocol) or 1 (vendor manuals)' }),
  points: Type.Record(Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_.]*$' }), PointSchema, {
    description: 'telemetry field name (or an extra name) → point',
  }),
  faultCodes: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9]+$' }), union(FAULT_CODE_TYPES, 'alarm type'), {
    description: "controller fault code → the catalogue type it raises",
  })),
}, { additionalProperties: false, $id: 'liftwatch/profile', title: 'ControllerProfile' })
export type Profile = Static<typeof ProfileSchema>

export const registersOf = (p: Point): number => {
  switch (p.type) {
    case 'u32': case 'i32': case 'f32': return 2
    case 'string': return p.length ?? 1
    default: return 1
  }
}
export const isBitArea = (a: Area): boolean => a === 'coil' || a === 'discrete'
