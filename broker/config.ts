// The broker host's configuration file: one section per part, each validated by the schema its
// part exports; every problem is reported as `<path>: <message>` naming the file.
import { dirname, join, resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import type { Problem, Severity } from '../protocol/index.ts'
import { ConfigError, parseSection, problemsOf, readYamlFile } from '../core/config.ts'
import { MqttHostConfigSchema, parseMqttHostConfig } from './mqtt/config.ts'
import { IngestConfigSchema, parseIngestConfig } from './ingest/config.ts'
import { DetectorsConfigSchema } from './detect/config.ts'
import { TelemetryStorageConfigSchema, parseTelemetryStorageConfig } from './sinks/index.ts'
import { loadRegistry, parseRegistry, type Registry } from './registry/registry.ts'
import { loadParties, PartiesDirectory } from './parties/directory.ts'
import { PASSWORD_HASH_PATTERN } from './mqtt/passwords.ts'
import { parseResponseConfig, ResponseConfigSchema, type ResponseConfig } from './incidents/config.ts'
import { RecordsConfigSchema, type RecordsConfig } from './records/config.ts'

export { ConfigError }

export const AccountsConfigSchema = Type.Object({
  path: Type.Optional(Type.String({ minLength: 1, description: "SQLite accounts store (users, sessions, tokens, audit); default accounts.db beside alarms.path; ':memory:' for tests" })),
  sessionIdleMinutes: Type.Integer({ minimum: 1, maximum: 24 * 60, default: 30, description: 'a login session ends after this long without a request' }),
  sessionMaxHours: Type.Integer({ minimum: 1, maximum: 24 * 30, default: 12, description: 'a login session ends this long after login, however busy' }),
  admin: Type.Optional(Type.Object({
    username: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{1,31}$' }),
    passwordHash: Type.String({ pattern: PASSWORD_HASH_PATTERN, description: 'scrypt hash, as `liftwatch passwd` prints' }),
  }, { additionalProperties: false, description: 'the first admin, made on the first start when there are no users; without it one named admin is made with a random password printed once' })),
}, { additionalProperties: false, default: {} })

export const BrokerConfigSchema = Type.Object({
  mqtt: MqttHostConfigSchema,
  http: Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    publicOrigin: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+$', description: 'the origin browsers use, e.g. https://lifts.example.gov.cn: the only Host header answered (docs/deploy.md)' })),
    tls: Type.Optional(Type.Object({
      cert: Type.String({ minLength: 1, description: 'PEM certificate (chain), relative to this file' }),
      key: Type.String({ minLength: 1, description: 'PEM private key, relative to this file' }),
    }, { additionalProperties: false, description: 'serve HTTPS; the session cookie gets Secure' })),
    insecureHttp: Type.Boolean({ default: false, description: 'serve logins over plain HTTP on a non-loopback address (a TLS proxy in front); also --insecure-http' }),
    autoLogin: Type.Optional(Type.Object({
      username: Type.String({ minLength: 1 }),
    }, { additionalProperties: false, description: 'the demo: the page opened from this machine (loopback) is logged in as this user' })),
    sse: Type.Optional(Type.Object({
      maxClients: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'event streams of all users together (default 500)' })),
      maxPerUser: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'event streams one user may hold at once (default 4)' })),
    }, { additionalProperties: false, description: '/api/events limits (docs/api.md)' })),
  }, { additionalProperties: false, default: {} }),
  registry: Type.Union([
    Type.String({ minLength: 1, description: 'registry YAML file, relative to this file' }),
    Type.Object({ elevators: Type.Array(Type.Unknown()) }),
  ], { description: 'the elevators: a file name or inline' }),
  parties: Type.Optional(Type.Object({
    path: Type.String({ minLength: 1, description: 'parties directory YAML (broker/parties/schema.ts), relative to this file; reloaded with the registry on SIGHUP' }),
  }, { additionalProperties: false, description: 'who answers for each elevator (docs/import.md); without it an empty directory' })),
  alarms: Type.Object({
    path: Type.String({ minLength: 1, default: './data/alarms.db', description: 'SQLite alarm store, relative to the working directory' }),
    keepUntilAcked: Type.Array(Type.Unsafe<Severity>({ type: 'string', enum: ['critical', 'major', 'minor', 'warning'] }), {
      uniqueItems: true, default: ['critical'],
      description: 'severities whose cleared alarms stay on the live list until someone acknowledges them',
    }),
  }, { additionalProperties: false, default: {} }),
  accounts: AccountsConfigSchema,
  ingest: Type.Optional(IngestConfigSchema),
  detectors: Type.Optional(DetectorsConfigSchema),
  telemetry: Type.Optional(TelemetryStorageConfigSchema),
  response: Type.Optional(ResponseConfigSchema),
  records: RecordsConfigSchema,
}, { additionalProperties: false })
type RawBrokerConfig = Static<typeof BrokerConfigSchema>

