// A sink's config section, checked by core's loader; its problems keep the sinks' own error code
// (LW_ERR_SINK_CONFIG) so the broker's config names them under the section's path.
import type { Static, TSchema } from '@sinclair/typebox'
import { formatProblems, type Problem } from '../../protocol/index.ts'
import { checkSection, under } from '../../core/config.ts'
import { SinkError, SinkErrorCode } from './errors.ts'

export type Check<T> = (cfg: T) => Problem[]

export function parseSection<S extends TSchema>(schema: S, data: unknown, path: string, check?: Check<Static<S>>): Readonly<Static<S>> {
  const r = checkSection(schema, data ?? {}, check)
  if (r.ok) return r.value
  const named = under(path, r.problems)
  throw new SinkError(SinkErrorCode.Config, `invalid ${path} configuration\n${formatProblems(named, { indent: '  ' })}`, { problems: named })
}
