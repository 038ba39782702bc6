// One ordinary day of a county's fleet, as data: 50 cars on five sites (one gateway each), every
// car a Scenario of its own — seeded passenger traffic following the hours of its site, door
// holds that are part of normal use, and on two cars a technician's inspection visit. Pure:
// the same seed gives the same day.
import type { ElevatorFacts } from '../../../detectors/runtime/types.ts'
import { registrationCode } from '../../../protocol/index.ts'
import { defaultCarSpec, type CarSpec, type Landing } from '../../../simulators/model/index.ts'
import type { Scenario, ScenarioSet, ScenarioStep } from '../../../simulators/scenario.ts'
import { createRng, nextRandom, type Rng } from '../../../simulators/traffic.ts'
import { factsOf } from '../../detectors/harness.ts'

export const REGION = '330922'
export const DAY_S = 86_400
const H = 3600

/** Mean traffic intensity from each hour on, at a site's busiest car (1 = a hall call every 12 s). */
type Timetable = readonly (readonly [hour: number, intensity: number])[]

// Night very light, rush hours 07:30–09:00 and 17:30–19:00 heavy, a lunch peak, a light evening.
// Most of a county's lifts are residential, 150–250 trips a day; the office tower is the busiest.
const RESIDENTIAL: Timetable = [[0, 0.002], [6, 0.015], [7.5, 0.1], [9, 0.025], [11.5, 0.05], [13.5, 0.025], [17.5, 0.1], [19, 0.04], [22, 0.01]]
const OFFICE: Timetable = [[0, 0.001], [6.5, 0.008], [7.5, 0.2], [9, 0.03], [11.5, 0.1], [13.5, 0.03], [17.5, 0.16], [19, 0.012], [22, 0.002]]
const HOSPITAL: Timetable = [[0, 0.007], [6, 0.025], [7.5, 0.1], [9, 0.07], [11.5, 0.085], [13.5, 0.07], [17.5, 0.085], [19, 0.04], [22, 0.015]]
const MALL_HOTEL: Timetable = [[0, 0.002], [7, 0.015], [7.5, 0.06], [9, 0.04], [11.5, 0.1], [13.5, 0.05], [17.5, 0.1], [19, 0.07], [22, 0.01]]

interface Site {
  readonly gatewayId: string
  readonly name: string
  readonly timetable: Timetable
  readonly cars: readonly Omit<CarSpec, 'id'>[]
}

/** B1 (if any) at 0 m, the lobby "1" 4 m up, then `storey` metres per floor. */
function landings(floors: number, basement: boolean, storey = 3): Pick<CarSpec, 'landings' | 'mainLanding'> {
  const out: Landing[] = basement ? [{ label: 'B1', height: 0 }] : []
  const lobby = basement ? 4 : 0
  for (let f = 1; f <= floors; f++) out.push({ label: String(f), height: lobby + (f - 1) * storey })
  return { landings: out, mainLanding: basement ? 1 : 0 }
}

const car = (o: Partial<CarSpec>): Omit<CarSpec, 'id'> => {
  const { id: _, ...spec } = defaultCarSpec('x', o)
  return spec
}
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i))

