// Reading a YAML file against a TypeBox schema (STYLE rule 8): defaults filled, every problem
// reported as `path: message` naming the file, the result frozen. The broker's config sections
// (registry, mqtt, ingest) all go through here.
import { readFileSync } from 'node:fs'
import type { Static, TSchema } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import { compile, type Problem, type Validated } from '../../protocol/index.ts'

export class ConfigError extends Error {
  readonly code = 'LW_ERR_CONFIG'
  constructor(readonly file: string, readonly problems: Problem[]) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`)
  }
}

/** Checks a schema cannot express (cross-references, uniqueness); paths relative to the section. */
export type CrossCheck<T> = (value: T) => Problem[]

const validators = new WeakMap<TSchema, (data: unknown) => Validated<unknown>>()

/**
 * Defaults applied, then the schema, then the cross-checks. `at` prefixes every problem path when
 * the data is one section of a larger file (e.g. `mqtt`).
 */
export function parseSection<S extends TSchema>(schema: S, data: unknown, file: string, at = '', check?: CrossCheck<Static<S>>): Readonly<Static<S>> {
  let validate = validators.get(schema)
  if (!validate) {
    validate = compile(schema)
    validators.set(schema, validate)
  }
  const prefix = (problems: Problem[]) => at ? problems.map((p) => ({ path: p.path === '(root)' ? at : `${at}.${p.path}`, message: p.message })) : problems
  const shaped = validate(withDefaults(schema, structuredClone(data)))
  if (!shaped.ok) throw new ConfigError(file, prefix(shaped.problems))
  const value = shaped.value as Static<S>
  const problems = check?.(value) ?? []
  if (problems.length) throw new ConfigError(file, prefix(problems))
  return deepFreeze(value)
}

/** The parsed YAML of a file; an unreadable file or bad YAML is a ConfigError naming it. */
export function readYamlFile(file: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: (err as Error).message }])
  }
  try {
    return parseYaml(text, { prettyErrors: true })
  } catch (err) {
    throw new ConfigError(file, [{ path: '(yaml)', message: (err as Error).message.split('\n')[0]! }])
  }
}

interface SchemaNode {
  default?: unknown
  properties?: Record<string, SchemaNode>
  patternProperties?: Record<string, SchemaNode>
  items?: SchemaNode
}

/**
 * `default:` annotations applied where a value is missing, recursing only into values that are
 * there. (TypeBox's Value.Default merges an object's default into a given object, which would
 * turn `listeners: { ws: … }` into ws plus the default tcp listener.)
 */
function withDefaults(schema: SchemaNode, value: unknown): unknown {
  const v = value === undefined && schema.default !== undefined ? structuredClone(schema.default) : value
  if (Array.isArray(v)) return schema.items ? v.map((item) => withDefaults(schema.items!, item)) : v
  if (typeof v !== 'object' || v === null) return v
  const o = v as Record<string, unknown>
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    const filled = withDefaults(s, o[k])
    if (filled !== undefined) o[k] = filled
  }
  const [pattern] = Object.values(schema.patternProperties ?? {})
  if (pattern) for (const k of Object.keys(o)) o[k] = withDefaults(pattern, o[k])
  return o
}

export function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}

/** `duplicate` problems for every item whose key was already seen at an earlier index. */
export function duplicates<T>(items: readonly T[], key: (item: T) => string | undefined, path: (i: number) => string, what: string): Problem[] {
  const first = new Map<string, number>()
  const out: Problem[] = []
  items.forEach((item, i) => {
    const k = key(item)
    if (k === undefined) return
    const j = first.get(k)
    if (j === undefined) first.set(k, i)
    else out.push({ path: path(i), message: `duplicate ${what} "${k}" (also at index ${j})` })
  })
  return out
}
