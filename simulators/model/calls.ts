// Simple collective control: keep the service direction while calls lie ahead, stop for car
// calls and same-direction hall calls on the way, then reverse.
import type { CarInputs, CarState, HallCall, ServiceDirection, TravelDirection } from './state.ts'
import { landingHeight, type CarSpec } from './spec.ts'

const EPS = 1e-6

type Calls = Pick<CarState, 'carCalls' | 'hallCalls'>

/** New calls joined to the pending ones; calls to landings that do not exist are dropped. */
export function registerCalls(calls: Calls, inputs: CarInputs, landings: number): Calls {
  if (!inputs.carCalls?.length && !inputs.hallCalls?.length) return calls
  const valid = (i: number) => Number.isInteger(i) && i >= 0 && i < landings
  let carCalls = calls.carCalls
  for (const i of inputs.carCalls ?? []) {
    if (valid(i) && !carCalls.includes(i)) carCalls = [...carCalls, i].sort((a, b) => a - b)
  }
  let hallCalls = calls.hallCalls
  for (const c of inputs.hallCalls ?? []) {
    // a terminal landing has only one hall button
    const noButton = (c.direction === 'up' && c.landing === landings - 1) || (c.direction === 'down' && c.landing === 0)
    if (valid(c.landing) && !noButton && !hasHall(hallCalls, c.landing, c.direction)) {
      hallCalls = [...hallCalls, { landing: c.landing, direction: c.direction }]
    }
  }
  return { carCalls, hallCalls }
}

const hasHall = (hallCalls: readonly HallCall[], landing: number, dir: TravelDirection): boolean =>
  hallCalls.some((c) => c.landing === landing && c.direction === dir)

const callAt = (c: Calls, i: number): boolean => c.carCalls.includes(i) || c.hallCalls.some((h) => h.landing === i)

function callsBeyond(c: Calls, landing: number, dir: TravelDirection): boolean {
  const beyond = (i: number) => (dir === 'up' ? i > landing : i < landing)
  return c.carCalls.some(beyond) || c.hallCalls.some((h) => beyond(h.landing))
}

export const hasCalls = (c: Calls): boolean => c.carCalls.length > 0 || c.hallCalls.length > 0

/** The direction to serve from a stop at `landing`. */
export function decideDirection(c: Calls, current: ServiceDirection, landing: number): ServiceDirection {
  const wantsUp = callsBeyond(c, landing, 'up') || hasHall(c.hallCalls, landing, 'up')
  const wantsDown = callsBeyond(c, landing, 'down') || hasHall(c.hallCalls, landing, 'down')
  if (current === 'down') return wantsDown ? 'down' : wantsUp ? 'up' : 'none'
  if (current === 'none') {
    // someone standing at this landing is served before anyone further away
    if (hasHall(c.hallCalls, landing, 'up')) return 'up'
    if (hasHall(c.hallCalls, landing, 'down')) return 'down'
  }
  return wantsUp ? 'up' : wantsDown ? 'down' : 'none'
}

export interface Served extends Calls {
  readonly dir: ServiceDirection
  /** a call was answered here, so the door opens */
  readonly served: boolean
}

/** Answer the calls at `landing` for the direction the car will leave in. */
export function serveLanding(c: Calls, current: ServiceDirection, landing: number): Served {
  if (!hasCalls(c)) return { carCalls: c.carCalls, hallCalls: c.hallCalls, dir: 'none', served: false }
  const dir = decideDirection(c, current, landing)
  const answers = (h: HallCall) => h.landing === landing && (dir === 'none' || h.direction === dir)
  const carCalls = c.carCalls.filter((i) => i !== landing)
  const hallCalls = c.hallCalls.filter((h) => !answers(h))
  const served = carCalls.length !== c.carCalls.length || hallCalls.length !== c.hallCalls.length
  return { carCalls, hallCalls, dir, served }
}

/**
 * The landing to travel to in `dir` from `position`, never nearer than `boundary` (where the car
 * can still stop). Nearest car call or same-direction hall call first; otherwise the furthest
 * opposite hall call, where the car will reverse.
 */
export function pickTarget(spec: CarSpec, c: Calls, dir: TravelDirection, position: number, boundary: number): number | null {
  const ahead: number[] = []
  spec.landings.forEach((l, i) => {
    // the landing the car stands at (within its door zone) is answered by opening, not by a trip
    const beyondCar = dir === 'up' ? l.height > position + spec.doorZone : l.height < position - spec.doorZone
    const reachable = dir === 'up' ? l.height >= boundary - EPS : l.height <= boundary + EPS
    if (beyondCar && reachable) ahead.push(i)
  })
  if (dir === 'down') ahead.reverse()
  const opposite: TravelDirection = dir === 'up' ? 'down' : 'up'
  const same = ahead.find((i) => c.carCalls.includes(i) || hasHall(c.hallCalls, i, dir))
  if (same !== undefined) return same
  const reversals = ahead.filter((i) => hasHall(c.hallCalls, i, opposite))
  return reversals.length > 0 ? (reversals[reversals.length - 1] ?? null) : null
}

/** Nearest landing ahead in `dir` the car can still stop at from speed `speed`. */
export function nextStoppable(spec: CarSpec, position: number, speed: number, dir: TravelDirection): number | null {
  const boundary = position + (dir === 'up' ? 1 : -1) * stoppingDistance(spec, speed)
  const order = spec.landings.map((_, i) => i)
  if (dir === 'down') order.reverse()
  const found = order.find((i) => {
    const h = landingHeight(spec, i)
    return dir === 'up' ? h >= boundary - EPS : h <= boundary + EPS
  })
  return found ?? null
}

/** Braking distance from `speed`, with a tenth of a second's travel to spare for discrete steps. */
export const stoppingDistance = (spec: CarSpec, speed: number): number => (speed * speed) / (2 * spec.acceleration) + speed * 0.1

export { callAt }
