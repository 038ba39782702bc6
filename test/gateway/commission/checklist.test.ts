import { describe, expect, it } from 'vitest'
import { liftwatchRef } from '../../../protocol/index.ts'
import { loadProfile } from '../../../gateway/profiles.ts'
import {
  advance, createChecklist, currentStep, isDone, needsUndo, quit, remainingMs, skipStep, summary,
  type ChecklistOptions, type ChecklistState,
} from '../../../gateway/commission/checklist.ts'
import { STEP_IDS, factsOf, parseSteps, type StepId, type Values } from '../../../gateway/commission/steps.ts'

const REF_POINTS = Object.keys(liftwatchRef.points)
const IDLE: Values = {
  floor: '1', floorIndex: 1, landings: 13, moving: false, direction: 'none', door: 'closed', doorZone: true,
  alarmButton: false, mode: 'normal',
}
const opts = (over: Partial<ChecklistOptions> = {}): ChecklistOptions =>
  ({ timeoutMs: 60_000, context: { tolerance: 0.15 }, points: REF_POINTS, ...over })

/** Feeds samples one second apart, each the previous one with changes applied. */
function feed(s: ChecklistState, start: Values, changes: Partial<Record<string, Values[string]>>[], t0 = 1000): { s: ChecklistState; last: Values; t: number } {
  let prev = start
  let t = t0
  for (const c of changes) {
    const cur = { ...prev, ...c } as Values
    s = advance(s, prev, cur, t)
    prev = cur
    t += 1000
  }
  return { s, last: prev, t }
}

const only = (id: StepId, over: Partial<ChecklistOptions> = {}, start: Values = IDLE) => createChecklist(opts({ steps: [id], ...over }), 0, start)

