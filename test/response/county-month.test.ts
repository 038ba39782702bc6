// The simulated month of the county (test/response/county.ts) through the real policy engine:
// KPIs per township set beside the published mean arrival of about 14–15 min (docs/domain.md#kpis).
import { describe, expect, it } from 'vitest'
import { aggregate, defaultPolicy, type Aggregate, type Policy } from '../../response/index.ts'
import { MAIN, TOWNSHIPS, simulateMonth } from './county.ts'

const BASE = defaultPolicy([MAIN])
const ISLANDS: Policy = {
  ...BASE,
  townships: Object.fromEntries(TOWNSHIPS.filter((t) => t.ferry).map((t) => [t.code, { arrivalLimitMin: 90, atOnce: ['rescuer' as const] }])),
}
const MIN = 60_000
const fmt = (x: number | null) => (x === null ? '—' : (x / MIN).toFixed(1))
const pct = (x: number) => `${(x * 100).toFixed(0)}%`

function table(rows: readonly Aggregate[]): string {
  const name = (code: string) => TOWNSHIPS.find((t) => t.code === code)?.zh ?? '全县'
  return rows.map((g) => `${name(g.key)} ${g.key}: ${g.incidents} 起, 3分钟响应率 ${pct(g.responseRate)}, 到场达标率 ${pct(g.arrivalInLimitRate)}, 平均到场 ${fmt(g.meanArrivalMs)} min, 平均救援 ${fmt(g.meanRescueMs)} min`).join('\n')
}

describe('a simulated month of the county', () => {
  const month = simulateMonth({ seed: 12, policy: ISLANDS })
  const byTownship = aggregate(month.incidents, 'township')
  const [county] = aggregate(month.incidents, 'county')
  const ferry = aggregate(month.incidents.filter((i) => TOWNSHIPS.find((t) => t.code === i.elevator.township)!.ferry), 'county')[0]!

  it('prints KPIs per township beside the published 14–15 min', () => {
    console.log(`simulated month, ${month.incidents.length} incidents (published mean arrival: 14–15 min)\n${table([...byTownship, county!])}`)
    expect(byTownship.map((g) => g.key)).toEqual(TOWNSHIPS.map((t) => t.code).sort())
    expect(month.incidents.length).toBeGreaterThan(60)
  })

  it('every incident ends closed, and false alarms as 05', () => {
    expect(month.incidents.filter((i) => i.state !== '00' && i.state !== '05')).toEqual([])
    expect(month.incidents.some((i) => i.state === '05')).toBe(true)
  })

  it('the main island town arrives near the published mean, well inside 30 min', () => {
    const main = byTownship.find((g) => g.key === MAIN)!
    expect(main.meanArrivalMs! / MIN).toBeGreaterThan(10)
    expect(main.meanArrivalMs! / MIN).toBeLessThan(20)
    expect(main.arrivalInLimitRate).toBeGreaterThan(0.9)
    // the duty phone that misses the first notice answers the 2-min reminder, after the 3-min mark only sometimes
    expect(main.responseRate).toBeGreaterThan(0.85)
    expect(main.responseRate).toBeLessThan(1)
  })

  it('ferry islands: the local rescuer told at once keeps arrival inside the 90-min limit', () => {
    expect(ferry.arrivalInLimitRate).toBeGreaterThan(0.95)
    expect(ferry.meanArrivalMs! / MIN).toBeLessThan(25)
    const told = month.commands.filter((c) => c.kind === 'notify' && c.role === 'rescuer')
    expect(told.length).toBeGreaterThan(0)
    // level 3 only where nobody was on site within the limit, and never on a ferry island
    const police = new Set(month.commands.flatMap((c) => (c.kind === 'notify' && c.role === 'police' ? [c.incidentId] : [])))
    const escalated = month.incidents.filter((i) => police.has(i.id))
    expect(escalated.every((i) => i.arrivedAt === undefined || i.arrivedAt - i.alarmAt > i.arrivalLimitMs)).toBe(true)
    expect(escalated.filter((i) => TOWNSHIPS.find((t) => t.code === i.elevator.township)!.ferry)).toEqual([])
  })

  it('the same month without the island overrides: ferry islands miss the limit and escalate to level 3', () => {
    const plain = simulateMonth({ seed: 12, policy: BASE })
    const island = aggregate(plain.incidents.filter((i) => TOWNSHIPS.find((t) => t.code === i.elevator.township)!.ferry), 'county')[0]!
    console.log(`without island overrides, ferry islands: 到场达标率 ${pct(island.arrivalInLimitRate)}, 平均到场 ${fmt(island.meanArrivalMs)} min`)
    expect(island.arrivalInLimitRate).toBeLessThan(0.5)
    expect(island.meanArrivalMs! / MIN).toBeGreaterThan(50)
    expect(plain.commands.filter((c) => c.kind === 'notify' && c.role === 'police').length).toBeGreaterThan(0)
  })

  it('is deterministic for a seed', () => {
    const again = simulateMonth({ seed: 12, policy: ISLANDS })
    expect(aggregate(again.incidents, 'township')).toEqual(byTownship)
  })
})
