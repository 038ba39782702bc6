// A simulated month of an island county through the real policy engine, in virtual time: 300
// elevators in 7 townships (the main island town, a second town on the main island, a port island
// with its own technicians, four ferry islands), entrapments as a Poisson process, and parties
// answering notifications with seeded delay distributions (docs/domain.md#response-chain).
import { route, openForAlarm, type Command, type ElevatorFacts, type Incident, type Policy, type ResponseEvent } from '../../response/index.ts'
import { Driver, MIN, T0, vts } from './harness.ts'

export interface Township {
  readonly code: string
  readonly zh: string
  readonly elevators: number
  /** the maintenance technician's travel time: median minutes and log-normal spread */
  readonly travel: readonly [median: number, sigma: number]
  readonly ferry: boolean
}

export const TOWNSHIPS: readonly Township[] = [
  { code: '330922100', zh: '菜园镇', elevators: 170, travel: [11, 0.35], ferry: false },
  { code: '330922101', zh: '五龙乡', elevators: 30, travel: [18, 0.3], ferry: false },
  { code: '330922102', zh: '洋山镇', elevators: 40, travel: [14, 0.35], ferry: false },
  { code: '330922200', zh: '嵊山镇', elevators: 20, travel: [75, 0.3], ferry: true },
  { code: '330922201', zh: '枸杞乡', elevators: 15, travel: [70, 0.3], ferry: true },
  { code: '330922202', zh: '黄龙乡', elevators: 15, travel: [55, 0.3], ferry: true },
  { code: '330922203', zh: '花鸟乡', elevators: 10, travel: [90, 0.3], ferry: true },
]
export const MAIN = TOWNSHIPS[0]!.code

/** mulberry32: small, seeded, good enough for a simulation */
export function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const logNormal = (r: () => number, median: number, sigma: number): number =>
  median * Math.exp(sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()))

export interface MonthOptions {
  readonly seed: number
  readonly policy: Policy
  readonly days?: number
  /** entrapments per elevator per day */
  readonly rate?: number
}
export interface MonthResult {
  readonly incidents: readonly Incident[]
  readonly commands: readonly Command[]
  readonly joined: number
}

/** Runs the month; every incident ends closed unless nobody ever arrives (which this model rules out). */
export function simulateMonth(o: MonthOptions): MonthResult {
  const r = rng(o.seed)
  const days = o.days ?? 31
  const rate = o.rate ?? 0.01
  const s = vts()
  const elevators: { e: ElevatorFacts; t: Township }[] = TOWNSHIPS.flatMap((t) => Array.from({ length: t.elevators }, (_, i) => ({
    t, e: { elevatorId: `330922311020230${t.code.slice(-3)}${String(i).padStart(2, '0')}`, region: '330922', township: t.code, maintenance: t.ferry ? 'mu-island' : i % 2 ? 'mu-east' : 'mu-west', property: `pm-${t.code}` },
  })))
  const drivers: Driver[] = []
  const open = new Map<string, Driver>()
  let joined = 0
  let seq = 0
  for (const { e, t } of elevators) {
    // Poisson arrivals over the month
    for (let at = -Math.log(1 - r()) / rate * 1440 * MIN; at < days * 1440 * MIN; at += -Math.log(1 - r()) / rate * 1440 * MIN) {
      const falseAlarm = r() < 0.08
      const missed = r() < 0.1 // the duty phone misses the first notice; a reminder reaches it
      const respondMin = logNormal(r, 1.2, 0.5)
      const travelMin = logNormal(r, t.travel[0], t.travel[1])
      const rescuerMin = logNormal(r, 15, 0.3)
      const onSiteMin = logNormal(r, 8, 0.4)
      const alarmId = `al-${++seq}`
      s.schedule(() => {
        const now = T0 + s.now()
        const alarm = { id: alarmId, type: 'entrapment' as const, severity: 'critical' as const, elevatorId: e.elevatorId, raisedAt: now - 20_000, detectedAt: now, drill: false }
        const current = open.get(e.elevatorId)
        const way = route(current?.incident, alarm)
        if (way === 'join') {
          joined++
          current!.at(s.now(), { kind: 'alarm_raised', alarm })
          return
        }
        const tech = { name: '维保值班', via: 'link' as const, role: 'maintenance' as const }
        const arriveThenRelease = (role: 'maintenance' | 'rescuer', arriveMin: number): { afterMs: number; event: ResponseEvent }[] => [
          { afterMs: arriveMin * MIN, event: { kind: 'action', action: { kind: 'arrived' }, actor: { name: role, via: 'link', role } } },
          { afterMs: (arriveMin + onSiteMin) * MIN, event: { kind: 'action', action: { kind: 'released', persons: 1, cause: 'external' }, actor: { name: '96333', via: 'desk', role: 'desk' } } },
        ]
        let answered = false
        const d = new Driver(s, (c) => {
          if (c.kind !== 'notify') return []
          if (c.role === 'desk' && !c.reminder && falseAlarm) return [{ afterMs: 4 * MIN, event: { kind: 'action', action: { kind: 'false_alarm' }, actor: { name: '96333', via: 'desk', role: 'desk' } } }]
          if (falseAlarm) return []
          if (c.role === 'maintenance' && c.reminder === missed && !answered) {
            answered = true
            return [{ afterMs: respondMin * MIN, event: { kind: 'action', action: { kind: 'responded' }, actor: tech } }, ...arriveThenRelease('maintenance', respondMin + travelMin)]
          }
          if (c.role === 'rescuer' && !c.reminder) return arriveThenRelease('rescuer', rescuerMin)
          return []
        })
        d.open(s.now(), (n) => openForAlarm({ id: `inc-${alarmId}`, elevator: e, policy: o.policy, now: n }, alarm))
        drivers.push(d)
        open.set(e.elevatorId, d)
      }, at)
    }
  }
  s.maxFrames = (days + 1) * 1440 * MIN
  s.flush()
  return { incidents: drivers.map((d) => d.incident), commands: drivers.flatMap((d) => d.commands.map((c) => c.value)), joined }
}