describe('commissioning checklist: each step passes on the right change', () => {
  it('top: the car arrives at landings − 1; passing floors, or reaching it still moving, is not enough', () => {
    let { s } = feed(only('top'), IDLE, [{ moving: true, floorIndex: 2 }, { floorIndex: 11 }, { floorIndex: 12 }])
    expect(isDone(s)).toBe(false)
    ;({ s } = feed(s, { ...IDLE, floorIndex: 12, moving: true }, [{ moving: false }], 4000))
    expect(s.results).toEqual([expect.objectContaining({ id: 'top', status: 'pass', reason: 'seen', startedAt: 0, endedAt: 4000 })])
    expect(s.results[0]!.before).toMatchObject({ floorIndex: 1, landings: 13 })
    expect(s.results[0]!.observed).toMatchObject({ floorIndex: 12, moving: false })
  })

  it('top: a configured top index wins over the landings extra', () => {
    const { s } = feed(only('top', { context: { tolerance: 0.15, topIndex: 5 } }), IDLE, [{ floorIndex: 5 }, { floorIndex: 12 }])
    expect(s.results[0]?.endedAt).toBe(1000)
    expect(s.results[0]?.status).toBe('pass')
  })

  it('top without any landing count: the car at rest above its start, as high as seen', () => {
    const start = { ...IDLE, landings: null }
    let { s } = feed(only('top', {}, start), start, [{ moving: true, floorIndex: 4 }])
    expect(isDone(s)).toBe(false)
    ;({ s } = feed(s, { ...start, moving: true, floorIndex: 4 }, [{ moving: false, floorIndex: 6 }]))
    expect(s.results[0]?.status).toBe('pass')
  })

  it('a car already at the top must leave and come back (a stuck signal cannot pass)', () => {
    const atTop = { ...IDLE, floorIndex: 12 }
    let s = only('top', {}, atTop)
    expect(needsUndo(s)).toBe(true)
    ;({ s } = feed(s, atTop, [{}, {}, {}]))
    expect(isDone(s)).toBe(false)
    ;({ s } = feed(s, atTop, [{ floorIndex: 11, moving: true }, { floorIndex: 12, moving: false }]))
    expect(s.results[0]?.status).toBe('pass')
  })

  it('bottom: stopped at floorIndex 0', () => {
    let { s } = feed(only('bottom'), IDLE, [{ moving: true, floorIndex: 0 }])
    expect(isDone(s)).toBe(false)
    ;({ s } = feed(s, { ...IDLE, moving: true, floorIndex: 0 }, [{ moving: false }]))
    expect(s.results[0]?.status).toBe('pass')
  })

  it('door open: open, not opening', () => {
    let { s } = feed(only('doorOpen'), IDLE, [{ door: 'opening' }])
    expect(isDone(s)).toBe(false)
    ;({ s } = feed(s, { ...IDLE, door: 'opening' }, [{ door: 'open' }]))
    expect(s.results[0]).toMatchObject({ status: 'pass', observed: { door: 'open' } })
  })

  it('door close: closed', () => {
    const open = { ...IDLE, door: 'open' }
    const { s } = feed(only('doorClose', {}, open), open, [{ door: 'closing' }, { door: 'closed' }])
    expect(s.results[0]?.status).toBe('pass')
  })

  it('alarm button: pressed', () => {
    const { s } = feed(only('alarm'), IDLE, [{ alarmButton: true }])
    expect(s.results[0]).toMatchObject({ status: 'pass', before: { alarmButton: false }, observed: { alarmButton: true } })
  })

  it('inspection, then back to normal', () => {
    const { s } = feed(createChecklist(opts({ steps: ['inspection', 'normal'] }), 0, IDLE), IDLE, [{ mode: 'inspection' }, { mode: 'normal' }])
    expect(s.results.map((r) => [r.id, r.status])).toEqual([['inspection', 'pass'], ['normal', 'pass']])
  })

  it('the whole default checklist in order', () => {
    let s = createChecklist(opts(), 0, IDLE)
    expect(s.order).toEqual(STEP_IDS)
    ;({ s } = feed(s, { ...IDLE, occupied: false, safetyCircuit: true }, [
      { moving: true, floorIndex: 6, doorZone: false }, { floorIndex: 12 }, { moving: false, doorZone: true },
      { moving: true, floorIndex: 5, doorZone: false }, { floorIndex: 0 }, { moving: false, doorZone: true },
      { moving: true, doorZone: false }, { moving: false, doorZone: true }, { door: 'opening' }, { door: 'open' },
      { door: 'closing' }, { door: 'closed' }, { door: 'open', occupied: true }, { alarmButton: true }, { alarmButton: false },
      { mode: 'inspection' }, { safetyCircuit: false }, { safetyCircuit: true, mode: 'normal' },
    ]))
    expect(isDone(s)).toBe(true)
    expect(summary(s)).toEqual({ pass: 10, fail: 0, skip: 0, total: 10 })
  })
})

describe('commissioning checklist: timeouts, skip, quit', () => {
  it('fails a step on timeout and starts the next one then', () => {
    let s = createChecklist(opts({ steps: ['alarm', 'doorOpen'], timeoutMs: 5000 }), 0, IDLE)
    ;({ s } = feed(s, IDLE, [{}, {}, {}, {}]))
    expect(s.results).toHaveLength(0)
    expect(remainingMs(s, 4000)).toBe(1000)
    ;({ s } = feed(s, IDLE, [{}], 5000))
    expect(s.results).toEqual([expect.objectContaining({ id: 'alarm', status: 'fail', reason: 'timeout', endedAt: 5000 })])
    expect(currentStep(s)?.id).toBe('doorOpen')
    expect(s.stepStartedAt).toBe(5000)
  })

  it('times out while polls fail (no samples)', () => {
    let s = only('alarm', { timeoutMs: 3000 })
    s = advance(s, undefined, undefined, 1000)
    expect(isDone(s)).toBe(false)
    s = advance(s, undefined, undefined, 3000)
    expect(s.results[0]).toMatchObject({ status: 'fail', reason: 'timeout' })
  })

  it('a change seen on the timeout sample still passes', () => {
    const { s } = feed(only('alarm', { timeoutMs: 1000 }), IDLE, [{ alarmButton: true }])
    expect(s.results[0]?.status).toBe('pass')
  })

  it('skip records the step and moves on', () => {
    let s = createChecklist(opts({ steps: ['top', 'alarm'] }), 0, IDLE)
    s = skipStep(s, 2500)
    expect(s.results).toEqual([expect.objectContaining({ id: 'top', status: 'skip', reason: 'skipped', endedAt: 2500 })])
    expect(currentStep(s)?.id).toBe('alarm')
  })

  it('quit skips the active step and all after it', () => {
    let s = createChecklist(opts(), 0, IDLE)
    ;({ s } = feed(s, IDLE, [{ floorIndex: 12 }]))
    s = quit(s, 9000)
    expect(isDone(s)).toBe(true)
    expect(s.results.map((r) => `${r.id}:${r.status}:${r.reason}`)).toEqual([
      'top:pass:seen', 'bottom:skip:quit', 'doorZone:skip:quit', 'doorOpen:skip:quit', 'doorClose:skip:quit', 'presence:skip:quit',
      'alarm:skip:quit', 'inspection:skip:quit', 'safetyChain:skip:quit', 'normal:skip:quit',
    ])
  })

  it('steps the profile cannot prove are skipped as unmapped', () => {
    const s = createChecklist(opts({ points: ['floorIndex', 'door'] }), 0, IDLE)
    expect(currentStep(s)?.id).toBe('top')
    const end = quit(s, 1)
    expect(end.results.filter((r) => r.reason === 'unmapped').map((r) => r.id)).toEqual(['doorZone', 'presence', 'alarm', 'inspection', 'safetyChain', 'normal'])
  })

  it('parses a step list and names unknown ids', () => {
    expect(parseSteps('top, alarm')).toEqual(['top', 'alarm'])
    expect(parseSteps('top,lift')).toEqual({ unknown: ['lift'] })
  })
})

