// Escalation policies as data (docs/domain.md#response-chain): steps with a wait and a condition,
// targets by party role, reminders, selection per alarm type or severity, overrides per township.
// One TypeBox schema gives the type and the structural check; validatePolicies adds the checks a
// schema cannot make (a policy that can never reach anyone is a config error).
import { Type, type Static } from '@sinclair/typebox'
import { ALARM_TYPES, compile, type AlarmType, type Problem, type Severity, type Validated } from '../protocol/index.ts'
import { PARTY_ROLES, type PartyRole } from './types.ts'

const Role = Type.Union(PARTY_ROLES.map((r) => Type.Literal(r)), { description: 'party role' })
const Minutes = (description: string) => Type.Number({ minimum: 0, maximum: 7 * 24 * 60, description })

export const StepSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'step name, shown in the timeline' }),
  after: Type.Union([Minutes('minutes after the alarm'), Type.Literal('arrival_limit')], {
    description: 'minutes after the alarm, or the township\'s arrival limit',
  }),
  unless: Type.Optional(Type.Union([Type.Literal('responded'), Type.Literal('arrived')], { description: 'skip the step if the incident got this far' })),
  roles: Type.Array(Role, { minItems: 1, uniqueItems: true, description: 'who is told' }),
  dispatch: Type.Optional(Type.Boolean({ description: 'level 2: suggest the desk dispatch another rescue unit' })),
}, { additionalProperties: false })
export type Step = Static<typeof StepSchema>

export const TownshipOverrideSchema = Type.Object({
  arrivalLimitMin: Type.Optional(Minutes('arrival limit on site for this township')),
  atOnce: Type.Optional(Type.Array(Role, { uniqueItems: true, description: 'extra roles told at once, e.g. a local trained rescuer' })),
}, { additionalProperties: false })
export type TownshipOverride = Static<typeof TownshipOverrideSchema>

export const PolicySchema = Type.Object({
  name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
  types: Type.Optional(Type.Array(Type.Union(ALARM_TYPES.map((t) => Type.Literal(t))), { minItems: 1, description: 'alarm types this policy handles' })),
  severities: Type.Optional(Type.Array(Type.Union(['critical', 'major', 'minor', 'warning'].map((s) => Type.Literal(s))), { minItems: 1 })),
  responseLimitMin: Minutes('responded within (KPI and the default level 2 wait)'),
  arrivalLimitMin: Minutes('arrival limit where no township override applies'),
  mainTownships: Type.Optional(Type.Array(Type.String({ pattern: '^[0-9]{9}$' }), { description: 'main urban townships: mainArrivalLimitMin applies' })),
  mainArrivalLimitMin: Type.Optional(Minutes('arrival limit in a main urban township')),
  reminderEveryMin: Minutes('remind parties told and not acted while nobody has responded; 0 = never'),
  steps: Type.Array(StepSchema, { minItems: 1 }),
  townships: Type.Optional(Type.Record(Type.String({ pattern: '^[0-9]{9}$' }), TownshipOverrideSchema)),
}, { additionalProperties: false })
export type Policy = Static<typeof PolicySchema>

export const PolicySetSchema = Type.Object({
  policies: Type.Array(PolicySchema, { minItems: 1, description: 'first match wins: by alarm type, then severity, then a policy with neither' }),
}, { additionalProperties: false })
export type PolicySet = Static<typeof PolicySetSchema>

/**
 * The chain of docs/domain.md#who-is-told-in-which-order for an entrapment or another critical
 * alarm; `mainTownships` (the county's main urban towns) get the 30-minute arrival limit.
 */
export const defaultPolicy = (mainTownships: readonly string[] = []): Policy => ({
  name: 'default',
  severities: ['critical'],
  responseLimitMin: 3,
  arrivalLimitMin: 60,
  mainTownships: [...mainTownships],
  mainArrivalLimitMin: 30,
  reminderEveryMin: 2,
  steps: [
    { id: 'at_once', after: 0, roles: ['maintenance', 'property', 'steward', 'desk'] },
    { id: 'level2', after: 3, unless: 'responded', roles: ['grid', 'township'], dispatch: true },
    { id: 'level3', after: 'arrival_limit', unless: 'arrived', roles: ['police', 'bureau'] },
  ],
})
export const DEFAULT_POLICY: Policy = defaultPolicy()

const checkShape = compile(PolicySetSchema)

