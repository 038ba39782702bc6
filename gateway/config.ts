// Gateway configuration: one TypeBox schema yields the type and the validator (docs/architecture.md#conventions, rule 8).
import { Type, type Static } from '@sinclair/typebox'
import { ELEVATOR_ID_PATTERN, GATEWAY_ID_PATTERN, REGION_PATTERN, type Problem } from '../protocol/index.ts'
import { ConfigError, parseSection, readYamlFile } from '../core/config.ts'

const Ms = (def: number, description: string, min = 0) => Type.Integer({ minimum: min, default: def, description })

export const ReconnectSchema = Type.Object({
  minMs: Ms(500, 'first retry delay', 10),
  maxMs: Ms(30_000, 'longest retry delay', 100),
}, { additionalProperties: false, default: {} })

export const LinkSchema = Type.Object({
  id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'name of the physical link' }),
  transport: Type.Union([Type.Literal('tcp'), Type.Literal('rtu'), Type.Literal('rtu-over-tcp')]),
  host: Type.Optional(Type.String({ minLength: 1 })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  path: Type.Optional(Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0' })),
  baudRate: Type.Integer({ minimum: 300, maximum: 4_000_000, default: 9600 }),
  parity: Type.Union([Type.Literal('none'), Type.Literal('even'), Type.Literal('odd')], { default: 'none' }),
  dataBits: Type.Union([Type.Literal(7), Type.Literal(8)], { default: 8 }),
  stopBits: Type.Union([Type.Literal(1), Type.Literal(2)], { default: 1 }),
  timeoutMs: Ms(1000, 'per-request timeout', 10),
  pauseMs: Ms(0, 'pause between frames on this link (RS-485 turnaround, slow converters)'),
  reconnect: ReconnectSchema,
}, { additionalProperties: false })
export type LinkConfig = Static<typeof LinkSchema>

export const LandingSchema = Type.Object({
  label: Type.String({ minLength: 1, maxLength: 8 }),
  height: Type.Number({ minimum: 0 }),
}, { additionalProperties: false })

export const ElevatorSchema = Type.Object({
  id: Type.String({ pattern: ELEVATOR_ID_PATTERN, description: 'elevatorId, usually the 20-digit registration code' }),
  region: Type.Optional(Type.String({ pattern: REGION_PATTERN, description: 'defaults to gateway.region' })),
  link: Type.String({ minLength: 1, description: 'id of the link this controller is on' }),
  unitId: Type.Integer({ minimum: 0, maximum: 255 }),
  profile: Type.String({ minLength: 1, description: 'profile name in gateway/profiles/, or a path to a profile file' }),
  pollMs: Type.Optional(Type.Integer({ minimum: 20, description: 'poll interval; defaults to polling.pollMs' })),
  landings: Type.Optional(Type.Array(LandingSchema, { minItems: 2, description: 'for profiles without a floor signal: floor from position' })),
}, { additionalProperties: false })
export type ElevatorConfig = Static<typeof ElevatorSchema>

