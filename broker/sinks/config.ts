// A sink's config section: schema defaults filled, every problem reported as `<path>: <message>`,
// the result frozen (STYLE rule 8). The broker's config file embeds these sections.
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { compile, type Problem } from '../../protocol/index.ts'
import { SinkError, SinkErrorCode } from './errors.ts'

export type Check<T> = (cfg: T) => Problem[]

export function parseSection<S extends TSchema>(schema: S, data: unknown, path: string, check?: Check<Static<S>>): Readonly<Static<S>> {
  const withDefaults = Value.Default(schema, structuredClone(data ?? {}))
  const shaped = compile(schema)(withDefaults)
  const problems = shaped.ok ? check?.(shaped.value) ?? [] : shaped.problems
  if (!shaped.ok || problems.length > 0) {
    const named = problems.map((p) => ({ path: p.path === '(root)' ? path : `${path}.${p.path}`, message: p.message }))
    throw new SinkError(SinkErrorCode.Config, `invalid ${path} configuration\n${named.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, { problems: named })
  }
  return deepFreeze(shaped.value)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
