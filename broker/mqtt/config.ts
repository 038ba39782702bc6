// The `mqtt` config section: listeners, anonymous access, users (docs/architecture.md#conventions, rule 8).
import { Type, type Static } from '@sinclair/typebox'
import { GATEWAY_ID_PATTERN, type Problem } from '../../protocol/index.ts'
import { parseSection } from '../../core/config.ts'
import { PASSWORD_HASH_PATTERN, parseHash } from './passwords.ts'

const Host = Type.String({ minLength: 1, default: '0.0.0.0', description: 'interface to bind' })
const Port = (def: number) => Type.Integer({ minimum: 0, maximum: 65535, default: def, description: '0 = the OS picks' })

export const ROLES = ['gateway', 'monitor', 'bridge'] as const
export type Role = (typeof ROLES)[number]

// a gateway's username is its gatewayId, so usernames follow the id rule
export const USERNAME_PATTERN = GATEWAY_ID_PATTERN

export const MqttUserSchema = Type.Object({
  role: Type.Union(ROLES.map((r) => Type.Literal(r)), { description: 'gateway: username = gatewayId, publishes its elevators; monitor: subscribes lift/v1/# (a scoped one: its region only), publishes nothing; bridge: another broker, publishes for the gateways it names' }),
  hash: Type.String({ pattern: PASSWORD_HASH_PATTERN, description: 'from `liftwatch passwd USER`' }),
  gateways: Type.Optional(Type.Array(Type.String({ pattern: GATEWAY_ID_PATTERN }), { minItems: 1, uniqueItems: true, description: 'bridge only: the gateways whose elevators and status it may publish' })),
  scope: Type.Optional(Type.Object({
    region: Type.String({ pattern: '^([0-9]{6}|[0-9]{9}|[0-9]{12})$', description: 'county (6 digits), township (9) or village (12) code prefix' }),
  }, { additionalProperties: false, description: 'monitor only: it receives the messages of the elevators in this region (and of their gateways), nothing else' })),
}, { additionalProperties: false })
export type MqttUser = Static<typeof MqttUserSchema>

export const MqttListenersSchema = Type.Object({
  tcp: Type.Optional(Type.Object({ host: Host, port: Port(1883) }, { additionalProperties: false })),
  tls: Type.Optional(Type.Object({
    host: Host,
    port: Port(8883),
    cert: Type.String({ minLength: 1, description: 'server certificate chain file (PEM)' }),
    key: Type.String({ minLength: 1, description: 'private key file (PEM)' }),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'CA file (PEM) that client certificates must chain to' })),
    requireClientCert: Type.Boolean({ default: false, description: 'refuse TLS clients without a certificate from `ca`' }),
  }, { additionalProperties: false })),
  ws: Type.Optional(Type.Object({
    host: Host,
    port: Port(8083),
    path: Type.String({ pattern: '^/', default: '/mqtt' }),
  }, { additionalProperties: false })),
}, { additionalProperties: false, default: { tcp: {} }, description: 'each listener is optional' })

export const MqttHostConfigSchema = Type.Object({
  listeners: MqttListenersSchema,
  allowAnonymous: Type.Boolean({ default: false, description: 'clients without a username may publish gateway topics and subscribe lift/v1/# (development only)' }),
  users: Type.Record(Type.String({ pattern: USERNAME_PATTERN }), MqttUserSchema, { additionalProperties: false, default: {}, description: 'username → role and password hash' }),
  // MQTT allows 256 MiB. A CONNECT is an id, credentials and a will of a few hundred bytes; a v1
  // message is under 1 KiB and a gateway status with 1024 elevators ~30 KiB. After CONNECT the
  // bound is looser: garbage from a client with credentials reaches ingest and is counted there.
  maxConnectBytes: Type.Integer({ minimum: 1024, maximum: 268_435_455, default: 65_536, description: 'until the client is authenticated, a packet whose header claims more is not read: the connection is closed' }),
  maxPacketBytes: Type.Integer({ minimum: 1024, maximum: 268_435_455, default: 2_097_152, description: 'the same, once authenticated' }),
  offlineQueue: Type.Object({
    maxMessages: Type.Integer({ minimum: 1, default: 10_000, description: 'per persistent session' }),
    maxBytes: Type.Integer({ minimum: 1024, default: 16_777_216, description: 'per persistent session, topic + payload' }),
  }, { additionalProperties: false, default: {}, description: 'QoS 1/2 messages kept for a persistent session while it is offline: the oldest go first, counted' }),
}, { additionalProperties: false, default: {} })
export type MqttHostConfig = Static<typeof MqttHostConfigSchema>

function crossCheck(cfg: MqttHostConfig): Problem[] {
  const problems: Problem[] = []
  const l = cfg.listeners
  const bound = (['tcp', 'tls', 'ws'] as const).flatMap((name) => (l[name] ? [{ name, host: l[name].host, port: l[name].port }] : []))
  if (bound.length === 0) problems.push({ path: 'listeners', message: 'at least one of tcp, tls, ws is required' })
  for (const [i, a] of bound.entries()) {
    const clash = bound.slice(0, i).find((b) => a.port !== 0 && b.port === a.port)
    if (clash) problems.push({ path: `listeners.${a.name}.port`, message: `${a.port} is also listeners.${clash.name}.port` })
  }
  if (l.tls?.requireClientCert && !l.tls.ca) problems.push({ path: 'listeners.tls.ca', message: 'is required with requireClientCert' })
  for (const [name, user] of Object.entries(cfg.users)) {
    if (user.role === 'bridge' && !user.gateways) problems.push({ path: `users.${name}.gateways`, message: 'is required for a bridge: the gateways it carries' })
    if (user.role !== 'bridge' && user.gateways) problems.push({ path: `users.${name}.gateways`, message: `is for bridges only (role is ${user.role})` })
    if (user.role !== 'monitor' && user.scope) problems.push({ path: `users.${name}.scope`, message: `is for monitors only (role is ${user.role})` })
    try {
      parseHash(user.hash)
    } catch (err) {
      problems.push({ path: `users.${name}.hash`, message: (err as Error).message })
    }
  }
  return problems
}

/** `data` is the section itself; `at` names it in problem paths. */
export function parseMqttHostConfig(data: unknown, file = '(config)', at = 'mqtt'): Readonly<MqttHostConfig> {
  return parseSection(MqttHostConfigSchema, data ?? {}, file, at, crossCheck)
}
