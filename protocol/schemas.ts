// The v1 payloads. One TypeBox source yields the TypeScript types, the JSON schemas the
// validators compile, and docs/protocol.md.
import { Type, type Static } from '@sinclair/typebox'
import { ELEVATOR_ID_PATTERN, GATEWAY_ID_PATTERN, REGION_PATTERN } from './ids.ts'
import { ALARM_TYPES } from './catalogue.ts'
import { FAULT_CODE_TYPES } from './profile.ts'

const lit = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), { description })

export const DOOR_STATES = ['open', 'opening', 'closing', 'closed', 'unknown'] as const
export const DIRECTIONS = ['up', 'down', 'none'] as const
export const MODES = [
  'normal', 'inspection', 'maintenance', 'fire', 'fireman', 'emergency_power', 'earthquake',
  'out_of_service', 'unknown',
] as const
export const POWER_STATES = ['mains', 'battery', 'off'] as const
export const REASONS = ['change', 'heartbeat', 'replay'] as const

export type DoorState = (typeof DOOR_STATES)[number]
export type Direction = (typeof DIRECTIONS)[number]
export type Mode = (typeof MODES)[number]
export type PowerState = (typeof POWER_STATES)[number]
export type Reason = (typeof REASONS)[number]

const Version = Type.Literal(1, { description: 'schema version' })
// bounds: JSON numbers are doubles, so 1e309 parses as Infinity and 1e300 as an "integer";
// 8.64e15 ms is the last instant a JavaScript Date holds (ECMA-262 §21.4.1.22)
const MAX_TS = 8_640_000_000_000_000
const Timestamp = Type.Integer({ minimum: 0, maximum: MAX_TS, description: 'milliseconds since the Unix epoch' })
const GatewayId = Type.String({ pattern: GATEWAY_ID_PATTERN, description: 'gatewayId' })

/** What the controller tells about the car: every telemetry field a register map can carry. */
export const ControllerStateSchema = Type.Object({
  floor: Type.String({ minLength: 1, maxLength: 8, description: 'floor label as shown in the car ("B1", "1", "12A")' }),
  floorIndex: Type.Integer({ minimum: 0, description: '0 = lowest landing' }),
  // the tallest shafts are near 600 m; a car in the pit is a little below the lowest landing
  position: Type.Union([Type.Number({ minimum: -100, maximum: 1000 }), Type.Null()], { description: 'metres above the lowest landing, -100…1000; null when unknown' }),
  speed: Type.Union([Type.Number({ minimum: 0, maximum: 25 }), Type.Null()], { description: 'm/s, 0…25 (the fastest cars run 21); null when unknown' }),
  direction: lit(DIRECTIONS, 'travel direction'),
  moving: Type.Boolean({ description: 'car in motion' }),
  door: lit(DOOR_STATES, 'car door state'),
  doorZone: Type.Boolean({ description: 'car within the door (unlocking/levelling) zone' }),
  occupied: Type.Union([Type.Boolean(), Type.Null()], { description: 'passenger present (sensor); null when the elevator has no sensor' }),
  load: Type.Union([Type.Number({ minimum: 0, maximum: 1000 }), Type.Null()], { description: '% of rated load, 0…1000; null when unknown' }),
  alarmButton: Type.Boolean({ description: 'in-car alarm button active' }),
  safetyCircuit: Type.Boolean({ description: 'true = safety chain closed (healthy)' }),
  mode: lit(MODES, 'service mode'),
  power: lit(POWER_STATES, 'supply'),
  upLimit: Type.Boolean({ description: 'up final limit switch acted' }),
  downLimit: Type.Boolean({ description: 'down final limit switch acted' }),
  faultCode: Type.Integer({ minimum: 0, maximum: 65535, description: "controller's own fault code, 0 = none" }),
}, { additionalProperties: false })
export type ControllerState = Static<typeof ControllerStateSchema>

