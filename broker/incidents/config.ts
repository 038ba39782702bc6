// The broker's `response` section: where incidents and the outbox are kept, the escalation
// policies (a file of response/policy.ts's PolicySet, or the default chain of docs/domain.md#response-chain),
// responder links and the outbox's limits. Policies are checked against the parties directory: a
// policy that can never reach anyone is a config error.
import { dirname, join, resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import type { Problem } from '../../protocol/index.ts'
import { ConfigError, parseSection, readYamlFile } from '../../core/config.ts'
import { checkPolicies, defaultPolicy, PARTY_ROLES, type PartyRole, type PolicySet } from '../../response/index.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import { CHANNEL_KINDS } from '../parties/schema.ts'

const Limit = Type.Object({
  perMinute: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
  burst: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
}, { additionalProperties: false })

export const ResponseConfigSchema = Type.Object({
  path: Type.Optional(Type.String({ minLength: 1, description: "SQLite response store (incidents, notification outbox); default response.db beside alarms.path; ':memory:' for tests" })),
  policies: Type.Optional(Type.String({ minLength: 1, description: 'escalation policies YAML (response/policy.ts PolicySet), relative to this file; default: the chain of docs/domain.md#response-chain' })),
  mainTownships: Type.Array(Type.String({ pattern: '^[0-9]{9}$' }), { default: [], description: 'the default policy: main urban townships, where arrival is due in 30 min instead of 60' }),
  linkBase: Type.Optional(Type.String({ pattern: '^https?://[^/?#\\s]+$', description: 'origin of responder links in messages; default http.publicOrigin, else this host\'s HTTP address' })),
  linkKeyEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]{0,63}$', description: 'environment variable holding the link signing key (≥ 32 bytes, hex); default: a key made once and kept in the store' })),
  linkTtlHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 30, default: 24, description: 'a responder link works this long after it was sent' }),
  limits: Type.Optional(Type.Partial(Type.Object(Object.fromEntries(CHANNEL_KINDS.map((k) => [k, Limit])) as Record<(typeof CHANNEL_KINDS)[number], typeof Limit>), { additionalProperties: false, description: 'messages per minute per endpoint (default robots 20, SMS 60, webhook 600)' })),
  retry: Type.Object({
    minSeconds: Type.Number({ minimum: 0.1, maximum: 3600, default: 5 }),
    maxSeconds: Type.Number({ minimum: 1, maximum: 24 * 3600, default: 300 }),
    giveUpHours: Type.Number({ exclusiveMinimum: 0, maximum: 24 * 30, default: 24, description: 'a message still not delivered this long after it was written is given up (counted, in the timeline)' }),
  }, { additionalProperties: false, default: {} }),
  mqtt: Type.Boolean({ default: true, description: 'publish every incident change on lift/v1/{region}/{elevatorId}/incident' }),
}, { additionalProperties: false, default: {} })
type RawResponseConfig = Static<typeof ResponseConfigSchema>

export interface ResponseConfig extends Omit<RawResponseConfig, 'policies' | 'path'> {
  path: string
  policySet: PolicySet
  /** the policies file, absolute; absent: the default policy */
  policiesFile?: string
}

/** Roles the directory can reach; the desk passes 110/119 on, so `police` is reachable through it. */
export function reachableRoles(dir: PartiesDirectory): PartyRole[] {
  const f = dir.file
  const has = (r: PartyRole): boolean => f.people.some((p) => p.role === r) || f.organisations.some((o) => o.kind === r)
    || (r === 'maintenance' && f.elevators.length > 0) || (r === 'property' && f.elevators.length > 0)
  const roles = PARTY_ROLES.filter((r) => r !== 'police' && has(r))
  return roles.includes('desk') ? [...roles, 'police'] : roles
}

/**
 * The section checked; `partiesConfigured` false (the demo without a directory file, tests): the
 * policies are checked for shape only, since an empty directory reaches nobody.
 */
export function parseResponseConfig(data: unknown, file: string, alarmsPath: string, parties: PartiesDirectory, partiesConfigured: boolean): ResponseConfig {
  const raw = parseSection(ResponseConfigSchema, data ?? {}, file, 'response')
  const policiesFile = raw.policies ? resolve(dirname(file), raw.policies) : undefined
  const policyData = policiesFile ? readYamlFile(policiesFile) : { policies: [defaultPolicy(raw.mainTownships)] }
  const checked = checkPolicies(policyData, partiesConfigured ? reachableRoles(parties) : [...PARTY_ROLES])
  if (!checked.ok) {
    const at = policiesFile ? `response.policies (${raw.policies}): ` : 'response.(default policy).'
    throw new ConfigError(file, checked.problems.map((p: Problem) => ({ path: `${at}${p.path}`, message: p.message })))
  }
  const path = raw.path ?? (alarmsPath === ':memory:' ? ':memory:' : join(dirname(alarmsPath), 'response.db'))
  const { policies: _file, path: _path, ...rest } = raw
  return Object.freeze({ ...rest, path, policySet: checked.value, ...(policiesFile ? { policiesFile } : {}) })
}
