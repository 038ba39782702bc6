// When an alarm registers a hazard (docs/domain.md#kpis, the hazard register paragraph): a
// safety-critical fault at once, any other grave fault when it repeats within a window. And the
// register's state machine (docs/domain.md, "Records the county keeps" in the shared domain notes).
// Pure: time comes in as numbers.
import { catalogueEntry, isAlarmType, type AlarmEvent } from '../../protocol/index.ts'
import type { Hazard, HazardGrade, HazardState } from './types.ts'

export const DAY_MS = 24 * 3_600_000

/** Faults that are a hazard the first time they happen (entrapment counts by repetition). */
export const AT_ONCE_TYPES: readonly string[] = ['overtravel_top', 'overtravel_bottom', 'unintended_movement', 'safety_circuit_open']

export interface HazardOptions {
  readonly deadlineDays: { readonly major: number; readonly general: number }
  readonly repeat: { readonly count: number; readonly days: number }
  readonly escalateEveryHours: number
}
export const DEFAULT_HAZARD_OPTIONS: HazardOptions = Object.freeze({
  deadlineDays: Object.freeze({ major: 7, general: 30 }),
  repeat: Object.freeze({ count: 3, days: 30 }),
  escalateEveryHours: 24,
})

export type AlarmRule =
  | { readonly kind: 'at_once'; readonly rule: string; readonly grade: HazardGrade }
  | { readonly kind: 'repeat'; readonly rule: string; readonly grade: HazardGrade }

/** What an alarm could register, before counting; null when it never does (drills, cleared, minor). */
export function alarmRule(a: Pick<AlarmEvent, 'type' | 'severity' | 'state' | 'drill'>): AlarmRule | null {
  if (a.drill || a.state !== 'raised') return null
  if (AT_ONCE_TYPES.includes(a.type)) return { kind: 'at_once', rule: `type:${a.type}`, grade: 'major' }
  if (a.type === 'entrapment' || a.severity === 'critical') return { kind: 'repeat', rule: `repeat:${a.type}`, grade: 'major' }
  if (a.severity === 'major') return { kind: 'repeat', rule: `repeat:${a.type}`, grade: 'general' }
  return null
}

export const typeZh = (type: string): string => (isAlarmType(type) ? catalogueEntry(type).zh : type)

/** China Standard Time as the register writes it: `YYYY-MM-DD HH:mm`. */
export function cst(ms: number | undefined): string {
  if (ms === undefined) return ''
  return new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')
}

export const yearCst = (ms: number): number => new Date(ms + 8 * 3_600_000).getUTCFullYear()

export function alarmDescription(rule: AlarmRule, type: string, count: number, days: number, at: number): string {
  const zh = typeZh(type)
  return rule.kind === 'at_once'
    ? `监测发现${zh}（${cst(at)}），属安全关键故障，须停梯检查`
    : `${days} 天内监测发现${zh} ${count} 次（最近一次 ${cst(at)}），须查明原因并整改`
}

export const GRADE_ZH: Readonly<Record<HazardGrade, string>> = { major: '重大', general: '一般' }

/** Allowed moves: open → rectifying → rectified → closed, and back from rectified to rectifying. */
const NEXT: Readonly<Record<HazardState, readonly HazardState[]>> = {
  open: ['rectifying'],
  rectifying: ['rectified'],
  rectified: ['closed', 'rectifying'],
  closed: [],
}
export const canMove = (from: HazardState, to: HazardState): boolean => NEXT[from].includes(to)

/** Not yet rectified and past its deadline. */
export const isOverdue = (h: Pick<Hazard, 'state' | 'deadline'>, now: number): boolean =>
  (h.state === 'open' || h.state === 'rectifying') && now >= h.deadline

/** When the overdue timer should next look at the hazard; null when it never needs to. */
export function nextEscalation(h: Hazard, everyMs: number): number | null {
  if (h.state !== 'open' && h.state !== 'rectifying') return null
  const last = lastEscalation(h)
  return last !== undefined && last >= h.deadline ? last + everyMs : h.deadline
}

export function lastEscalation(h: Hazard): number | undefined {
  for (let i = h.timeline.length - 1; i >= 0; i--) if (h.timeline[i]!.kind === 'escalated') return h.timeline[i]!.at
  return undefined
}

export const FOUND_BY_ZH: Readonly<Record<Hazard['foundBy'], string>> = {
  monitoring: '在线监测', patrol: '网格巡查', complaint: '群众投诉', inspection: '定期检验', drill: '应急演练', manual: '人工登记',
}
