// KPIs per incident and aggregated by township, maintenance unit and month (response/kpi.ts).
import { describe, expect, it } from 'vitest'
import { aggregate, defaultPolicy, incidentKpi, monthOf, openForAlarm, step, type Action, type Incident } from '../../response/index.ts'
import { MIN, T0 } from './harness.ts'
import { DESK, FERRY_ISLAND, MAIN_TOWN, TECH, alarm, lift } from './fixtures.ts'

const POLICY = defaultPolicy([MAIN_TOWN])

/** An incident at `startMs` through the given actions at minutes after its alarm. */
function incident(id: string, township: string, startMs: number, acts: [number, Action][], over: { drill?: boolean; maintenance?: string } = {}): Incident {
  const e = { ...lift(township), ...(over.maintenance ? { maintenance: over.maintenance } : {}) }
  let inc = openForAlarm({ id, elevator: e, policy: POLICY, now: T0 + startMs }, alarm(startMs, { drill: over.drill ?? false }, e)).state
  for (const [m, a] of acts) inc = step(inc, { kind: 'action', action: a, actor: a.kind === 'released' ? DESK : TECH }, T0 + startMs + m * MIN).state
  return inc
}
const full = (r: number, a: number, rel: number): [number, Action][] => [[r, { kind: 'responded' }], [a, { kind: 'arrived' }], [rel, { kind: 'released', persons: 1 }]]

describe('incidentKpi', () => {
  it('response, arrival, rescue and on-site times from the alarm, and the limits', () => {
    expect(incidentKpi(incident('i1', MAIN_TOWN, 0, full(2, 14, 20)))).toEqual({
      incidentId: 'i1', responseMs: 2 * MIN, arrivalMs: 14 * MIN, rescueMs: 20 * MIN, onSiteMs: 6 * MIN, respondedInLimit: true, arrivedInLimit: true,
    })
    const late = incidentKpi(incident('i2', MAIN_TOWN, 0, full(4, 31, 40)))
    expect([late.respondedInLimit, late.arrivedInLimit]).toEqual([false, false])
    // exactly on the limit counts
    const edge = incidentKpi(incident('i3', MAIN_TOWN, 0, full(3, 30, 31)))
    expect([edge.respondedInLimit, edge.arrivedInLimit]).toEqual([true, true])
  })

  it('an open incident with nobody on site has no arrival and is not in limit', () => {
    const k = incidentKpi(incident('i4', FERRY_ISLAND, 0, [[1, { kind: 'responded' }]]))
    expect(k.arrivalMs).toBeUndefined()
    expect(k.arrivedInLimit).toBe(false)
  })
})

describe('aggregate', () => {
  const list = [
    incident('a', MAIN_TOWN, 0, full(1, 10, 15), { maintenance: 'mu-a' }),
    incident('b', MAIN_TOWN, 3_600_000, full(5, 20, 30), { maintenance: 'mu-b' }),
    incident('c', FERRY_ISLAND, 7_200_000, full(2, 70, 80), { maintenance: 'mu-a' }),
    incident('d', FERRY_ISLAND, 0, full(0, 1, 2), { drill: true }),
    incident('e', MAIN_TOWN, 0, [[2, { kind: 'false_alarm' }]]),
  ]

  it('by township: rates and means, drills and false alarms left out', () => {
    const [main, island] = aggregate(list, 'township')
    expect(main).toEqual({ key: MAIN_TOWN, incidents: 2, responseRate: 0.5, arrivalInLimitRate: 1, meanArrivalMs: 15 * MIN, meanRescueMs: 22.5 * MIN, meanOnSiteMs: 7.5 * MIN })
    // 60 min is the limit outside the main town
    expect(island).toMatchObject({ key: FERRY_ISLAND, incidents: 1, responseRate: 1, arrivalInLimitRate: 0, meanArrivalMs: 70 * MIN })
  })

  it('drills counted only when asked', () => {
    expect(aggregate(list, 'township', { includeDrills: true }).find((g) => g.key === FERRY_ISLAND)!.incidents).toBe(2)
  })

  it('by maintenance unit and by month (China Standard Time)', () => {
    expect(aggregate(list, 'maintenance').map((g) => [g.key, g.incidents])).toEqual([['mu-a', 2], ['mu-b', 1]])
    expect(aggregate(list, 'month').map((g) => [g.key, g.incidents])).toEqual([['2026-01', 3]])
    expect(monthOf(Date.UTC(2026, 0, 31, 16))).toBe('2026-02')
    expect(monthOf(Date.UTC(2026, 0, 31, 15, 59))).toBe('2026-01')
  })

  it('an empty group list and no arrivals give null means', () => {
    expect(aggregate([], 'county')).toEqual([])
    const [g] = aggregate([incident('x', MAIN_TOWN, 0, [])], 'county')
    expect(g).toMatchObject({ incidents: 1, responseRate: 0, meanArrivalMs: null, meanRescueMs: null })
  })
})
