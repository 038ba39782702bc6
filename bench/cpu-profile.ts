// Summary of a V8 .cpuprofile (node --cpu-prof): where a process spent its busy time, by self time
// per function and per package or project file, and by inclusive time per project function.
// tsx loads the TypeScript minified to one line per file, so line numbers say nothing; functions
// are told apart by name, file and column, and each entry names the callees it spends most in
// (what identifies an anonymous arrow).
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

export interface FunctionShare { fn: string; where: string; pct: number; calls?: string[] }
export interface ProfileSummary {
  sampledSeconds: number
  /** share of the samples that were not (idle) */
  busyShare: number
  /** self time by package (node_modules/<pkg>), project file, node internals, GC; % of busy time */
  byArea: { area: string; pct: number }[]
  /** self time per function; % of busy time */
  topSelf: FunctionShare[]
  /** time under each project function, callees included; % of busy time */
  topInclusiveProject: FunctionShare[]
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)'])

function areaOf(url: string, fn: string, root: string): string {
  if (SPECIAL.has(fn) && !url) return fn
  if (!url) return '(native)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
  if (nm) return nm[1]!
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0]
  const path = url.replace(/^file:\/\//, '')
  return path.startsWith(root) ? path.slice(root.length) : path
}

const pct = (x: number, total: number): number => Math.round((1000 * x) / total) / 10

export interface ProfileWindow { fromUs: number; toUs: number }

/** `window`: only samples taken in it, or in any of them (µs on the profile's clock, CLOCK_MONOTONIC on Linux). */
export function summarizeProfile(file: string, root: string, window?: ProfileWindow | readonly ProfileWindow[], top = 15): ProfileSummary {
  const windows = window === undefined ? undefined : 'fromUs' in window ? [window] : window
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  let t = p.startTime
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    t += dt
    if (windows && !windows.some((w) => t >= w.fromUs && t <= w.toUs)) return
    self.set(id, (self.get(id) ?? 0) + dt)
  })
  // time under each node, callees included
  const under = new Map<number, number>()
  const subtree = (id: number): number => {
    let us = self.get(id) ?? 0
    for (const c of byId.get(id)!.children ?? []) us += subtree(c)
    under.set(id, us)
    return us
  }
  const rootNode = p.nodes.find((n) => !parent.has(n.id))
  if (rootNode) subtree(rootNode.id)

  const keyOf = (n: ProfileNode) => {
    const where = areaOf(n.callFrame.url, n.callFrame.functionName, root)
    return `${n.callFrame.functionName || '(anonymous)'}\t${where}\t${n.callFrame.columnNumber}`
  }
  let total = 0
  let idle = 0
  const area = new Map<string, number>()
  const fnSelf = new Map<string, number>()
  const inclusive = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    total += us
    if (n.callFrame.functionName === '(idle)') { idle += us; continue }
    const a = areaOf(n.callFrame.url, n.callFrame.functionName, root)
    area.set(a, (area.get(a) ?? 0) + us)
    const k = keyOf(n)
    fnSelf.set(k, (fnSelf.get(k) ?? 0) + us)
    // inclusive: every distinct project frame on the stack above this sample
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!
      if (!f.callFrame.url.startsWith(`file://${root}`) || f.callFrame.url.includes('/node_modules/')) continue
      const fk = keyOf(f)
      if (seen.has(fk)) continue
      seen.add(fk)
      inclusive.set(fk, (inclusive.get(fk) ?? 0) + us)
    }
  }
  const busy = total - idle
  // per function key: time in each direct callee (by name), to say what an anonymous function is
  const callees = new Map<string, Map<string, number>>()
  for (const n of p.nodes) {
    const k = keyOf(n)
    for (const c of n.children ?? []) {
      const child = byId.get(c)!
      const name = `${child.callFrame.functionName || '(anonymous)'} (${areaOf(child.callFrame.url, child.callFrame.functionName, root)})`
      const m = callees.get(k) ?? new Map<string, number>()
      m.set(name, (m.get(name) ?? 0) + (under.get(c) ?? 0))
      callees.set(k, m)
    }
  }
  const entry = ([k, us]: [string, number]): FunctionShare => {
    const [fn, where] = k.split('\t') as [string, string]
    const calls = [...(callees.get(k) ?? [])].filter(([, cus]) => cus > busy / 1000).sort((a, b) => b[1] - a[1]).slice(0, 3)
      .map(([name, cus]) => `${name} ${pct(cus, busy)}%`)
    return { fn, where, pct: pct(us, busy), ...(calls.length ? { calls } : {}) }
  }
  const ranked = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
  return {
    sampledSeconds: Math.round(total / 1e4) / 100,
    busyShare: Math.round((1000 * busy) / total) / 1000,
    byArea: ranked(area).map(([a, us]) => ({ area: a, pct: pct(us, busy) })),
    topSelf: ranked(fnSelf).map(entry),
    topInclusiveProject: ranked(inclusive).map(entry),
  }
}