const SITES: readonly Site[] = [
  {
    // 8 towers × 2 cars, 1000 kg; half have a garage level
    gatewayId: 'gw-haidao-01', name: 'residential compound', timetable: RESIDENTIAL,
    cars: times(16, (i) => car({
      ...landings(i % 4 < 2 ? 11 : 18, i % 2 === 0), ratedSpeed: i % 4 < 2 ? 1.5 : 1.75,
      doorOpeningTime: 2.5, doorClosingTime: 3, doorDwell: 3 + (i % 3) * 0.5, capacity: 13,
    })),
  },
  {
    // lifts retrofitted into walk-ups: 630 kg, 1 m/s, retrofit sensors without load or occupancy
    gatewayId: 'gw-jiezi-02', name: 'retrofitted walk-ups', timetable: RESIDENTIAL,
    cars: times(8, (i) => car({
      ...landings(6 + (i % 3), false), ratedSpeed: 1.0, doorOpeningTime: 2, doorClosingTime: 2.5, doorDwell: 2.5,
      capacity: 8, hasLoadSensor: false, hasOccupancySensor: i % 2 === 0,
    })),
  },
  {
    gatewayId: 'gw-tower-03', name: 'office tower', timetable: OFFICE,
    cars: times(10, (i) => car({
      ...landings(28, true, 3.6), ratedSpeed: i < 6 ? 2.5 : 2.0, acceleration: 1.0,
      doorOpeningTime: 2.2, doorClosingTime: 2.8, doorDwell: 2.5, capacity: 18, relevelThreshold: 0.005,
    })),
  },
  {
    // four bed lifts with slow, wide doors and a long dwell, four passenger lifts
    gatewayId: 'gw-yiyuan-04', name: 'hospital', timetable: HOSPITAL,
    cars: times(8, (i) => car({
      ...landings(12, true, 4.2), ratedSpeed: i < 4 ? 1.5 : 1.75,
      doorOpeningTime: i < 4 ? 4 : 2.5, doorClosingTime: i < 4 ? 4.5 : 3, doorDwell: i < 4 ? 6 : 3, capacity: i < 4 ? 21 : 13,
      // a bed must roll in level: the bed lifts re-level at 4 mm
      relevelThreshold: i < 4 ? 0.004 : 0.008,
    })),
  },
  {
    gatewayId: 'gw-gangcheng-05', name: 'mall and hotel', timetable: MALL_HOTEL,
    cars: times(8, (i) => car(i < 4
      ? { ...landings(6, true, 5), ratedSpeed: 1.0, doorOpeningTime: 3, doorClosingTime: 3.5, doorDwell: 4, capacity: 16 }
      : { ...landings(20, false), ratedSpeed: 2.0, doorOpeningTime: 2.5, doorClosingTime: 3, doorDwell: 3, capacity: 13, relevelThreshold: 0.006 })),
  },
]

/** Someone holds the door open (the door-open button, a trolley in the doorway) and riders with a load step in. */
export interface Hold {
  /** seconds of the day */
  readonly from: number
  readonly to: number
  /** people who step in with the load 5 s after the hold begins, and the landing they ride to */
  readonly riders: number
  readonly landing: number
}

export interface DayCar {
  readonly sc: Scenario
  readonly who: { readonly elevatorId: string; readonly region: string; readonly gatewayId: string }
  /** what the registry knows of the car, for the detectors */
  readonly facts: ElevatorFacts
}

/** Door held 30–90 s (furniture, a pram, a bed) this many times a day, at random daytime minutes. */
const HOLDS_PER_CAR = [0, 1, 1, 2, 3] as const
const BED_HOLDS_PER_CAR = 5
/** removal crews prop the door for longer than door_open_too_long's 120 s: a minor alarm each */
export const LONG_HOLDS = [{ car: 5, at: 10.25 * H, seconds: 150 }, { car: 44, at: 15.5 * H, seconds: 200 }] as const
/** car index → start of a 30-minute inspection visit */
export const INSPECTIONS = [{ car: 27, at: 14 * H }, { car: 3, at: 15.2 * H }] as const
/** no new passengers this long before the inspection switch, so the car serves its calls and empties */
const INSPECTION_LEAD_S = 180
const INSPECTION_S = 1800

export function fleetDay(seed = 20240603): DayCar[] {
  let rng: Rng = createRng(seed)
  const random = (): number => {
    const [x, next] = nextRandom(rng)
    rng = next
    return x
  }
  const out: DayCar[] = []
  let n = 0
  for (const site of SITES) {
    for (const spec of site.cars) {
      const index = n++
      // 3110 traction passenger lift, registered some month of 2010–2022
      const registered = `${2010 + (index % 13)}${String(1 + (index % 12)).padStart(2, '0')}`
      const elevatorId = registrationCode('3110', REGION, registered, index + 1)
      // cars of one site are not equally used: the busiest gets the timetable, others less
      const use = 0.6 + 0.4 * random()
      const visit = INSPECTIONS.find((v) => v.car === index)
      const inspection = visit ? [visit.at, visit.at + INSPECTION_S] as const : null
      const hold = (from: number, seconds: number): Hold =>
        ({ from, to: from + seconds, riders: 1 + Math.floor(random() * 4), landing: Math.floor(random() * spec.landings.length) })
      const holds: Hold[] = []
      const bedLift = spec.capacity >= 21
      for (let k = bedLift ? BED_HOLDS_PER_CAR : HOLDS_PER_CAR[Math.floor(random() * HOLDS_PER_CAR.length)] ?? 0; k > 0; k--) {
        const h = hold(Math.round(8 * H + random() * 12 * H), 30 + Math.round(random() * 60))
        // not while the technician has the car
        if (!inspection || h.to < inspection[0] - INSPECTION_LEAD_S || h.from > inspection[1] + 60) holds.push(h)
      }
      for (const l of LONG_HOLDS) if (l.car === index) holds.push(hold(l.at, l.seconds))
      const sc = scenario(elevatorId, { ...spec, id: elevatorId }, site, use, holds, inspection, random)
      out.push({ sc, who: { elevatorId, region: REGION, gatewayId: site.gatewayId }, facts: factsOf(sc) })
    }
  }
  return out
}