/** Every problem by path; `available` = the roles the parties directory can reach. */
export function validatePolicies(data: unknown, available: readonly PartyRole[]): Problem[] {
  const shaped = checkShape(data)
  if (!shaped.ok) return shaped.problems
  const problems: Problem[] = []
  const can = new Set(available)
  const names = new Set<string>()
  shaped.value.policies.forEach((p, i) => {
    const at = `policies.${i}`
    if (names.has(p.name)) problems.push({ path: `${at}.name`, message: `duplicate policy name ${p.name}` })
    names.add(p.name)
    const ids = new Set<string>()
    p.steps.forEach((s, j) => {
      if (ids.has(s.id)) problems.push({ path: `${at}.steps.${j}.id`, message: `duplicate step id ${s.id}` })
      ids.add(s.id)
      if (!s.roles.some((r) => can.has(r))) problems.push({ path: `${at}.steps.${j}.roles`, message: `no party with role ${s.roles.join(', ')} is in the directory: this step can never reach anyone` })
    })
    const first = p.steps.filter((s) => s.after === 0 && !s.unless)
    const extra = Object.values(p.townships ?? {}).flatMap((t) => t.atOnce ?? [])
    if (!first.some((s) => s.roles.some((r) => can.has(r))) && !extra.some((r) => can.has(r))) {
      problems.push({ path: `${at}.steps`, message: 'no step tells anyone at once (after 0, no condition)' })
    }
    if (p.mainTownships && p.mainArrivalLimitMin === undefined) problems.push({ path: `${at}.mainArrivalLimitMin`, message: 'mainTownships needs mainArrivalLimitMin' })
    for (const [code, o] of Object.entries(p.townships ?? {})) {
      // a record's key pattern is not enforced by the schema check
      if (!/^[0-9]{9}$/.test(code)) problems.push({ path: `${at}.townships.${code}`, message: 'a township is its 9-digit region code' })
      for (const [k, r] of (o.atOnce ?? []).entries()) {
        if (!can.has(r)) problems.push({ path: `${at}.townships.${code}.atOnce.${k}`, message: `no party with role ${r} is in the directory` })
      }
    }
  })
  return problems
}

/** The policy set checked and frozen, or every problem (the caller names the file: formatProblems). */
export function checkPolicies(data: unknown, available: readonly PartyRole[]): Validated<PolicySet> {
  const problems = validatePolicies(data, available)
  return problems.length ? { ok: false, problems } : { ok: true, value: deepFreeze(structuredClone(data as PolicySet)) }
}

function deepFreeze<T>(x: T): T {
  if (x && typeof x === 'object') for (const v of Object.values(x)) deepFreeze(v)
  return Object.freeze(x)
}

export function selectPolicy(set: PolicySet, type: AlarmType | undefined, severity: Severity): Policy | undefined {
  return set.policies.find((p) => type !== undefined && p.types?.includes(type))
    ?? set.policies.find((p) => !p.types && p.severities?.includes(severity))
    ?? set.policies.find((p) => !p.types && !p.severities)
}

export interface Resolved {
  readonly arrivalLimitMs: number
  readonly responseLimitMs: number
  readonly reminderEveryMs: number
  readonly steps: readonly { id: string; afterMs: number; unless?: 'responded' | 'arrived'; roles: readonly PartyRole[]; dispatch: boolean }[]
}

const MIN = 60_000

/** The policy as it applies in one township: arrival limit and extra at-once roles folded in. */
export function resolvePolicy(p: Policy, township: string | undefined): Resolved {
  const o = township !== undefined ? p.townships?.[township] : undefined
  const main = township !== undefined && (p.mainTownships ?? []).includes(township)
  const arrivalMin = o?.arrivalLimitMin ?? (main ? p.mainArrivalLimitMin ?? p.arrivalLimitMin : p.arrivalLimitMin)
  const steps = p.steps.map((s) => ({
    id: s.id,
    afterMs: s.after === 'arrival_limit' ? arrivalMin * MIN : s.after * MIN,
    ...(s.unless ? { unless: s.unless } : {}),
    roles: s.roles,
    dispatch: s.dispatch ?? false,
  }))
  if (o?.atOnce?.length) steps.unshift({ id: 'township_at_once', afterMs: 0, roles: o.atOnce, dispatch: false })
  return { arrivalLimitMs: arrivalMin * MIN, responseLimitMs: p.responseLimitMin * MIN, reminderEveryMs: p.reminderEveryMin * MIN, steps }
}
