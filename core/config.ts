// Reading configuration: a YAML file, validated by the TypeBox schema that also gives its type,
// every problem reported as `<path>: <message>` naming the file, the result frozen and passed
// down. All of broker's and gateway's config files and sections, and the simulator's scenarios,
// go through here.
import { readFileSync } from 'node:fs'
import type { Static, TSchema } from '@sinclair/typebox'
import { parse as parseYaml } from 'yaml'
import { compile, formatProblems, type Problem, type Validated } from '../protocol/index.ts'
import { CoreErrorCode, errorClass, type ErrorCode } from './errors.ts'

export type { Problem }

/**
 * A configuration file or section that is unreadable, not YAML, or invalid. It keeps the code of
 * the module whose file failed (LW_ERR_SCENARIO, LW_ERR_DETECTOR_CONFIG), LW_ERR_CONFIG otherwise.
 */
export class ConfigError extends errorClass<Record<string, ErrorCode>>('ConfigError', CoreErrorCode) {
  readonly file: string
  readonly problems: readonly Problem[]
  constructor(file: string, problems: readonly Problem[], opts: { what?: string; code?: ErrorCode } = {}) {
    const { what = 'configuration', code = CoreErrorCode.Config } = opts
    super(code, `${file}: invalid ${what}\n${formatProblems(problems, { indent: '  ' })}`, { file, problems })
    this.file = file
    this.problems = problems
  }
}

/** Checks a schema cannot express (cross-references, uniqueness); paths relative to the section. */
export type CrossCheck<T> = (value: T) => Problem[]

const validators = new WeakMap<TSchema, (data: unknown) => Validated<unknown>>()

/** Problems of one section of a larger file, their paths under `at` (e.g. `mqtt`). */
export function under(at: string, problems: readonly Problem[]): Problem[] {
  if (!at) return [...problems]
  return problems.map((p) => ({ path: p.path === '(root)' ? at : `${at}.${p.path}`, message: p.message }))
}

/** Every problem of `data` against `schema` after defaults, then the cross-checks; none → the frozen value. */
export function checkSection<S extends TSchema>(schema: S, data: unknown, check?: CrossCheck<Static<S>>): Validated<Readonly<Static<S>>> {
  let validate = validators.get(schema)
  if (!validate) {
    validate = compile(schema)
    validators.set(schema, validate)
  }
  const shaped = validate(withDefaults(schema, structuredClone(data)))
  if (!shaped.ok) return shaped
  const value = shaped.value as Static<S>
  const problems = check?.(value) ?? []
  return problems.length ? { ok: false, problems } : { ok: true, value: deepFreeze(value) }
}

/** checkSection, throwing a ConfigError naming `file` with every problem under `at`. */
export function parseSection<S extends TSchema>(schema: S, data: unknown, file: string, at = '', check?: CrossCheck<Static<S>>): Readonly<Static<S>> {
  const r = checkSection(schema, data, check)
  if (!r.ok) throw new ConfigError(file, under(at, r.problems))
  return r.value
}

/** The text of a config file; an unreadable one is a ConfigError naming it (`opts` as for ConfigError). */
export function readConfigText(file: string, opts?: ConstructorParameters<typeof ConfigError>[2]): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: (err as Error).message }], opts)
  }
}

/** The parsed YAML of a file; an unreadable file or bad YAML is a ConfigError naming it. */
export function readYamlFile(file: string): unknown {
  const text = readConfigText(file)
  try {
    return parseYaml(text, { prettyErrors: true })
  } catch (err) {
    throw new ConfigError(file, [{ path: '(yaml)', message: (err as Error).message.split('\n')[0]! }])
  }
}

/** A YAML file read and checked against `schema` in one step. */
export function loadConfigFile<S extends TSchema>(schema: S, file: string, check?: CrossCheck<Static<S>>): Readonly<Static<S>> {
  return parseSection(schema, readYamlFile(file), file, '', check)
}

/** The problems a thrown error carries when it is a config error of some section, else undefined. */
export function problemsOf(err: unknown): readonly Problem[] | undefined {
  if (err instanceof ConfigError) return err.problems
  const data = (err as { data?: { problems?: unknown } } | null)?.data
  return Array.isArray(data?.problems) ? data.problems as Problem[] : undefined
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
export function withDefaults(schema: SchemaNode, value: unknown): unknown {
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