/**
 * People come in small groups: traffic() at GROUP_INTENSITY for GROUP_S, quiet in between, the
 * groups as often as the timetable's intensity asks. traffic() boards a waiting passenger with a
 * chance that grows with the intensity (70 % at 1, 11 % at 0.1), so a steady low intensity would
 * make most trips empty runs to calls nobody takes.
 */
const GROUP_INTENSITY = 0.8
const GROUP_S = 20
/** between groups: riders still leave at their floor (traffic() does that only while > 0), nobody new comes */
const QUIET = 1e-4

function groups(site: Site, use: number, random: () => number): { at: number; intensity: number }[] {
  const out: { at: number; intensity: number }[] = []
  site.timetable.forEach(([hour, v], i) => {
    const from = hour * H
    const to = (site.timetable[i + 1]?.[0] ?? 24) * H
    const busy = (v * use) / GROUP_INTENSITY
    if (busy >= 1) return void out.push({ at: from, intensity: v * use })
    out.push({ at: from, intensity: QUIET })
    // quiet gaps exponential, with the mean that makes the groups fill `busy` of the time
    const gap = () => -Math.log(1 - random()) * GROUP_S * (1 / busy - 1)
    for (let t = from + gap(); t < to; t += GROUP_S + gap()) {
      out.push({ at: t, intensity: GROUP_INTENSITY })
      out.push({ at: Math.min(t + GROUP_S, to), intensity: QUIET })
    }
  })
  return out
}

function scenario(name: string, spec: CarSpec, site: Site, use: number, holds: readonly Hold[],
  inspection: readonly [number, number] | null, random: () => number): Scenario {
  const steps: ScenarioStep[] = []
  const at = (t: number, set: ScenarioSet) => steps.push({ at: t, set })
  for (const t of groups(site, use, random)) {
    // no new passengers while the technician has the car
    if (!inspection || t.at < inspection[0] - INSPECTION_LEAD_S || t.at > inspection[1] + 60) at(t.at, { traffic: t.intensity })
  }
  for (const h of holds) {
    at(h.from, { holdDoor: true })
    // the riders press their floor; if the door is not open yet (the car was on its way) they
    // wait for the next car and only the call stays
    at(h.from + 5, { board: h.riders, carCalls: [h.landing] })
    at(h.to, { holdDoor: false })
  }
  if (inspection) {
    const [from, to] = inspection
    // as simulators/scenarios/inspection-visit.yaml: inching at inspection speed, stops between
    // floors with the door closed, then back to normal, where the car levels at a landing by itself
    at(from - INSPECTION_LEAD_S, { traffic: QUIET })
    at(from, { mode: 'inspection' })
    at(from + 60, { inspectionMove: 'down' })
    at(from + 80, { inspectionMove: 'stop' })
    at(from + 400, { inspectionMove: 'up' })
    at(from + 440, { inspectionMove: 'stop' })
    at(from + 900, { inspectionMove: 'down' })
    at(from + 905, { inspectionMove: 'stop' })
    at(to, { mode: 'normal' })
  }
  steps.sort((a, b) => a.at - b.at)
  return {
    name,
    description: { zh: '模拟一天', en: `a simulated day: ${site.name}` },
    car: spec,
    seed: Math.floor(random() * 2 ** 32),
    duration: DAY_S,
    steps,
    expect: [],
    alarms: [],
  }
}
