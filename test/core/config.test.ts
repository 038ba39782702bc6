// core/config.ts: one loader, every problem `<path>: <message>` naming the file, the result frozen.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import { formatProblems } from '../../protocol/index.ts'
import { ConfigError, duplicates, loadConfigFile, parseSection, problemsOf } from '../../core/config.ts'

const Schema = Type.Object({
  name: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 1, maximum: 65535, default: 1883 }),
  limits: Type.Object({ perSecond: Type.Integer({ minimum: 1, default: 10 }) }, { additionalProperties: false, default: {} }),
  links: Type.Array(Type.Object({ id: Type.String() }), { default: [] }),
}, { additionalProperties: false })

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lw-core-config-')), 'part.yaml')
  writeFileSync(path, text)
  return path
}

function thrown(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfigFile', () => {
  it('fills defaults and freezes the result', () => {
    const cfg = loadConfigFile(Schema, file('name: hall\n'))
    expect(cfg).toEqual({ name: 'hall', port: 1883, limits: { perSecond: 10 }, links: [] })
    expect(Object.isFrozen(cfg) && Object.isFrozen(cfg.limits)).toBe(true)
  })

  it('reports every problem by path, naming the file, with LW_ERR_CONFIG', () => {
    const path = file('name: ""\nport: 70000\nlimits: { perSecond: 0, burst: 3 }\nextra: 1\n')
    const err = thrown(() => loadConfigFile(Schema, path))
    expect(err.code).toBe('LW_ERR_CONFIG')
    expect(err.file).toBe(path)
    expect(err.message.split('\n')[0]).toBe(`${path}: invalid configuration`)
    expect(err.problems.map((p) => p.path).sort()).toEqual(['extra', 'limits.burst', 'limits.perSecond', 'name', 'port'])
    for (const line of err.message.split('\n').slice(1)) expect(line).toMatch(/^ {2}[\w.]+: \S/)
    expect(err.data).toEqual({ file: path, problems: err.problems })
  })

  it('names a missing file and bad YAML', () => {
    expect(thrown(() => loadConfigFile(Schema, '/nonexistent/part.yaml')).problems).toEqual([{ path: '(file)', message: expect.stringContaining('ENOENT') }])
    const yaml = thrown(() => loadConfigFile(Schema, file('name: [\n')))
    expect(yaml.problems[0]!.path).toBe('(yaml)')
  })

  it('runs the cross-checks after the schema, and places a section under its path', () => {
    const check = (c: { links: readonly { id: string }[] }) => duplicates(c.links, (l) => l.id, (i) => `links.${i}.id`, 'link id')
    const err = thrown(() => parseSection(Schema, { name: 'x', links: [{ id: 'a' }, { id: 'a' }] }, 'gateway.yaml', 'part', check))
    expect(formatProblems(err.problems)).toBe('part.links.1.id: duplicate link id "a" (also at index 0)')
    expect(thrown(() => parseSection(Schema, 3, 'gateway.yaml', 'part')).problems[0]!.path).toBe('part')
  })

  it('keeps the code of the module whose file failed', () => {
    const err = new ConfigError('s.yaml', [{ path: 'steps.0', message: 'needs set or wire' }], { what: 'scenario', code: 'LW_ERR_SCENARIO' })
    expect(err).toMatchObject({ code: 'LW_ERR_SCENARIO', message: 's.yaml: invalid scenario\n  steps.0: needs set or wire' })
    expect(problemsOf(err)).toEqual(err.problems)
    expect(problemsOf({ data: { problems: [{ path: 'a', message: 'b' }] } })).toEqual([{ path: 'a', message: 'b' }])
    expect(problemsOf(new Error('x'))).toBeUndefined()
  })
})
