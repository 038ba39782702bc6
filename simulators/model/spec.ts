// What a simulated car is: its building, drive and door figures. Plain data, so scenario files
// can override any of it.
export interface Landing {
  readonly label: string
  /** metres above the lowest landing */
  readonly height: number
}

export interface CarSpec {
  readonly id: string
  /** lowest first, heights strictly ascending */
  readonly landings: readonly Landing[]
  readonly ratedSpeed: number
  readonly acceleration: number
  readonly doorOpeningTime: number
  readonly doorClosingTime: number
  readonly doorDwell: number
  /** persons */
  readonly capacity: number
  readonly hasOccupancySensor: boolean
  readonly hasLoadSensor: boolean
  /** landing index the car parks at and fire recall homes to */
  readonly mainLanding: number
  /** ± metres around a landing where the door may unlock */
  readonly doorZone: number
  /** level error (m) that starts a re-levelling run */
  readonly relevelThreshold: number
}

/** Figures a scenario may change while the car runs (wear, adjustment). */
export type TunableSpec = Partial<Pick<CarSpec, 'doorOpeningTime' | 'doorClosingTime' | 'doorDwell'>>

/** Twelve storeys above one basement: B1 at 0 m, lobby "1" 4 m above it, 3 m per storey after. */
export function defaultCarSpec(id: string, overrides: Partial<CarSpec> = {}): CarSpec {
  const landings: Landing[] = [{ label: 'B1', height: 0 }]
  for (let floor = 1; floor <= 12; floor++) landings.push({ label: String(floor), height: 4 + (floor - 1) * 3 })
  return {
    id,
    landings,
    ratedSpeed: 1.75,
    acceleration: 0.8,
    doorOpeningTime: 2.5,
    doorClosingTime: 3,
    doorDwell: 3,
    capacity: 13,
    hasOccupancySensor: true,
    hasLoadSensor: true,
    mainLanding: 1,
    doorZone: 0.2,
    relevelThreshold: 0.01,
    ...overrides,
  }
}

/** Every reason this spec cannot drive a car, as `<field>: <message>`; empty when usable. */
export function specProblems(spec: CarSpec): string[] {
  const problems: string[] = []
  const { landings } = spec
  if (landings.length < 2) problems.push('landings: needs at least two landings')
  landings.forEach((l, i) => {
    const below = landings[i - 1]
    if (below && l.height <= below.height) problems.push(`landings/${i}/height: must be above landing ${i - 1}`)
  })
  if (landings[0] && landings[0].height !== 0) problems.push('landings/0/height: the lowest landing is at 0 m')
  if (!Number.isInteger(spec.mainLanding) || spec.mainLanding < 0 || spec.mainLanding >= landings.length) {
    problems.push(`mainLanding: must be a landing index 0..${landings.length - 1}`)
  }
  for (const key of ['ratedSpeed', 'acceleration', 'doorOpeningTime', 'doorClosingTime', 'capacity', 'doorZone'] as const) {
    if (!(spec[key] > 0)) problems.push(`${key}: must be > 0`)
  }
  if (!(spec.doorDwell >= 0)) problems.push('doorDwell: must be ≥ 0')
  if (!(spec.relevelThreshold > 0 && spec.relevelThreshold < spec.doorZone)) {
    problems.push('relevelThreshold: must be > 0 and below doorZone')
  }
  return problems
}

export const topHeight = (spec: CarSpec): number => spec.landings[spec.landings.length - 1]?.height ?? 0

export const landingHeight = (spec: CarSpec, index: number): number => spec.landings[index]?.height ?? 0

/** Index of the landing nearest to a position (ties go to the lower one). */
export function nearestLanding(spec: CarSpec, position: number): number {
  let best = 0
  spec.landings.forEach((l, i) => {
    if (Math.abs(l.height - position) < Math.abs(landingHeight(spec, best) - position)) best = i
  })
  return best
}

export const inDoorZone = (spec: CarSpec, position: number): boolean =>
  Math.abs(landingHeight(spec, nearestLanding(spec, position)) - position) <= spec.doorZone + 1e-9
