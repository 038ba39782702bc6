// The commissioning checklist as a pure state machine: samples of decoded values and the time go
// in, step results come out. A step passes on a *change*: its target state must be seen after a
// sample that did not show it, so a signal stuck at the target value (wrong address, bridged
// input) cannot pass. Timeouts fail a step; the installer may skip one or quit.
import { STEPS, STEP_IDS, factsOf, type StepContext, type StepDef, type StepId, type StepMemory, type Values } from './steps.ts'

export type StepStatus = 'pass' | 'fail' | 'skip'
/**
 * seen = the change was observed; unmapped = the profile has no signal that could prove it;
 * mismatch = the change showed, but other signals contradict it (detail says which)
 */
export type StepReason = 'seen' | 'timeout' | 'skipped' | 'quit' | 'unmapped' | 'mismatch'

export interface StepResult {
  readonly id: StepId
  readonly status: StepStatus
  readonly reason: StepReason
  readonly startedAt: number
  readonly endedAt: number
  /** the step's fields when it began and when it ended */
  readonly before: Values
  readonly observed: Values
  /** mismatch: what disagreed, in field terms */
  readonly detail?: string
}

export interface ChecklistOptions {
  readonly steps?: readonly StepId[]
  readonly timeoutMs: number
  readonly context: StepContext
  /** point names of the profile (what could prove a step) */
  readonly points: Iterable<string>
}

export interface ChecklistState {
  readonly order: readonly StepId[]
  /** index into order of the active step; order.length when done */
  readonly index: number
  readonly stepStartedAt: number
  /** a sample during this step did not show the target state */
  readonly sawUnmet: boolean
  readonly memory: StepMemory
  readonly before: Values
  readonly last: Values | undefined
  readonly results: readonly StepResult[]
  readonly timeoutMs: number
  readonly context: StepContext
  readonly points: ReadonlySet<string>
}

const pick = (v: Values | undefined, fields: readonly string[]): Values => {
  const out: Record<string, Values[string]> = {}
  if (v) for (const f of fields) if (f in v) out[f] = v[f]!
  return out
}

export const currentStep = (s: ChecklistState): StepDef | undefined => {
  const id = s.order[s.index]
  return id === undefined ? undefined : STEPS[id]
}
export const isDone = (s: ChecklistState): boolean => s.index >= s.order.length
export const remainingMs = (s: ChecklistState, now: number): number => Math.max(0, s.timeoutMs - (now - s.stepStartedAt))
/** The active step's target already shows and has not yet been seen otherwise: the installer must undo it first. */
export const needsUndo = (s: ChecklistState): boolean => {
  const step = currentStep(s)
  return !!step && !s.sawUnmet && !!s.last && step.holds(factsOf(s.last, s.context), s.memory) === true
}

function maxFloor(mem: StepMemory, v: Values | undefined, ctx: StepContext): StepMemory {
  const f = v === undefined ? undefined : factsOf(v, ctx).floorIndex
  return f === undefined || f <= (mem.maxFloor ?? -1) ? mem : { ...mem, maxFloor: f }
}

/** Begins step `index` at `now`; steps the profile cannot prove are recorded as skipped on the way. */
function enter(s: ChecklistState, index: number, now: number, cur: Values | undefined): ChecklistState {
  let results = s.results
  let i = index
  while (i < s.order.length && !STEPS[s.order[i]!].possible(s.points, s.context)) {
    results = [...results, { id: s.order[i]!, status: 'skip', reason: 'unmapped', startedAt: now, endedAt: now, before: {}, observed: {} }]
    i++
  }
  const step = i < s.order.length ? STEPS[s.order[i]!] : undefined
  const facts = cur ? factsOf(cur, s.context) : undefined
  const memory: StepMemory = { ...s.memory, startFloor: facts?.floorIndex }
  return {
    ...s, index: i, results, stepStartedAt: now, memory,
    sawUnmet: !!step && !!facts && step.holds(facts, memory) === false,
    before: step ? pick(cur, step.fields) : {},
  }
}

function finish(s: ChecklistState, status: StepStatus, reason: StepReason, now: number, detail?: string): ChecklistState {
  const step = currentStep(s)
  if (!step) return s
  const result: StepResult = {
    id: step.id, status, reason, startedAt: s.stepStartedAt, endedAt: now, before: s.before, observed: pick(s.last, step.fields),
    ...(detail ? { detail } : {}),
  }
  return enter({ ...s, results: [...s.results, result] }, s.index + 1, now, s.last)
}

export function createChecklist(opts: ChecklistOptions, now: number, cur?: Values): ChecklistState {
  const order = opts.steps ?? STEP_IDS
  const initial: ChecklistState = {
    order, index: 0, stepStartedAt: now, sawUnmet: false, memory: {}, before: {}, last: cur, results: [],
    timeoutMs: opts.timeoutMs, context: opts.context, points: new Set(opts.points),
  }
  return enter({ ...initial, memory: maxFloor({}, cur, opts.context) }, 0, now, cur)
}

/**
 * One sample: `prev` and `cur` are consecutive decoded samples (either undefined when a poll
 * failed), `now` the time of `cur` in ms. Passing wins over a timeout at the same sample.
 */
export function advance(s: ChecklistState, prev: Values | undefined, cur: Values | undefined, now: number): ChecklistState {
  if (isDone(s)) return s
  let next: ChecklistState = cur ? { ...s, last: cur, memory: maxFloor(s.memory, cur, s.context) } : s
  const step = currentStep(next)!
  const holdsNow = cur ? step.holds(factsOf(cur, s.context), next.memory) : undefined
  const heldBefore = prev ? step.holds(factsOf(prev, s.context), next.memory) : undefined
  if (holdsNow === true && (next.sawUnmet || heldBefore === false)) {
    const wrong = step.verify?.(cur!, factsOf(cur!, s.context), s.context)
    return wrong ? finish(next, 'fail', 'mismatch', now, wrong) : finish(next, 'pass', 'seen', now)
  }
  if (holdsNow === false && !next.sawUnmet) next = { ...next, sawUnmet: true }
  if (now - next.stepStartedAt >= next.timeoutMs) return finish(next, 'fail', 'timeout', now)
  return next
}

/** The installer skipped the active step. */
export const skipStep = (s: ChecklistState, now: number): ChecklistState => finish(s, 'skip', 'skipped', now)

/** The installer quit: the active step and every one after it are recorded as skipped. */
export function quit(s: ChecklistState, now: number): ChecklistState {
  let next = s
  while (!isDone(next)) next = finish(next, 'skip', 'quit', now)
  return next
}

export interface Summary { readonly pass: number; readonly fail: number; readonly skip: number; readonly total: number }
export function summary(s: ChecklistState): Summary {
  const count = (st: StepStatus) => s.results.filter((r) => r.status === st).length
  return { pass: count('pass'), fail: count('fail'), skip: count('skip'), total: s.order.length }
}
