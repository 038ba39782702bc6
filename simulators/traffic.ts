// Seeded passenger traffic so a simulated fleet looks alive. Pure: the RNG is plain data that
// goes in and comes back out, so the same seed gives the same day.
import { nearestLanding, type CarInputs, type CarSpec, type CarState, type HallCall } from './model/index.ts'

/** mulberry32 state: a 32-bit integer. */
export interface Rng {
  readonly state: number
}

export const createRng = (seed: number): Rng => ({ state: seed >>> 0 })

/** mulberry32 (Tommy Ettinger, public domain): a uniform float in [0, 1) and the next state. */
export function nextRandom(rng: Rng): [number, Rng] {
  const state = (rng.state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, { state }]
}

export interface TrafficTick {
  readonly inputs: CarInputs
  readonly rng: Rng
}

// Rates at intensity 1 (a busy office lift): a hall call about every 12 s; people step in
// during the first second a door stands open, and out at a stop until the car empties.
const HALL_CALLS_PER_S = 1 / 12
const BOARD_PER_S = 1.2
const ALIGHT_PER_S = 4
const RUN_IN_PER_S = 0.04
const BOARDING_WINDOW_S = 1

/** One tick of random hall calls, boarding and alighting passengers, and door holds. */
export function traffic(state: CarState, spec: CarSpec, rng: Rng, dt: number, intensity: number): TrafficTick {
  if (!(intensity > 0)) return { inputs: {}, rng }
  let r = rng
  const random = (): number => {
    const [x, next] = nextRandom(r)
    r = next
    return x
  }
  const chance = (perSecond: number): boolean => random() < 1 - Math.exp(-perSecond * dt)
  const pick = (n: number): number => Math.min(n - 1, Math.floor(random() * n))
  const here = nearestLanding(spec, state.position)

  const hallCalls: HallCall[] = []
  if (chance(HALL_CALLS_PER_S * intensity)) hallCalls.push(randomHallCall(spec, random, pick))

  let board = 0
  let alight = 0
  const carCalls: number[] = []
  const stopped = state.velocity === 0 && !state.trip
  if (stopped && state.door === 'open') {
    // everyone leaves at the last requested stop, so a parked car is never left occupied
    if (state.passengers > 0 && (state.carCalls.length === 0 || chance(ALIGHT_PER_S))) alight = 1
    const fresh = state.dwell > spec.doorDwell - BOARDING_WINDOW_S
    if (fresh && state.passengers < spec.capacity && chance(BOARD_PER_S * intensity)) {
      board = 1
      carCalls.push(destination(spec, here, random, pick))
    }
  }
  let holdDoor = false
  if (stopped && state.door === 'closing' && state.passengers < spec.capacity && chance(RUN_IN_PER_S * intensity)) {
    // someone runs for the closing door and gets in
    holdDoor = true
    board = 1
    carCalls.push(destination(spec, here, random, pick))
  }
  const inputs: CarInputs = {
    ...(hallCalls.length ? { hallCalls } : {}),
    ...(carCalls.length ? { carCalls } : {}),
    ...(board ? { board } : {}),
    ...(alight ? { alight } : {}),
    ...(holdDoor ? { holdDoor } : {}),
  }
  return { inputs, rng: r }
}

/** Most trips start at the main landing going up; the rest head back towards it. */
function randomHallCall(spec: CarSpec, random: () => number, pick: (n: number) => number): HallCall {
  const last = spec.landings.length - 1
  const main = spec.mainLanding
  if (random() < 0.4 && main < last) return { landing: main, direction: 'up' }
  const landing = pick(spec.landings.length)
  if (landing === last) return { landing, direction: 'down' }
  if (landing === 0) return { landing, direction: 'up' }
  const towardsMain = landing > main ? 'down' : 'up'
  return { landing, direction: random() < 0.8 ? towardsMain : towardsMain === 'up' ? 'down' : 'up' }
}

/** Riders from the main landing go anywhere; others mostly go back to the main landing. */
function destination(spec: CarSpec, here: number, random: () => number, pick: (n: number) => number): number {
  if (here !== spec.mainLanding && random() < 0.7) return spec.mainLanding
  const others = spec.landings.map((_, i) => i).filter((i) => i !== here)
  return others[pick(others.length)] ?? spec.mainLanding
}