export const TelemetryEnvelopeSchema = Type.Object({
  v: Version,
  ts: Type.Integer({ minimum: 0, maximum: MAX_TS, description: 'when the gateway sampled the controller, ms since epoch' }),
  seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'per elevator, +1 each message from one gateway boot; lets the broker drop duplicates and count gaps' }),
  boot: Type.String({ minLength: 1, maxLength: 64, description: 'gateway boot id; a new boot restarts seq' }),
  gateway: GatewayId,
  reason: lit(REASONS, 'why this message was sent (replay = from the outbox after an outage)'),
})

/** What the gateway adds from the controller's profile: the catalogue's reading of the fault code. */
export const ProfileFactsSchema = Type.Object({
  faultType: Type.Optional(Type.Union([...FAULT_CODE_TYPES.map((t) => Type.Literal(t)), Type.Null()], {
    description: "the catalogue type the controller profile's faultCodes maps faultCode to; null = the profile maps this code to nothing; absent when faultCode is 0 (or from a gateway that does not say)",
  })),
})
export type ProfileFacts = Static<typeof ProfileFactsSchema>

export const TelemetrySchema = Type.Composite([TelemetryEnvelopeSchema, ControllerStateSchema, ProfileFactsSchema], {
  additionalProperties: false,
  $id: 'liftwatch/v1/telemetry',
  title: 'Telemetry',
  description: 'gateway → broker, QoS 1, on change at once and as a heartbeat',
})
export type Telemetry = Static<typeof TelemetrySchema>

export const AvailabilitySchema = Type.Object({
  v: Version,
  ts: Timestamp,
  state: lit(['online', 'offline'] as const, 'can the gateway reach this controller'),
  gateway: GatewayId,
  reason: Type.Optional(Type.String({ maxLength: 200, description: 'why offline (e.g. "timeout", "exception 04")' })),
}, {
  additionalProperties: false,
  $id: 'liftwatch/v1/availability',
  title: 'Availability',
  description: 'gateway → broker, QoS 1, retained',
})
export type Availability = Static<typeof AvailabilitySchema>

export const GatewayStatusSchema = Type.Object({
  v: Version,
  state: lit(['online', 'offline'] as const, 'gateway connection state; the last will is {"v":1,"state":"offline"}'),
  version: Type.Optional(Type.String({ maxLength: 64, description: 'gateway software version' })),
  boot: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'boot id' })),
  elevators: Type.Optional(Type.Array(Type.String({ pattern: ELEVATOR_ID_PATTERN }), { maxItems: 1024, description: 'elevators this gateway serves' })),
  outbox: Type.Optional(lit(['full', 'failing'] as const,
    'absent while the outbox stores; full = its disk or file is full, failing = other write errors: live messages go out unstored, nothing is kept for an outage')),
}, {
  additionalProperties: false,
  $id: 'liftwatch/v1/gateway-status',
  title: 'GatewayStatus',
  description: 'gateway → broker, retained, with an offline last will',
})
export type GatewayStatus = Static<typeof GatewayStatusSchema>

