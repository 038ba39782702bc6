// docs/architecture.md#conventions rule 1: folders are modules. protocol ← detectors ← broker, protocol ← gateway,
// protocol ← simulators; gateway and broker never import each other.
import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

const ROOT = resolve(import.meta.dirname, '..')
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  // shared infrastructure (error tables, config, backoff, limits, main runner, SQLite): never a part's code
  core: ['protocol'],
  simulators: ['protocol', 'core'],
  gateway: ['protocol', 'core'],
  // pure stream transforms and state machines: not even core, which does I/O
  detectors: ['protocol'],
  response: ['protocol'],
  broker: ['protocol', 'core', 'detectors', 'response'],
}
// Pure folders: no I/O, no clock-owning libraries (docs/architecture.md#folders; conventions rule 6).
const STREAM_PURE = /^(node:)?(fs|net|dgram|http|https|child_process|worker_threads|timers)(\/|$)|^(mqtt|aedes|pino|better-sqlite3)$/
const PURE_FORBIDDEN: Record<string, RegExp> = {
  protocol: /^(node:)?(fs|net|dgram|http|https|child_process|worker_threads)(\/|$)|^(mqtt|aedes|pino|better-sqlite3|modbus-serial|serialport)$/,
  detectors: STREAM_PURE,
  response: STREAM_PURE,
}

function* tsFiles(dir: string): Generator<string> {
  if (!existsSync(dir)) return
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) yield* tsFiles(p)
    else if (p.endsWith('.ts')) yield p
  }
}

export function violations(file: string, source: string): string[] {
  const folder = relative(ROOT, file).split('/')[0]!
  const allowed = ALLOWED[folder]
  if (!allowed) return []
  const out: string[] = []
  for (const ref of ts.preProcessFile(source, true, true).importedFiles) {
    const spec = ref.fileName
    if (spec.startsWith('.')) {
      const target = relative(ROOT, resolve(dirname(file), spec)).split('/')[0]!
      if (target !== folder && !allowed.includes(target)) out.push(`${relative(ROOT, file)} imports ${spec} (${folder} → ${target})`)
    } else if (PURE_FORBIDDEN[folder]?.test(spec)) {
      out.push(`${relative(ROOT, file)} imports ${spec} (${folder} must stay pure)`)
    }
  }
  return out
}

describe('module boundaries', () => {
  it('no import crosses the folder boundaries', () => {
    const found: string[] = []
    for (const folder of Object.keys(ALLOWED)) {
      for (const f of tsFiles(join(ROOT, folder))) found.push(...violations(f, readFileSync(f, 'utf8')))
    }
    expect(found).toEqual([])
  })

  it('the checker catches a crossing import and an I/O import in a pure folder', () => {
    expect(violations(join(ROOT, 'gateway/x.ts'), "import { y } from '../broker/app.ts'")).toHaveLength(1)
    expect(violations(join(ROOT, 'broker/x.ts'), "const m = await import('../gateway/app.ts')")).toHaveLength(1)
    expect(violations(join(ROOT, 'protocol/x.ts'), "import { readFileSync } from 'node:fs'")).toHaveLength(1)
    expect(violations(join(ROOT, 'broker/x.ts'), "import { a } from '../detectors/a.ts'\nimport { b } from '../protocol/b.ts'")).toEqual([])
  })

  it('core serves the parts and imports none of them; the pure folders do not import core', () => {
    for (const part of ['broker', 'gateway', 'simulators']) expect(violations(join(ROOT, `${part}/x.ts`), "import { runMain } from '../core/main.ts'")).toEqual([])
    for (const part of ['broker', 'gateway', 'detectors', 'simulators', 'response']) {
      expect(violations(join(ROOT, 'core/x.ts'), `import { y } from '../${part}/y.ts'`), part).toHaveLength(1)
    }
    expect(violations(join(ROOT, 'core/x.ts'), "import { formatProblems } from '../protocol/index.ts'")).toEqual([])
    expect(violations(join(ROOT, 'detectors/x.ts'), "import { Backoff } from '../core/backoff.ts'")).toHaveLength(1)
    expect(violations(join(ROOT, 'response/x.ts'), "import { openSqlite } from '../core/sqlite.ts'")).toHaveLength(1)
    expect(violations(join(ROOT, 'response/x.ts'), "import { readFileSync } from 'node:fs'")).toHaveLength(1)
    expect(violations(join(ROOT, 'protocol/x.ts'), "import { errorClass } from '../core/errors.ts'")).toHaveLength(1)
  })
})
