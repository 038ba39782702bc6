// Docs that stand alone: every Markdown file or repository path that a comment or a doc cites must
// exist in this repository (docs/architecture.md, rule 16). Markdown links resolve from their
// file; a bare file name ending in .md must be some file of the repository; `folder/…` paths
// resolve from the root or from the citing file; `#anchors` must name a heading of the target.
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { posix, relative, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
const SCANNED = /\.(ts|js|md|ya?ml|py|sh)$/
const TOP_FOLDERS = 'protocol|core|simulators|gateway|detectors|response|broker|test|deploy|bench|bin|scripts|docs'

export interface Repo {
  /** repository-relative file paths, `/`-separated */
  readonly files: ReadonlySet<string>
  readonly dirs: ReadonlySet<string>
  readonly basenames: ReadonlySet<string>
  /** heading anchors of a Markdown file of the repository */
  anchors(file: string): ReadonlySet<string>
}

export interface Broken { file: string; line: number; cited: string; problem: string }

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const out = new Set<string>()
  const seen = new Map<string, number>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = m[1]!.replace(/`/g, '').toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

export function repoFrom(files: Iterable<string>, read: (file: string) => string): Repo {
  const set = new Set(files)
  const dirs = new Set<string>()
  for (const f of set) for (let d = posix.dirname(f); d !== '.'; d = posix.dirname(d)) dirs.add(d)
  const cache = new Map<string, Set<string>>()
  return {
    files: set, dirs, basenames: new Set([...set].map((f) => posix.basename(f))),
    anchors(file) {
      let a = cache.get(file)
      if (!a) cache.set(file, (a = headingAnchors(read(file))))
      return a
    },
  }
}

/** `target` from the citing file's folder, and (unless it starts with ./ or ../) from the root. */
function resolveIn(from: string, target: string, relativeOnly: boolean): string[] {
  const candidates = [posix.normalize(posix.join(posix.dirname(from), target))]
  if (!relativeOnly) candidates.push(posix.normalize(target))
  return candidates.map((c) => c.replace(/\/$/, ''))
}

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)'"`>\]]+/gi
const LINK_RE = /\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g
const MD_RE = /(?<![\w./-])((?:\.{1,2}\/)*(?:[\w-]+\/)*[\w.-]*\w\.md)(#[\p{L}\p{N}_-]+)?(?![\w-])/gu
const PATH_RE = new RegExp(`(?<![\\w./-])((?:\\.{1,2}/)*(?:${TOP_FOLDERS})/[\\w./-]*[\\w-]\\.(?:ts|js|md|ya?ml|py|sh|json))(?![\\w/-])`, 'g')
// a placeholder such as gateway/profiles/NAME.yaml names no file
const PLACEHOLDER_RE = /(^|\/)[A-Z][A-Z0-9_]*\.(?:ts|js|ya?ml|py|sh|json)$/

/** The comment part of a line of code: paths in code strings are data (test fixtures), not citations. */
function commentOf(file: string, line: string): string {
  const hash = /\.(ya?ml|py|sh)$/.test(file)
  const t = line.trimStart()
  if (hash ? t.startsWith('#') : /^(\/\/|\/\*|\*)/.test(t)) return line
  const at = line.indexOf(hash ? ' #' : ' //')
  return at < 0 ? '' : line.slice(at)
}

// the design notes this project grew from, cited by name and rule number: not files of the
// repository (spelled in pieces so that this file does not cite them)
const OUTSIDE_DOC_RE = new RegExp(`\\b(?:${['STY' + 'LE', 'DES' + 'IGN', 'DOM' + 'AIN'].join('|')})\\b(?!_)`, 'g')

/** Every citation in one file's text that does not resolve inside `repo`. */
export function brokenCitations(file: string, text: string, repo: Repo): Broken[] {
  const out: Broken[] = []
  const seen = new Set<string>()
  const report = (line: number, cited: string, problem: string) => {
    const k = `${line}|${cited}`
    if (seen.has(k)) return
    seen.add(k)
    out.push({ file, line, cited, problem })
  }
  const check = (line: number, cited: string, target: string, anchor: string | undefined, relativeOnly: boolean) => {
    const inside = resolveIn(file, target, relativeOnly).filter((c) => c !== '..' && !c.startsWith('../'))
    const hits = inside.filter((c) => c === '.' || repo.files.has(c) || repo.dirs.has(c))
    if (hits.length === 0) return report(line, cited, inside.length === 0 ? 'outside the repository' : 'no such file in the repository')
    if (anchor && hits[0]!.endsWith('.md') && !hits.some((h) => repo.files.has(h) && repo.anchors(h).has(anchor))) report(line, cited, `no heading #${anchor}`)
  }
  const isMd = file.endsWith('.md')
  text.split('\n').forEach((raw, i) => {
    const line = i + 1
    const text = raw.replace(URL_RE, (u) => ' '.repeat(u.length))
    if (isMd) {
      for (const m of text.matchAll(LINK_RE)) {
        const link = m[1]!
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue
        const [target, anchor] = link.split('#') as [string, string | undefined]
        if (target === '') {
          if (anchor && !repo.anchors(file).has(anchor)) report(line, link, `no heading #${anchor}`)
          continue
        }
        check(line, link, decodeURI(target), anchor, true)
      }
    }
    for (const m of text.matchAll(MD_RE)) {
      const target = m[1]!
      const anchor = m[2]?.slice(1)
      if (!target.includes('/')) {
        if (!repo.basenames.has(target)) report(line, m[0], 'no file of that name in the repository')
        else if (anchor) {
          const hits = [...repo.files].filter((f) => posix.basename(f) === target)
          if (!hits.some((h) => repo.anchors(h).has(anchor))) report(line, m[0], `no heading #${anchor}`)
        }
        continue
      }
      check(line, m[0], target, anchor, target.startsWith('.'))
    }
    for (const m of (isMd ? text : commentOf(file, text)).matchAll(PATH_RE)) {
      if (!PLACEHOLDER_RE.test(m[1]!)) check(line, m[1]!, m[1]!, undefined, m[1]!.startsWith('.'))
    }
    for (const m of text.matchAll(OUTSIDE_DOC_RE)) report(line, m[0], 'names a document that is not in the repository')
  })
  return out
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || name === 'node_modules' || name === 'data' || name === 'coverage') continue
    const p = resolve(dir, name)
    if (statSync(p).isDirectory()) yield* walk(p)
    else yield relative(ROOT, p).split('\\').join('/')
  }
}