export const AlarmEventSchema = Type.Object({
  v: Version,
  id: Type.String({ minLength: 1, maxLength: 64, description: 'unique id of this alarm occurrence' }),
  key: Type.String({ minLength: 1, maxLength: 128, description: 'dedup key {elevatorId}:{type}' }),
  type: lit(ALARM_TYPES, 'alarm type from the fault catalogue'),
  code: Type.Union([Type.String({ pattern: '^[0-9]{2}$' }), Type.Null()], { description: 'provincial platform code, null for our own types' }),
  severity: lit(['critical', 'major', 'minor', 'warning'] as const, 'severity'),
  state: lit(['raised', 'cleared'] as const, 'lifecycle event'),
  elevatorId: Type.String({ pattern: ELEVATOR_ID_PATTERN, description: 'elevator' }),
  region: Type.String({ pattern: REGION_PATTERN, description: 'administrative region code' }),
  raisedAt: Type.Integer({ minimum: 0, description: "when the condition began, ms since epoch, on the broker's clock: the gateway's ts corrected by its measured clock offset" }),
  clearedAt: Type.Union([Timestamp, Type.Null()], { description: 'when cleared, ms since epoch; null while active' }),
  evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'what the detector saw' }),
  drill: Type.Boolean({ description: 'part of an emergency drill' }),
  scope: Type.Optional(lit(['elevator', 'gateway'] as const, 'absent or elevator = one elevator; gateway = one gateway offline, grouping its elevators (elevatorId then holds the gatewayId)')),
  gatewayId: Type.Optional(GatewayId),
  elevators: Type.Optional(Type.Array(Type.String({ pattern: ELEVATOR_ID_PATTERN }), { maxItems: 1024, description: 'scope gateway: the elevators whose communication_lost this alarm groups' })),
  flapping: Type.Optional(Type.Boolean({ description: 'the condition came back while its clear was held: one alarm instead of one per cycle' })),
  late: Type.Optional(Type.Boolean({ description: 'found in history a gateway replayed after an outage; raisedAt is the true start' })),
  ongoing: Type.Optional(Type.Boolean({ description: 'late alarms: true = the live data shows the condition still on when the history arrived (still trapped); false = already over by then (already released)' })),
  detectedAt: Type.Optional(Type.Integer({ minimum: 0, description: "when the broker raised it, ms since epoch, on the broker's clock: the receipt of the sample that completed the condition, or the moment its threshold came due; for a late alarm, when the history arrived" })),
  gatewayRaisedAt: Type.Optional(Type.Integer({ description: "raisedAt as the gateway's own clock gave it (its ts), ms since epoch; differs from raisedAt by the gateway's clock offset; absent when the two clocks agreed" })),
  updatedAt: Type.Optional(Timestamp),
}, {
  additionalProperties: false,
  $id: 'liftwatch/v1/alarm',
  title: 'AlarmEvent',
  description: 'broker → subscribers, QoS 1, alarm lifecycle events',
})
export type AlarmEvent = Static<typeof AlarmEventSchema>

export const IncidentEventSchema = Type.Object({
  v: Version,
  id: Type.String({ minLength: 1, maxLength: 64, description: 'incident id' }),
  elevatorId: Type.String({ pattern: ELEVATOR_ID_PATTERN, description: 'elevator' }),
  region: Type.String({ pattern: REGION_PATTERN, description: 'administrative region code' }),
  state: lit(['01', '02', '04', '00', '05'] as const, 'provincial platform code: 01 occurred, 02 responded, 04 arrived, 00 completed, 05 false alarm'),
  source: lit(['alarm', 'desk'] as const, 'opened by an alarm, or by the desk for a phone call'),
  alarmType: Type.Optional(lit(ALARM_TYPES, 'the alarm that opened it')),
  drill: Type.Boolean({ description: 'an emergency drill (演练)' }),
  trappedAt: Timestamp,
  alarmAt: Timestamp,
  respondedAt: Type.Optional(Timestamp),
  arrivedAt: Type.Optional(Timestamp),
  releasedAt: Type.Optional(Timestamp),
  closedAt: Type.Optional(Timestamp),
  personsReleased: Type.Optional(Type.Integer({ minimum: 0, description: 'persons released, once completed' })),
  updatedAt: Timestamp,
}, {
  additionalProperties: false,
  $id: 'liftwatch/v1/incident',
  title: 'IncidentEvent',
  description: 'broker → subscribers, QoS 1, the state of an incident on every change; names no person',
})
export type IncidentEvent = Static<typeof IncidentEventSchema>

export const PAYLOAD_SCHEMAS = {
  telemetry: TelemetrySchema,
  availability: AvailabilitySchema,
  status: GatewayStatusSchema,
  alarm: AlarmEventSchema,
  incident: IncidentEventSchema,
} as const
export type PayloadKind = keyof typeof PAYLOAD_SCHEMAS
