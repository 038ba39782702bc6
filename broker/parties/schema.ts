// The parties directory file (parties.yaml, beside the registry): who answers for each elevator and
// how to reach them (docs/import.md#parties-and-the-three-level-network). One TypeBox schema gives
// both the type and the validator (docs/architecture.md#conventions, rule 8).
import { Type, type Static } from '@sinclair/typebox'
import { ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
// mainland mobile numbers: 11 digits starting 1[3-9]; landlines (duty phones) may carry an area code
export const MOBILE_PATTERN = '^1[3-9][0-9]{9}$'
export const PHONE_PATTERN = '^(1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{3,8})$'
const ENV_PATTERN = '^[A-Z_][A-Z0-9_]{0,63}$'

export const ORG_KINDS = ['maintenance', 'property', 'rescue', 'desk', 'township', 'bureau'] as const
export type OrgKind = (typeof ORG_KINDS)[number]
/** The roles a person holds in the chain; the engine's roles (response/) are named the same. */
export const PERSON_ROLES = ['maintenance', 'property', 'steward', 'grid', 'township', 'desk', 'rescuer', 'bureau'] as const
export type PersonRole = (typeof PERSON_ROLES)[number]
export const CHANNEL_KINDS = ['wecom', 'dingtalk', 'sms', 'webhook'] as const
export type ChannelKind = (typeof CHANNEL_KINDS)[number]

const Id = (description: string) => Type.String({ pattern: ID_PATTERN, description })
const enumOf = <T extends string>(values: readonly T[], description: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], description })

export const ChannelSchema = Type.Object({
  kind: enumOf(CHANNEL_KINDS, 'how the message goes'),
  ref: Id('endpoint id (endpoints[].id) the message goes through'),
}, { additionalProperties: false })
export type Channel = Static<typeof ChannelSchema>

export const EndpointSchema = Type.Object({
  id: Id('endpoint id'),
  kind: enumOf(CHANNEL_KINDS, 'the kind of outside service'),
  url: Type.Optional(Type.String({ pattern: '^https?://\\S+$', description: 'robot webhook or HTTP endpoint; a WeCom robot key sits in it, so it is redacted like a secret' })),
  secret: Type.Optional(Type.String({ minLength: 1, description: 'inline secret (DingTalk signing secret, SMS key); redacted in every view' })),
  secretEnv: Type.Optional(Type.String({ pattern: ENV_PATTERN, description: 'the environment variable holding the secret, instead of `secret`' })),
  template: Type.Optional(Type.String({ minLength: 1, description: 'SMS: the pre-approved template code (of incidents, and of any kind without its own)' })),
  templates: Type.Optional(Type.Object(Object.fromEntries(['incident', 'hazard', 'complaint', 'inspection', 'patrol'].map((k) => [k, Type.Optional(Type.String({ minLength: 1 }))])), {
    additionalProperties: false, description: 'SMS: the template code per kind of message (incident, hazard, complaint, inspection, patrol): each kind has its own variables',
  })),
  signName: Type.Optional(Type.String({ minLength: 1, description: 'SMS: the registered signature' })),
  keyId: Type.Optional(Type.String({ minLength: 1, description: 'SMS: the AccessKey id; the key secret is secret/secretEnv' })),
}, { additionalProperties: false })
export type Endpoint = Static<typeof EndpointSchema>

export const OrganisationSchema = Type.Object({
  id: Id('organisation id, as the registry names it (maintenance, property)'),
  kind: enumOf(ORG_KINDS, 'maintenance unit, property company/use unit, rescue organisation, 96333 desk, township office, county bureau'),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  dutyPhone: Type.Optional(Type.String({ pattern: PHONE_PATTERN, description: '24-hour duty phone (maintenance units must have one)' })),
  township: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: 'a township office: its 9-digit code' })),
  channels: Type.Optional(Type.Array(ChannelSchema, { description: 'group robots and the like reaching the whole organisation' })),
}, { additionalProperties: false })
export type Organisation = Static<typeof OrganisationSchema>

export const PersonSchema = Type.Object({
  id: Id('person id'),
  name: Type.String({ minLength: 1, maxLength: 50 }),
  phone: Type.String({ pattern: MOBILE_PATTERN, description: 'mobile number, 11 digits' }),
  role: enumOf(PERSON_ROLES, 'the role in the chain'),
  org: Type.Optional(Id('the organisation the person works for')),
  region: Type.Optional(Type.String({ pattern: '^[0-9]{9}([0-9]{3})?$', description: 'township (9 digits) or village (12 digits) the person answers for' })),
  channels: Type.Array(ChannelSchema, { default: [], description: 'how to reach the person besides a phone call' }),
}, { additionalProperties: false })
export type Person = Static<typeof PersonSchema>

export const ElevatorPartiesSchema = Type.Object({
  elevatorId: Type.String({ pattern: ELEVATOR_ID_PATTERN }),
  maintenance: Id('maintenance unit (维保单位) organisation id'),
  property: Id('use unit / property company (使用单位/物业) organisation id'),
  steward: Type.Optional(Id('building steward (楼道长) person id')),
  grid: Type.Optional(Id('grid administrator (网格员) person id')),
  rescuer: Type.Optional(Id('local trained rescuer (盘车) person id, for islands')),
  village: Type.String({ pattern: '^[0-9]{12}$', description: '村/社区 code' }),
  township: Type.String({ pattern: '^[0-9]{9}$', description: '乡镇/街道 code' }),
}, { additionalProperties: false })
export type ElevatorParties = Static<typeof ElevatorPartiesSchema>

export const PartiesFileSchema = Type.Object({
  organisations: Type.Array(OrganisationSchema, { default: [] }),
  people: Type.Array(PersonSchema, { default: [] }),
  endpoints: Type.Array(EndpointSchema, { default: [] }),
  elevators: Type.Array(ElevatorPartiesSchema, { default: [] }),
}, { additionalProperties: false })
export type PartiesFile = Static<typeof PartiesFileSchema>
