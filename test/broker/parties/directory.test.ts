import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { ConfigError, readYamlFile } from '../../../core/config.ts'
import { loadRegistry } from '../../../broker/registry/registry.ts'
import { loadParties, parseParties, warnings, REDACTED } from '../../../broker/parties/directory.ts'

const EXAMPLES = resolve(import.meta.dirname, '../../../deploy/examples')
const example = () => structuredClone(readYamlFile(join(EXAMPLES, 'parties.yaml'))) as Record<string, Record<string, unknown>[]>
const problemsOf = (data: unknown) => {
  try {
    parseParties(data, 'parties.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return (err as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)
  }
  throw new Error('expected problems')
}

describe('parties directory', () => {
  it('loads the example beside the example registry with no warnings', () => {
    const dir = loadParties(join(EXAMPLES, 'parties.yaml'))
    expect(warnings(dir, loadRegistry(join(EXAMPLES, 'registry.yaml')))).toEqual([])
    expect(Object.isFrozen(dir.file.people)).toBe(true)
  })

  it('finds each role of an elevator with its channels', () => {
    const dir = loadParties(join(EXAMPLES, 'parties.yaml'))
    const id = '31103309222024010001'
    const ids = (role: Parameters<typeof dir.partiesFor>[1]) => dir.partiesFor(id, role).map((p) => p.id)
    expect(ids('maintenance')).toEqual(['zs-lift-service', 'p-wang-tech'])
    expect(dir.partiesFor(id, 'maintenance')[0]).toMatchObject({ type: 'organisation', phone: '0580-5081234', channels: [{ kind: 'wecom', ref: 'wecom-zs-lift' }] })
    expect(ids('property')).toEqual(['wy-shahe-18', 'p-li-safety'])
    expect(ids('steward')).toEqual(['p-chen-steward'])
    expect(ids('grid')).toEqual(['p-zhou-grid'])
    expect(ids('township')).toEqual(['caiyuan-office', 'p-xu-township'])
    expect(ids('desk')).toEqual(['desk-96333', 'p-desk-duty'])
    expect(ids('bureau')).toEqual(['ss-amr'])
    expect(ids('rescuer')).toEqual([])
    expect(dir.partiesFor('99999999999999999999', 'desk')).toEqual([])
  })

  it('names every problem by path: unknown ids, wrong kinds, bad phones, channels to nowhere', () => {
    const f = example()
    f.people![0]!.phone = '1381234'
    f.people![1]!.org = 'nobody-org'
    f.people![2]!.channels = [{ kind: 'wecom', ref: 'sms-main' }]
    f.elevators![0]!.maintenance = 'wy-shahe-18'
    f.elevators![1]!.steward = 'p-ghost'
    expect(problemsOf(f)).toEqual(['people.0.phone: must match pattern "^1[3-9][0-9]{9}$"'])
    f.people![0]!.phone = '13812345678'
    expect(problemsOf(f)).toEqual([
      'people.1.org: unknown organisation "nobody-org"',
      'people.2.channels.0.kind: endpoint "sms-main" is sms, not wecom',
      'elevators.0.maintenance: "wy-shahe-18" is a property organisation, not a maintenance unit',
      'elevators.1.steward: unknown person "p-ghost"',
    ])
  })

  it('refuses an elevator whose chain reaches nobody', () => {
    const f = example()
    for (const o of f.organisations!) delete o.channels
    for (const p of f.people!) p.channels = []
    expect(problemsOf(f)).toEqual([
      'elevators.0: no party of elevator 31103309222024010001 has a channel: an alarm would reach nobody',
      'elevators.1: no party of elevator 31103309222024010002 has a channel: an alarm would reach nobody',
    ])
  })

  it('warns when registry and directory disagree and when a township has no officer', () => {
    const f = example()
    f.people = f.people!.filter((p) => p.role !== 'township')
    f.organisations = f.organisations!.filter((o) => o.kind !== 'township')
    f.elevators![1]!.elevatorId = '31103309222024010009'
    const reg = loadRegistry(join(EXAMPLES, 'registry.yaml'))
    expect(warnings(parseParties(f), reg).map((p) => `${p.path}: ${p.message}`)).toEqual([
      'elevators.1.elevatorId: elevator 31103309222024010009 is not in the registry',
      'elevators: registry elevator 31103309222024010002 has no parties',
      'people: township 330922100 has no township officer or office',
    ])
  })

  it('redacts endpoint URLs and secrets in its JSON view, keeps them for the sender', () => {
    const f = example()
    f.endpoints![2]!.secret = 'sms-inline-secret'
    delete f.endpoints![2]!.secretEnv
    const dir = parseParties(f)
    const json = JSON.stringify(dir)
    expect(json).not.toContain('key=EXAMPLE')
    expect(json).not.toContain('sms-inline-secret')
    expect(parse(json).endpoints[2].secret).toBe(REDACTED)
    expect(dir.endpoint('sms-main')?.secret).toBe('sms-inline-secret')
  })

  it('names the file of an unreadable or non-YAML directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-parties-'))
    const file = join(dir, 'parties.yaml')
    writeFileSync(file, 'people: [unclosed')
    expect(() => loadParties(file)).toThrow(file)
    expect(() => loadParties(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml/)
  })
})
