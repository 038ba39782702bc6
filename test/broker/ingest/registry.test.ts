// The elevator registry file: validated like any config, looked up by elevator and by gateway.
import { describe, expect, it } from 'vitest'
import { formatProblems } from '../../../protocol/index.ts'
import { ConfigError } from '../../../core/config.ts'
import { loadRegistry, parseRegistry } from '../../../broker/registry/registry.ts'
import { REGISTRY, tempDir, writeYaml } from '../mqtt/fixtures.ts'

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return formatProblems((err as ConfigError).problems).split('\n')
  }
  throw new Error('expected a ConfigError')
}

describe('elevator registry', () => {
  it('loads a YAML file, labels counted landings, and answers by elevator and by gateway', () => {
    const reg = loadRegistry(writeYaml(tempDir(), 'registry.yaml', REGISTRY))
    const e = reg.elevator('31103309222019010001')!
    expect(e).toMatchObject({ rescueCode: '10001', region: '330922', building: '1号楼', landings: ['B1', '1', '2', '3'], ratedSpeed: 1, gatewayId: 'gw-a' })
    expect(reg.elevator('31103309222019010002')!.landings).toEqual(['1', '2', '3', '4', '5', '6'])
    expect(reg.byGateway('gw-a').map((x) => x.id)).toEqual(['31103309222019010001', '31103309222019010002'])
    expect(reg.byGateway('gw-x')).toEqual([])
    expect(reg.elevator('nope')).toBeUndefined()
    expect(reg.gatewayIds()).toEqual(['gw-a', 'gw-b'])
    expect(Object.isFrozen(e)).toBe(true)
  })

  it('reports every problem as path: message naming the file', () => {
    const [a, b] = REGISTRY.elevators
    const file = writeYaml(tempDir(), 'bad.yaml', {
      elevators: [
        { ...a, rescueCode: '1234', landings: 1 },
        { ...b, registrationCode: '3110', ratedSpeed: 0, extra: true },
        { ...a, id: 'other', gatewayId: 'has space' },
      ],
    })
    let message = ''
    const problems = problemsOf(() => {
      try {
        loadRegistry(file)
      } catch (err) {
        message = (err as Error).message
        throw err
      }
    })
    expect(message.split('\n')[0]).toBe(`${file}: invalid configuration`)
    expect(problems).toEqual([
      'elevators.0.rescueCode: must match pattern "^[0-9]{5,6}$"',
      // a union: too small a count, and not a list of labels either
      'elevators.0.landings: must be >= 2',
      'elevators.0.landings: must be array',
      'elevators.1.extra: unknown property',
      'elevators.1.registrationCode: must match pattern "^[0-9]{20}$"',
      'elevators.1.ratedSpeed: must be > 0',
      'elevators.2.gatewayId: must match pattern "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"',
    ])
  })

  it('refuses duplicate ids, registration codes, rescue codes and landing labels', () => {
    const [a, b] = REGISTRY.elevators
    expect(problemsOf(() => parseRegistry({ elevators: [a, { ...b, id: a!.id, registrationCode: a!.registrationCode, rescueCode: a!.rescueCode, landings: ['1', '2', '1'] }] }, 'r.yaml', 'registry'))).toEqual([
      `registry.elevators.1.id: duplicate elevator id "${a!.id}" (also at index 0)`,
      `registry.elevators.1.registrationCode: duplicate registration code "${a!.registrationCode}" (also at index 0)`,
      `registry.elevators.1.rescueCode: duplicate rescue code "${a!.rescueCode}" (also at index 0)`,
      'registry.elevators.1.landings.2: duplicate landing label "1" (also at index 0)',
    ])
    expect(problemsOf(() => loadRegistry('/nonexistent/registry.yaml'))).toEqual([expect.stringMatching(/^\(file\): ENOENT/)])
  })

  it('takes scope fields: a township inside the region, a village inside the township, organisation ids', () => {
    const [a, b] = REGISTRY.elevators
    const scoped = { township: '330922100', village: '330922100001', maintenance: 'zs-lift-service', property: 'wy.shahe_18' }
    expect(parseRegistry({ elevators: [{ ...a, ...scoped }, b] }).elevator(a!.id)).toMatchObject(scoped)
    expect(problemsOf(() => parseRegistry({
      elevators: [
        { ...a, township: '330921100', village: '330922100001' },
        { ...b, village: '330922100001', maintenance: '-bad', property: 'has space', township: '33092210' },
      ],
    }, 'r.yaml', 'registry'))).toEqual([
      expect.stringMatching(/^registry\.elevators\.1\.township: /),
      expect.stringMatching(/^registry\.elevators\.1\.maintenance: /),
      expect.stringMatching(/^registry\.elevators\.1\.property: /),
    ])
    expect(problemsOf(() => parseRegistry({
      elevators: [{ ...a, township: '330921100', village: '330922100001' }, { ...b, village: '330922100001' }, { ...b, id: 'c', registrationCode: '31103309222019010003', rescueCode: '10003', township: '330922100', village: '330922200001' }],
    }, 'r.yaml', 'registry'))).toEqual([
      'registry.elevators.0.township: township 330921100 is not in region 330922',
      'registry.elevators.0.village: village 330922100001 is not in township 330921100',
      'registry.elevators.1.village: a village needs its township',
      'registry.elevators.2.village: village 330922200001 is not in township 330922100',
    ])
  })
})