export const GatewayConfigSchema = Type.Object({
  gateway: Type.Object({
    id: Type.String({ pattern: GATEWAY_ID_PATTERN }),
    region: Type.String({ pattern: REGION_PATTERN }),
  }, { additionalProperties: false }),
  mqtt: Type.Object({
    url: Type.String({ pattern: '^(mqtts?|wss?|tcp|ssl)://', description: 'broker URL' }),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'defaults to the gateway id' })),
    // the broker sends the last will 1.5 keepalives after the link goes dead: at 10 s that is 15 s,
    // before the detectors' 30 s silence, so a dead gateway is one gateway alarm, not one per elevator
    keepalive: Type.Integer({ minimum: 5, maximum: 3600, default: 10, description: 'seconds' }),
    tls: Type.Optional(Type.Object({
      ca: Type.Optional(Type.String({ description: 'CA certificate file (PEM)' })),
      cert: Type.Optional(Type.String({ description: 'client certificate file (PEM)' })),
      key: Type.Optional(Type.String({ description: 'client key file (PEM)' })),
      rejectUnauthorized: Type.Boolean({ default: true }),
    }, { additionalProperties: false })),
    reconnect: ReconnectSchema,
  }, { additionalProperties: false }),
  outbox: Type.Object({
    path: Type.String({ minLength: 1, default: './data/gateway-outbox.db', description: 'SQLite file' }),
    maxMessages: Type.Integer({ minimum: 100, default: 1_000_000 }),
    maxBytes: Type.Integer({ minimum: 65_536, default: 512 * 1024 * 1024 }),
    maxAgeHours: Type.Number({ exclusiveMinimum: 0, default: 24 * 30, description: 'heartbeats older than this are dropped' }),
    maxFileBytes: Type.Optional(Type.Integer({
      minimum: 16_384,
      description: 'cap on the SQLite file (max_page_count), so the outbox cannot take the whole disk; when full (or the disk is), live messages go out unstored',
    })),
    replayPerSecond: Type.Integer({ minimum: 1, default: 200, description: 'pace of the backlog after an outage' }),
    sync: Type.Union([Type.Literal('full'), Type.Literal('normal')], { default: 'full', description: 'SQLite synchronous: full survives power loss' }),
    commitMs: Type.Integer({ minimum: 0, maximum: 1000, default: 20, description: 'commit window: messages within it share one transaction (one fsync); each is published after its commit; 0 = one per event-loop turn' }),
  }, { additionalProperties: false, default: {} }),
  polling: Type.Object({
    pollMs: Type.Integer({ minimum: 20, default: 200, description: 'default poll interval per elevator' }),
    heartbeatSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
    offlineAfterFailures: Type.Integer({ minimum: 1, default: 3 }),
    deadband: Type.Object({
      position: Type.Number({ minimum: 0, default: 0.05, description: 'metres' }),
      speed: Type.Number({ minimum: 0, default: 0.05, description: 'm/s' }),
      load: Type.Number({ minimum: 0, default: 2, description: '% of rated load' }),
    }, { additionalProperties: false, default: {} }),
  }, { additionalProperties: false, default: {} }),
  metrics: Type.Union([Type.Literal(false), Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
  }, { additionalProperties: false })], { default: { host: '127.0.0.1', port: 9464 } }),
  links: Type.Array(LinkSchema, { minItems: 1 }),
  elevators: Type.Array(ElevatorSchema, { minItems: 1 }),
}, { additionalProperties: false })
export type GatewayConfig = Static<typeof GatewayConfigSchema>

export { ConfigError }

/** Defaults filled, every problem found (schema first, then cross-references), frozen. */
export function parseGatewayConfig(data: unknown, file = '(config)'): Readonly<GatewayConfig> {
  return parseSection(GatewayConfigSchema, data, file, '', crossCheck)
}

export function loadGatewayConfig(file: string): Readonly<GatewayConfig> {
  return parseGatewayConfig(readYamlFile(file), file)
}

/** What the schema cannot say: links that exist and fit their transport, unique ids and units. */
function crossCheck(cfg: GatewayConfig): Problem[] {
  const problems: Problem[] = []
  const links = new Map(cfg.links.map((l) => [l.id, l]))
  cfg.links.forEach((l, i) => {
    if (cfg.links.findIndex((o) => o.id === l.id) !== i) problems.push({ path: `links.${i}.id`, message: `duplicate link id "${l.id}"` })
    if (l.transport === 'rtu' && !l.path) problems.push({ path: `links.${i}.path`, message: 'is required for transport rtu' })
    if (l.transport !== 'rtu' && !l.host) problems.push({ path: `links.${i}.host`, message: `is required for transport ${l.transport}` })
    if (l.transport !== 'rtu' && !l.port) problems.push({ path: `links.${i}.port`, message: `is required for transport ${l.transport}` })
    if (l.reconnect.maxMs < l.reconnect.minMs) problems.push({ path: `links.${i}.reconnect.maxMs`, message: 'must be ≥ minMs' })
  })
  const seen = new Map<string, number>()
  cfg.elevators.forEach((e, i) => {
    const link = links.get(e.link)
    if (!link) problems.push({ path: `elevators.${i}.link`, message: `no link with id "${e.link}"` })
    if (seen.has(e.id)) problems.push({ path: `elevators.${i}.id`, message: `duplicate elevator id (also elevators.${seen.get(e.id)})` })
    seen.set(e.id, i)
    const clash = cfg.elevators.findIndex((o) => o.link === e.link && o.unitId === e.unitId)
    if (clash !== i) problems.push({ path: `elevators.${i}.unitId`, message: `unit ${e.unitId} on link "${e.link}" is also elevators.${clash}` })
    if (link?.transport !== 'tcp' && (e.unitId < 1 || e.unitId > 247)) problems.push({ path: `elevators.${i}.unitId`, message: 'RTU unit ids are 1…247' })
  })
  if (cfg.mqtt.reconnect.maxMs < cfg.mqtt.reconnect.minMs) problems.push({ path: 'mqtt.reconnect.maxMs', message: 'must be ≥ minMs' })
  return problems
}