export interface BrokerConfig {
  mqtt: ReturnType<typeof parseMqttHostConfig>
  http: RawBrokerConfig['http']
  registry: Registry
  parties: PartiesDirectory
  /** the files a reload re-reads (absolute); absent: inline or not configured, kept as loaded */
  sources: { registry?: string; parties?: string }
  alarms: RawBrokerConfig['alarms']
  /** path resolved: never undefined */
  accounts: RawBrokerConfig['accounts'] & { path: string }
  ingest: ReturnType<typeof parseIngestConfig>
  detectors: RawBrokerConfig['detectors']
  telemetry: ReturnType<typeof parseTelemetryStorageConfig>
  /** incidents, escalation policies, the outbox, responder links (docs/domain.md#response-chain) */
  response: ResponseConfig
  /** the limits of the county's records (docs/records.md) */
  records: RecordsConfig
}

/** Every section parsed; problems of all sections gathered before failing. */
export function parseBrokerConfig(data: unknown, file = '(config)'): BrokerConfig {
  const raw = parseSection(BrokerConfigSchema, data, file)
  const problems: Problem[] = []
  const section = <T>(fn: () => T, where = ''): T | undefined => {
    try {
      return fn()
    } catch (err) {
      const found = problemsOf(err)
      if (!found) throw err
      problems.push(...found.map((p) => ({ path: `${where}${p.path}`, message: p.message })))
      return undefined
    }
  }
  const mqtt = section(() => parseMqttHostConfig(raw.mqtt, file, 'mqtt'))
  const ingest = section(() => parseIngestConfig(raw.ingest ?? {}, file, 'ingest'))
  const telemetry = section(() => parseTelemetryStorageConfig(raw.telemetry ?? {}, 'telemetry'))
  const sources: BrokerConfig['sources'] = {
    ...(typeof raw.registry === 'string' ? { registry: resolve(dirname(file), raw.registry) } : {}),
    ...(raw.parties ? { parties: resolve(dirname(file), raw.parties.path) } : {}),
  }
  const registry = sources.registry
    ? section(() => loadRegistry(sources.registry!), `registry (${raw.registry as string}): `)
    : section(() => parseRegistry(raw.registry, file, 'registry'))
  const parties = sources.parties ? section(() => loadParties(sources.parties!), `parties (${raw.parties!.path}): `) : PartiesDirectory.empty()
  const response = parties && section(() => parseResponseConfig(raw.response, file, raw.alarms.path, parties, sources.parties !== undefined))
  if (problems.length || !mqtt || !ingest || !telemetry || !registry || !parties || !response) throw new ConfigError(file, problems)
  const accounts = { ...raw.accounts, path: raw.accounts.path ?? (raw.alarms.path === ':memory:' ? ':memory:' : join(dirname(raw.alarms.path), 'accounts.db')) }
  // learned detector state (baselines, visits, idle counts) beside the alarm store, so a restart keeps it
  const detectors = raw.alarms.path === ':memory:' || raw.detectors?.learned ? raw.detectors : { ...raw.detectors, learned: { path: join(dirname(raw.alarms.path), 'learned.db') } }
  const tls = raw.http.tls && { cert: resolve(dirname(file), raw.http.tls.cert), key: resolve(dirname(file), raw.http.tls.key) }
  return { mqtt, http: { ...raw.http, ...(tls ? { tls } : {}) }, registry, parties, sources, alarms: raw.alarms, accounts, ingest, detectors, telemetry, response, records: raw.records }
}

export function loadBrokerConfig(file: string): BrokerConfig {
  return parseBrokerConfig(readYamlFile(file), file)
}
