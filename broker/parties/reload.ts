// Re-reading the registry and the parties directory while the broker runs (SIGHUP, broker/main.ts):
// both files are read and checked first, and only when both are valid do they replace the old ones
// (docs/import.md#reload). Connections are untouched: the registry object everyone holds takes the
// new elevators in one assignment (broker/registry/registry.ts replaceWith).
import type { Logger } from 'pino'
import { problemsOf } from '../../core/config.ts'
import type { Problem } from '../../protocol/index.ts'
import { loadRegistry, type Registry } from '../registry/registry.ts'
import { loadParties, warnings, type PartiesDirectory } from './directory.ts'

export interface Reloaded { ok: boolean; problems: readonly (Problem & { file: string })[] }

/** The checked pair, or every problem of either file; nothing is swapped here. */
export function readBoth(sources: { registry?: string; parties?: string }, current: { registry: Registry; parties: PartiesDirectory }):
  { ok: true; registry: Registry; parties: PartiesDirectory } | { ok: false; problems: (Problem & { file: string })[] } {
  const problems: (Problem & { file: string })[] = []
  const read = <T>(file: string | undefined, load: (f: string) => T, kept: T): T | undefined => {
    if (!file) return kept
    try {
      return load(file)
    } catch (err) {
      const found = problemsOf(err)
      if (!found) throw err
      problems.push(...found.map((p) => ({ file, ...p })))
      return undefined
    }
  }
  // a fresh Registry: `current.registry` is the live object the swap writes into
  const registry = read(sources.registry, loadRegistry, current.registry)
  const parties = read(sources.parties, loadParties, current.parties)
  if (!registry || !parties) return { ok: false, problems }
  return { ok: true, registry, parties }
}

/** Logs what a reload did: every problem of a refused one, the warnings of an accepted one. */
export function logReload(log: Logger, r: Reloaded, counts?: { elevators: number; parties: number }): void {
  if (!r.ok) {
    for (const p of r.problems) log.error({ file: p.file, path: p.path, problem: p.message }, 'reload refused: invalid file, old registry and parties kept')
    return
  }
  for (const p of r.problems) log.warn({ file: p.file, path: p.path, problem: p.message }, 'parties directory warning')
  log.info(counts ?? {}, 'registry and parties reloaded')
}

export { warnings }