describe('commissioning checklist on io-retrofit signals', () => {
  const profile = loadProfile('io-retrofit')
  const heights = [0, 4, 7, 10]
  const ctx = { tolerance: 0.15, landingHeights: heights }
  const IO: Values = {
    doorClosed: true, doorOpenLimit: false, doorZone: true, alarmButton: false, moving: false, inspection: false, position: 4.002,
    occupied: false, safetyCircuit: true,
  }

  it('derives floor from position and the configured landings, door from the contacts, mode from the switch', () => {
    expect(factsOf(IO, ctx)).toMatchObject({ floorIndex: 1, topIndex: 3, doorOpen: false, doorClosed: true, inspection: false, normal: true })
    expect(factsOf({ ...IO, position: 5.5 }, ctx).floorIndex).toBeUndefined()
    expect(factsOf({ ...IO, doorClosed: false, doorOpenLimit: true }, ctx)).toMatchObject({ doorOpen: true, doorClosed: false })
  })

  it('walks every step', () => {
    let s = createChecklist({ timeoutMs: 60_000, context: ctx, points: Object.keys(profile.points) }, 0, IO)
    ;({ s } = feed(s, IO, [
      { moving: true, position: 7.5, doorZone: false }, { position: 9.93 }, { moving: false, position: 9.97, doorZone: true },
      { moving: true, position: 3, doorZone: false }, { position: 0.05 }, { moving: false, doorZone: true },
      { moving: true, position: 0.4, doorZone: false }, { moving: false, position: 0.01, doorZone: true },
      { doorClosed: false }, { doorOpenLimit: true }, { doorOpenLimit: false }, { doorClosed: true },
      { occupied: true }, { alarmButton: true }, { inspection: true }, { safetyCircuit: false }, { inspection: false },
    ]))
    expect(s.results.map((r) => `${r.id}:${r.status}`)).toEqual([
      'top:pass', 'bottom:pass', 'doorZone:pass', 'doorOpen:pass', 'doorClose:pass', 'presence:pass', 'alarm:pass', 'inspection:pass',
      'safetyChain:pass', 'normal:pass',
    ])
    expect(s.results[0]!.observed).toMatchObject({ position: 9.97, moving: false })
  })

  it('without configured landings the floor steps are unmapped', () => {
    const s = createChecklist({ timeoutMs: 1000, context: { tolerance: 0.15 }, points: Object.keys(profile.points) }, 0, IO)
    expect(s.results.map((r) => `${r.id}:${r.reason}`)).toEqual(['top:unmapped', 'bottom:unmapped'])
    expect(currentStep(s)?.id).toBe('doorZone')
  })
})
