// Policies as data: validation by path, selection, township resolution (response/policy.ts).
import { describe, expect, it } from 'vitest'
import { DEFAULT_POLICY, PARTY_ROLES, checkPolicies, defaultPolicy, resolvePolicy, selectPolicy, validatePolicies, type PartyRole } from '../../response/index.ts'

const ALL: PartyRole[] = [...PARTY_ROLES]
const clone = <T>(x: T): T => structuredClone(x)

describe('validatePolicies', () => {
  it('accepts the default policy with every role in the directory', () => {
    expect(validatePolicies({ policies: [DEFAULT_POLICY] }, ALL)).toEqual([])
  })

  it('reports structural problems by path', () => {
    const bad = clone(DEFAULT_POLICY) as unknown as Record<string, unknown>
    bad.reminderEveryMin = -1
    ;(bad.steps as { roles: string[] }[])[1]!.roles = ['janitor']
    const problems = validatePolicies({ policies: [bad] }, ALL)
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['policies.0.reminderEveryMin', 'policies.0.steps.1.roles.0']))
  })

  it('a step that can never reach anyone is a config error, naming the step', () => {
    const roles = ALL.filter((r) => r !== 'police' && r !== 'bureau')
    expect(validatePolicies({ policies: [DEFAULT_POLICY] }, roles)).toEqual([
      { path: 'policies.0.steps.2.roles', message: 'no party with role police, bureau is in the directory: this step can never reach anyone' },
    ])
  })

  it('a policy that tells nobody at once, duplicate names and step ids, an unreachable township rescuer', () => {
    const p = clone(DEFAULT_POLICY)
    const steps = [{ ...p.steps[1]!, id: 'level2' }, { ...p.steps[2]!, id: 'level2' }]
    const problems = validatePolicies({
      policies: [
        { ...p, steps, townships: { '330922203': { arrivalLimitMin: 90, atOnce: ['rescuer'] } } },
        { ...p, mainTownships: ['330922100'], mainArrivalLimitMin: undefined },
      ],
    }, ALL.filter((r) => r !== 'rescuer'))
    expect(problems).toEqual([
      { path: 'policies.0.steps.1.id', message: 'duplicate step id level2' },
      { path: 'policies.0.steps', message: 'no step tells anyone at once (after 0, no condition)' },
      { path: 'policies.0.townships.330922203.atOnce.0', message: 'no party with role rescuer is in the directory' },
      { path: 'policies.1.name', message: 'duplicate policy name default' },
      { path: 'policies.1.mainArrivalLimitMin', message: 'mainTownships needs mainArrivalLimitMin' },
    ])
  })

  it('a township code that is not 9 digits is rejected', () => {
    const problems = validatePolicies({ policies: [{ ...DEFAULT_POLICY, townships: { '3309': { arrivalLimitMin: 90 } } }] }, ALL)
    expect(problems.length).toBeGreaterThan(0)
    expect(problems[0]!.path).toMatch(/^policies\.0\.townships/)
  })
})

describe('checkPolicies', () => {
  it('gives a frozen copy when valid, the problems otherwise', () => {
    const input = { policies: [defaultPolicy(['330922100'])] }
    const ok = checkPolicies(input, ALL)
    if (!ok.ok) throw new Error('expected valid')
    expect(ok.value).toEqual(input)
    expect(Object.isFrozen(ok.value.policies[0]!.steps[0]!.roles)).toBe(true)
    expect(Object.isFrozen(input.policies[0])).toBe(false)
    const bad = checkPolicies({ policies: [] }, ALL)
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.problems[0]!.path).toBe('policies')
  })
})

describe('selectPolicy', () => {
  const byType = { ...DEFAULT_POLICY, name: 'overspeed', types: ['overspeed' as const], severities: undefined }
  const fallback = { ...DEFAULT_POLICY, name: 'any', severities: undefined }
  const set = { policies: [DEFAULT_POLICY, byType, fallback] }
  it('by type first, then severity, then a policy with neither', () => {
    expect(selectPolicy(set, 'overspeed', 'critical')!.name).toBe('overspeed')
    expect(selectPolicy(set, 'entrapment', 'critical')!.name).toBe('default')
    expect(selectPolicy(set, 'alarm_button', 'major')!.name).toBe('any')
    expect(selectPolicy({ policies: [DEFAULT_POLICY] }, 'alarm_button', 'major')).toBeUndefined()
  })
})

describe('resolvePolicy', () => {
  it('30 min in the main town, 60 elsewhere, the override wins and adds its at-once step first', () => {
    const p = { ...defaultPolicy(['330922100']), townships: { '330922203': { arrivalLimitMin: 90, atOnce: ['rescuer' as const] } } }
    expect(resolvePolicy(p, '330922100').arrivalLimitMs).toBe(30 * 60_000)
    expect(resolvePolicy(p, '330922200').arrivalLimitMs).toBe(60 * 60_000)
    expect(resolvePolicy(p, undefined).arrivalLimitMs).toBe(60 * 60_000)
    const island = resolvePolicy(p, '330922203')
    expect(island.arrivalLimitMs).toBe(90 * 60_000)
    expect(island.steps.map((s) => [s.id, s.afterMs / 60_000])).toEqual([['township_at_once', 0], ['at_once', 0], ['level2', 3], ['level3', 90]])
  })
})