/** The repository's files: git's tracked and not-ignored files that exist now; the tree without git. */
function listFiles(): string[] {
  let files: string[]
  try {
    files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0')
  } catch {
    files = [...walk(ROOT)]
  }
  return files.filter((f) => f !== '' && existsSync(resolve(ROOT, f)))
}

const read = (f: string) => readFileSync(resolve(ROOT, f), 'utf8')

describe('docs stand alone', () => {
  const files = listFiles()
  const repo = repoFrom(files, read)

  it('every cited Markdown file and repository path exists here', () => {
    const broken = files.filter((f) => SCANNED.test(f)).flatMap((f) => brokenCitations(f, read(f), repo))
    expect(broken.map((b) => `${b.file}:${b.line}: ${b.cited} — ${b.problem}`)).toEqual([])
  })

  it('the architecture and domain pages exist and the README links them', () => {
    for (const f of ['docs/architecture.md', 'docs/domain.md']) expect(repo.files.has(f), f).toBe(true)
    expect(read('README.md')).toMatch(/\]\(docs\/architecture\.md\)/)
    expect(read('README.md')).toMatch(/\]\(docs\/domain\.md\)/)
  })

  // made-up citations are built from pieces, so this file never cites them itself
  it('catches made-up citations', () => {
    const fake = repoFrom(['README.md', 'docs/domain.md', 'docs/api.md', 'broker/app.ts'], (f) => (f === 'docs/domain.md' ? '# Domain\n## Fault catalogue\n' : '# X\n'))
    const md = (s: string) => `${s}.md`
    const cases: [string, string, string | null][] = [
      ['broker/app.ts', `// the catalogue of ${md('DOMAI' + 'N_NOTES')}`, 'no file of that name in the repository'],
      ['broker/app.ts', `// see ${md('../sha' + 'red/NOTES')}`, 'no such file in the repository'],
      ['broker/app.ts', `// see ${md('../../sha' + 'red/NOTES')}`, 'outside the repository'],
      ['broker/app.ts', `// see ${md('docs/nowh' + 'ere')}`, 'no such file in the repository'],
      ['broker/app.ts', '// see docs/domain.md#' + 'no-such-section', 'no heading #no-such-section'],
      ['broker/app.ts', `// see broker/ap${'q'}.ts`, 'no such file in the repository'],
      ['broker/app.ts', `const x = 1 // as in broker/ap${'q'}.ts`, 'no such file in the repository'],
      ['deploy/examples/broker.yaml', `# see docs/nowh${'ere'}.yaml`, 'no such file in the repository'],
      ['broker/app.ts', `// (${'STY' + 'LE'} rule 8)`, 'names a document that is not in the repository'],
      ['docs/api.md', `[domain](${md('domai' + 'nz')})`, 'no such file in the repository'],
      ['docs/api.md', `[up](${md('../../out' + 'side')})`, 'outside the repository'],
      ['docs/api.md', `[here](#nowh${'ere'})`, 'no heading #nowhere'],
      // real citations pass
      ['broker/app.ts', '// docs/domain.md#fault-catalogue, README.md, domain.md', null],
      ['broker/app.ts', `violations('gateway/x.ts') // a fixture in code, and gateway/profiles/NAME.yaml`, null],
      ['docs/api.md', '[d](domain.md#fault-catalogue) [r](../README.md) [x](#x) [web](https://example.org/a.md)', null],
    ]
    for (const [file, text, problem] of cases) {
      const found = brokenCitations(file, text, fake).map((b) => b.problem)
      if (problem === null) expect(found, text).toEqual([])
      else expect(found, text).toContain(problem)
    }
  })

  it('anchors follow GitHub headings', () => {
    expect([...headingAnchors('# LiftWatch domain\n## Fault catalogue\n```\n# not a heading\n```\n## Fault catalogue\n### `key` and 困人 (11)\n')])
      .toEqual(['liftwatch-domain', 'fault-catalogue', 'fault-catalogue-1', 'key-and-困人-11'])
  })
})
