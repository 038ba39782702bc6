// A fleet of simulated cars stepped together: varied buildings from one seed, passenger traffic,
// and an optional fault scenario on car 1.
import { registrationCode, type ControllerState } from '../protocol/index.ts'
import { controllerState, createCar, defaultCarSpec, step, topHeight, type CarInputs, type CarSpec, type CarState } from './model/index.ts'
import { createRng, nextRandom, traffic, type Rng } from './traffic.ts'
import type { UnitSource } from './unit.ts'
import type { WireBehaviour } from './modbus/device.ts'
import { scenarioTick, startScenario, type Scenario, type ScenarioCursor } from './scenario.ts'

export interface FleetOptions {
  elevators: number
  /** 6-digit region code, part of each car's registration code */
  region: string
  seed: number
  /** passenger traffic intensity 0…1 */
  traffic: number
  /** played on car 1 (index 0) */
  scenario?: Scenario
}

export interface SimCar {
  readonly index: number
  readonly elevatorId: string
  state: CarState
  view: ControllerState
  rng: Rng
  wire: WireBehaviour
  /** bumps when `view` or `wire` changes */
  version: number
  trips: number
}

const OK: WireBehaviour = { mode: 'ok' }

/** Building figures drawn from the seed: 6–33 storeys, common rated speeds, some cars without sensors. */
function drawnSpec(id: string, rng: Rng): [CarSpec, Rng] {
  const draws: number[] = []
  let r = rng
  for (let i = 0; i < 4; i++) { const [x, next] = nextRandom(r); draws.push(x); r = next }
  const [a, b, c, d] = draws as [number, number, number, number]
  const storeys = 6 + Math.floor(a * 28)
  const basements = Math.floor(b * 3)
  const landings = [
    ...Array.from({ length: basements }, (_, i) => ({ label: `B${basements - i}`, height: i * 3.5 })),
    ...Array.from({ length: storeys }, (_, i) => ({ label: String(i + 1), height: basements * 3.5 + i * 3 })),
  ]
  const ratedSpeed = [1.0, 1.5, 1.75, 2.5][Math.floor(c * 4)] ?? 1.75
  return [defaultCarSpec(id, {
    landings, ratedSpeed, mainLanding: basements, hasOccupancySensor: d > 0.2, hasLoadSensor: d > 0.1,
  }), r]
}

export type FleetCarOptions = Pick<FleetOptions, 'region' | 'seed' | 'scenario'>

/**
 * Car `index`'s id, spec and traffic stream. Car 1 is the car the scenario files are written for
 * (simulators/model/spec.ts's default, B1–12) unless its scenario brings a car of its own, so a
 * registry that describes a fleet stays true when car 1 plays a scenario; the others are drawn
 * from the seed.
 */
function fleetCar(opts: FleetCarOptions, index: number): { elevatorId: string; spec: CarSpec; rng: Rng } {
  const elevatorId = registrationCode('3110', opts.region, '202401', index + 1)
  const [drawn, rng] = drawnSpec(elevatorId, createRng((opts.seed * 7919 + index) >>> 0))
  if (index !== 0) return { elevatorId, spec: drawn, rng }
  const spec = opts.scenario ? { ...opts.scenario.car, id: elevatorId } : defaultCarSpec(elevatorId)
  return { elevatorId, spec, rng }
}

/** The car a fleet simulates as index `index` (unit id index + 1): what a registry must say of it. */
export function fleetCarSpec(opts: FleetCarOptions, index: number): CarSpec {
  return fleetCar(opts, index).spec
}

/** What the broker's registry records of a simulated car: landing labels, rated speed, travel. */
export function registryFigures(spec: CarSpec): { landings: string[]; ratedSpeed: number; travel: number } {
  return { landings: spec.landings.map((l) => l.label), ratedSpeed: spec.ratedSpeed, travel: topHeight(spec) }
}

export class Fleet {
  readonly cars: SimCar[]
  /** virtual seconds since the fleet was made */
  t = 0
  private cursor: ScenarioCursor | undefined

  constructor(private readonly opts: FleetOptions) {
    this.cars = Array.from({ length: opts.elevators }, (_, index) => {
      const { elevatorId, spec, rng } = fleetCar(opts, index)
      const state = createCar(spec)
      return { index, elevatorId, state, view: controllerState(state), rng, wire: OK, version: 0, trips: 0 }
    })
    this.cursor = opts.scenario ? startScenario() : undefined
  }

  advance(dt: number): void {
    for (const car of this.cars) {
      let played: CarInputs = {}
      let intensity = this.opts.traffic
      if (car.index === 0 && this.opts.scenario && this.cursor) {
        // a scenario car follows the scenario's own traffic setting, not the fleet's
        const tick = scenarioTick(this.opts.scenario, this.cursor, this.t)
        this.cursor = tick.cursor
        played = tick.inputs
        intensity = tick.cursor.traffic
        if (tick.cursor.wire !== car.wire) { car.wire = tick.cursor.wire; car.version++ }
      }
      let inputs: CarInputs = played
      if (intensity > 0) {
        const tick = traffic(car.state, car.state.spec, car.rng, dt, intensity)
        inputs = { ...tick.inputs, ...played, holdDoor: Boolean(tick.inputs.holdDoor || played.holdDoor) }
        car.rng = tick.rng
      }
      car.state = step(car.state, dt, inputs)
      const view = controllerState(car.state)
      if (!sameView(view, car.view)) {
        if (view.moving && !car.view.moving) car.trips++
        car.view = view
        car.version++
      }
    }
    this.t += dt
  }

  source(index: number): UnitSource {
    const car = this.cars[index]
    if (!car) throw new RangeError(`no car ${index}`)
    const spec = car.state.spec
    return {
      version: () => car.version,
      state: () => car.view,
      extras: () => ({ landings: spec.landings.length, ratedSpeed: spec.ratedSpeed, tripCount: car.trips, mainLanding: spec.mainLanding }),
      wire: () => car.wire,
    }
  }
}

function sameView(a: ControllerState, b: ControllerState): boolean {
  for (const k in a) if (a[k as keyof ControllerState] !== b[k as keyof ControllerState]) return false
  return true
}
