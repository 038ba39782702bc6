import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compile, ControllerStateSchema } from '../../protocol/index.ts'
import {
  CarSpecError, FAULT_CODES, FINAL_LIMIT, GARBAGE_FLOOR_INDEX, INSPECTION_SPEED, UCM_DISTANCE,
  controllerState, createCar, defaultCarSpec, inDoorZone, landingHeight, nearestLanding, step, topHeight,
  type CarInputs, type CarState,
} from '../../simulators/model/index.ts'
import { createRng, nextRandom, traffic } from '../../simulators/traffic.ts'

const spec = defaultCarSpec('test-car')
const DT = 0.1
const validState = compile(ControllerStateSchema)

/** Steps the car `seconds` long; `first` acts on the first tick only, `every` on each tick. */
function run(s: CarState, seconds: number, first: CarInputs = {}, every: CarInputs = {}, see?: (s: CarState, t: number) => void): CarState {
  let car = s
  const ticks = Math.round(seconds / DT)
  for (let i = 0; i < ticks; i++) {
    car = step(car, DT, i === 0 ? { ...every, ...first } : every)
    see?.(car, (i + 1) * DT)
  }
  return car
}

/** Runs until `done` holds (or fails after `limit` seconds); returns the car and the time taken. */
function until(s: CarState, done: (s: CarState) => boolean, limit = 120, every: CarInputs = {}): { car: CarState; t: number } {
  let car = s
  for (let t = 0; t < limit; t += DT) {
    if (done(car)) return { car, t }
    car = step(car, DT, every)
  }
  throw new Error(`condition not reached in ${limit} s`)
}

const view = (s: CarState) => controllerState(s)
const parkedAt = (landing: number): CarState => ({ ...createCar(spec), position: landingHeight(spec, landing) })

describe('createCar and defaultCarSpec', () => {
  it('parks level at the main landing, door closed, on mains, in normal service, as plain JSON data', () => {
    const car = createCar(spec)
    expect(spec.landings.map((l) => l.label)).toEqual(['B1', ...Array.from({ length: 12 }, (_, i) => String(i + 1))])
    expect(car.position).toBe(landingHeight(spec, spec.mainLanding))
    expect(view(car)).toMatchObject({ floor: '1', floorIndex: 1, door: 'closed', moving: false, mode: 'normal', power: 'mains', faultCode: 0 })
    expect(JSON.parse(JSON.stringify(car))).toEqual(car)
  })

  it('refuses a spec it cannot drive, naming every problem', () => {
    const bad = defaultCarSpec('bad', { landings: [{ label: '1', height: 0 }, { label: '2', height: -3 }], mainLanding: 7 })
    expect(() => createCar(bad)).toThrow(CarSpecError)
    try { createCar(bad) } catch (err) {
      expect((err as CarSpecError).code).toBe('LW_ERR_CAR_SPEC')
      expect((err as CarSpecError).problems).toEqual(expect.arrayContaining([expect.stringMatching(/^landings\/1\/height/), expect.stringMatching(/^mainLanding/)]))
    }
  })
})

describe('motion', () => {
  it('travels with a trapezoidal profile and stops level at the target landing', () => {
    const speeds: number[] = []
    let car = run(createCar(spec), 40, { carCalls: [12] }, {}, (s) => speeds.push(Math.abs(s.velocity)))
    expect(car.position).toBe(topHeight(spec))
    expect(view(car)).toMatchObject({ floor: '12', doorZone: true, moving: false })
    expect(Math.max(...speeds)).toBeCloseTo(spec.ratedSpeed, 6)
    const accel = speeds.slice(1).map((v, i) => Math.abs(v - speeds[i]!) / DT)
    // the braking curve may shave a little more than a·dt off in one tick, never much more
    expect(Math.max(...accel)).toBeLessThan(spec.acceleration * 1.5)
    car = run(car, 30, { carCalls: [0] })
    expect(car.position).toBe(0)
  })

  it('stops level whatever the time step', () => {
    for (const dt of [0.02, 0.25, 0.5]) {
      let car = step(createCar(spec), dt, { carCalls: [8] })
      for (let t = 0; t < 40; t += dt) car = step(car, dt)
      expect(car.position).toBe(landingHeight(spec, 8))
    }
  })

  it('answers calls by simple collective control: keeps direction while calls lie ahead, then reverses', () => {
    const stops: number[] = []
    let car = createCar(spec)
    car = run(car, 150, { carCalls: [9], hallCalls: [{ landing: 5, direction: 'up' }, { landing: 7, direction: 'down' }, { landing: 3, direction: 'down' }] }, {},
      (s) => { if (s.door === 'opening' && s.doorPos === 0) stops.push(nearestLanding(spec, s.position)) })
    expect(stops).toEqual([5, 9, 7, 3])
    expect(car.carCalls).toEqual([])
    expect(car.hallCalls).toEqual([])
  })

  it('takes a new call ahead on the way only if it can still stop for it', () => {
    let car = run(createCar(spec), 6, { carCalls: [12] })
    const at = car.position
    car = step(car, DT, { carCalls: [nearestLanding(spec, at + 1.6)], hallCalls: [{ landing: 10, direction: 'up' }] })
    const first = until(car, (s) => !s.trip && s.door !== 'closed').car
    expect(nearestLanding(spec, first.position)).toBe(10)
  })
})

describe('doors', () => {
  it('cycle opening → open → closing → closed in the spec times', () => {
    const seen: { door: string; t: number }[] = []
    run(createCar(spec), 12, { hallCalls: [{ landing: 1, direction: 'up' }] }, {}, (s, t) => {
      if (seen[seen.length - 1]?.door !== s.door) seen.push({ door: s.door, t })
    })
    expect(seen.map((x) => x.door)).toEqual(['opening', 'open', 'closing', 'closed'])
    const [opening, open, closing, closed] = seen.map((x) => x.t) as [number, number, number, number]
    expect(open - opening).toBeCloseTo(spec.doorOpeningTime, 0)
    expect(closing - open).toBeCloseTo(spec.doorDwell, 0)
    expect(closed - closing).toBeCloseTo(spec.doorClosingTime, 0)
  })

  it('reopen on an obstruction or a boarding passenger while closing', () => {
    let car = until(step(createCar(spec), DT, { hallCalls: [{ landing: 1, direction: 'up' }] }), (s) => s.door === 'closing').car
    car = step(run(car, 1), DT, { holdDoor: true })
    expect(car.door).toBe('opening')
    expect(car.reopens).toBe(1)
    car = run(until(car, (s) => s.door === 'closing').car, 1)
    car = step(car, DT, { board: 1 })
    expect(car.door).toBe('opening')
    expect(car.passengers).toBe(1)
  })

  it('held open by the door-open button for as long as it is held', () => {
    const car = run(createCar(spec), 60, { hallCalls: [{ landing: 1, direction: 'up' }] }, { holdDoor: true })
    expect(car.door).toBe('open')
    expect(run(car, 10).door).toBe('closed')
  })

  it('door faults: will not close, will not open, jams while opening', () => {
    const faults = { doorWontClose: true }
    let car = run(createCar(spec), 40, { hallCalls: [{ landing: 1, direction: 'up' }], carCalls: [5] }, { faults })
    expect(car.door).not.toBe('closed')
    expect(car.trip).toBe(false)
    expect(view(car).faultCode).toBe(FAULT_CODES.doorClose)

    car = run(createCar(spec), 30, { hallCalls: [{ landing: 4, direction: 'up' }] }, { faults: { doorWontOpen: true } })
    expect(view(car)).toMatchObject({ floor: '4', door: 'closed', doorZone: true, faultCode: FAULT_CODES.doorOpen })

    car = run(createCar(spec), 20, { hallCalls: [{ landing: 1, direction: 'up' }] }, { faults: { doorStuckOpening: true } })
    expect(view(car)).toMatchObject({ door: 'opening', faultCode: FAULT_CODES.doorOpen })
    expect(run(car, 10, { faults: {} }).door).toBe('closed')
  })
})

describe('re-levelling', () => {
  it('a loaded car sinks with rope stretch, then re-levels inside the door zone at ≤ 0.3 m/s with the door open', () => {
    let car = until(step(createCar(spec), DT, { hallCalls: [{ landing: 1, direction: 'up' }] }), (s) => s.door === 'open').car
    const level = car.position
    let lowest = level
    let relevelSpeed = 0
    car = run(car, 4, { board: 12 }, { holdDoor: true }, (s) => {
      lowest = Math.min(lowest, s.position)
      const v = view(s)
      if (s.relevelling) {
        relevelSpeed = Math.max(relevelSpeed, v.speed ?? 0)
        expect(v).toMatchObject({ doorZone: true, door: 'open', moving: true })
      }
    })
    // it sank until the error passed the threshold, then the drive caught it
    expect(level - lowest).toBeGreaterThan(spec.relevelThreshold * 0.9)
    expect(relevelSpeed).toBeGreaterThan(0)
    expect(relevelSpeed).toBeLessThanOrEqual(0.3)
    expect(Math.abs(car.position - level)).toBeLessThanOrEqual(spec.relevelThreshold)
    expect(view(car).load).toBeCloseTo((12 / 13) * 100, 1)
  })
})

describe('service modes', () => {
  it('inspection: ignores calls, door closed, moves only while a button is held, at ≤ 0.3 m/s, and stops at once', () => {
    let car = run(createCar(spec), 1, { mode: 'inspection', carCalls: [9] })
    car = run(car, 10, { carCalls: [9] })
    expect(car.position).toBe(landingHeight(spec, 1))
    const speeds: number[] = []
    car = run(car, 10, {}, { inspectionMove: 'up' }, (s) => speeds.push(view(s).speed ?? 0))
    expect(Math.max(...speeds)).toBeCloseTo(INSPECTION_SPEED, 6)
    expect(car.position).toBeCloseTo(landingHeight(spec, 1) + 10 * INSPECTION_SPEED, 1)
    car = step(car, DT, {})
    expect(view(car)).toMatchObject({ moving: false, door: 'closed', doorZone: false, mode: 'inspection' })
    // back in normal service the car returns to the nearest landing by itself and opens
    let opened = false
    car = run(car, 20, { mode: 'normal' }, {}, (s) => { opened ||= s.door === 'open' })
    expect(inDoorZone(spec, car.position)).toBe(true)
    expect(opened).toBe(true)
  })

  it('maintenance and out of service ignore calls', () => {
    for (const mode of ['maintenance', 'out_of_service'] as const) {
      const car = run(createCar(spec), 30, { mode, carCalls: [6], hallCalls: [{ landing: 9, direction: 'down' }] })
      expect(view(car)).toMatchObject({ floor: '1', moving: false, door: 'closed', mode })
    }
  })

  it('fire: a car running away from the main landing stops at the next landing, homes and parks with the door open', () => {
    let car = run(createCar(spec), 8, { carCalls: [12] })
    expect(car.velocity).toBeGreaterThan(0)
    const stops: number[] = []
    car = run(car, 60, { mode: 'fire' }, {}, (s) => { if (s.velocity === 0 && !s.trip) stops.push(nearestLanding(spec, s.position)) })
    expect(stops[0]).not.toBe(spec.mainLanding)
    expect(view(car)).toMatchObject({ floor: '1', door: 'open', mode: 'fire' })
    expect(run(car, 60).door).toBe('open')
  })

  it('fireman: car calls only, the door waits open until the next car call', () => {
    let car = run(createCar(spec), 20, { mode: 'fireman', hallCalls: [{ landing: 6, direction: 'down' }], carCalls: [4] })
    expect(view(car)).toMatchObject({ floor: '4', door: 'open' })
    car = run(car, 60)
    expect(car.door).toBe('open')
    expect(view(run(car, 40, { carCalls: [2] }))).toMatchObject({ floor: '2' })
  })

  it('emergency power and earthquake: to the nearest landing, open, stay', () => {
    for (const mode of ['emergency_power', 'earthquake'] as const) {
      let car = run(createCar(spec), 8, { carCalls: [12] })
      const from = car.position
      car = run(car, 60, { mode, carCalls: [10] })
      expect(view(car)).toMatchObject({ door: 'open', doorZone: true, moving: false, mode })
      expect(car.position).toBeGreaterThan(from)
      expect(car.position).toBeLessThan(from + 6)
    }
  })
})

describe('power', () => {
  it('off: the car stops at once where it is and the door stays as it is; battery rescue creeps to the nearest landing', () => {
    let car = run(createCar(spec), 5, { carCalls: [12] })
    const at = car.position
    car = run(car, 10, { power: 'off' })
    expect(car.position).toBe(at)
    expect(view(car)).toMatchObject({ moving: false, door: 'closed', power: 'off', faultCode: FAULT_CODES.powerLoss })
    let fastest = 0
    car = run(car, 30, { power: 'battery' }, {}, (s) => { fastest = Math.max(fastest, Math.abs(s.velocity)) })
    expect(fastest).toBeLessThanOrEqual(0.3)
    expect(view(car)).toMatchObject({ door: 'open', doorZone: true, power: 'battery' })
    expect(car.position).toBe(landingHeight(spec, nearestLanding(spec, at)))
  })
})

describe('faults', () => {
  it('stuck: emergency stop between floors, resumes the trip when cleared', () => {
    let car = run(createCar(spec), 5, { carCalls: [9] })
    const at = car.position
    car = run(car, 20, {}, { faults: { stuck: true } })
    expect(car.position).toBe(at)
    expect(view(car)).toMatchObject({ moving: false, doorZone: false, faultCode: FAULT_CODES.drive, safetyCircuit: true })
    car = run(car, 30, { faults: {} })
    expect(view(car)).toMatchObject({ floor: '9', faultCode: 0 })
  })

  it('safety circuit opens: a travelling car stops at once', () => {
    const car = run(run(createCar(spec), 5, { carCalls: [9] }), 5, {}, { faults: { safetyCircuitOpen: true } })
    expect(view(car)).toMatchObject({ moving: false, safetyCircuit: false, faultCode: FAULT_CODES.safetyCircuit })
  })

  it('overspeed: travels above rated speed; at 115 % the governor trips and the car is gripped', () => {
    let fastest = 0
    run(createCar(spec), 30, { carCalls: [12] }, { faults: { overspeed: 1.13 } }, (s) => { fastest = Math.max(fastest, Math.abs(s.velocity)) })
    expect(fastest).toBeCloseTo(1.13 * spec.ratedSpeed, 6)
    const car = run(createCar(spec), 30, { carCalls: [12] }, { faults: { overspeed: 1.25 } })
    expect(view(car)).toMatchObject({ moving: false, safetyCircuit: false, faultCode: FAULT_CODES.governor })
    expect(car.position).toBeLessThan(topHeight(spec) - 1)
  })

  it('overtravel: the car runs past a terminal landing and the final limit acts', () => {
    let car = run(createCar(spec), 40, { carCalls: [12] }, { faults: { overtravelTop: 0.5 } })
    expect(view(car)).toMatchObject({ upLimit: true, downLimit: false, safetyCircuit: false, position: topHeight(spec) + 0.5, faultCode: FAULT_CODES.upperFinalLimit })
    car = run(car, 20, { faults: {} })
    expect(view(car)).toMatchObject({ upLimit: false, floor: '12', doorZone: true })
    car = run(createCar(spec), 30, { carCalls: [0] }, { faults: { overtravelBottom: 0.4 } })
    expect(view(car)).toMatchObject({ downLimit: true, position: -0.4, faultCode: FAULT_CODES.lowerFinalLimit })
  })

  it('floor lost: garbage floor, unknown position, or a jump of more than a storey', () => {
    const car = parkedAt(5)
    expect(view(step(car, DT, { faults: { floorLost: 'garbage' } }))).toMatchObject({ floorIndex: GARBAGE_FLOOR_INDEX, faultCode: FAULT_CODES.positionLost })
    expect(view(step(car, DT, { faults: { floorLost: 'unknown_position' } })).position).toBeNull()
    const jumped = view(step(car, DT, { faults: { floorLost: 'jump' } }))
    expect(Math.abs((jumped.position ?? 0) - 16)).toBeGreaterThan(3)
    expect(jumped.floorIndex).not.toBe(5)
  })

  it('unintended movement: the car drifts with the door open until the UCMP device arrests it', () => {
    let car = until(step(createCar(spec), DT, { hallCalls: [{ landing: 1, direction: 'up' }] }), (s) => s.door === 'open').car
    let drift = 0
    car = run(car, 6, {}, { faults: { unintendedMovement: -0.5 } }, (s) => { drift = Math.max(drift, Math.abs(s.velocity)) })
    expect(drift).toBeCloseTo(0.5, 6)
    expect(car.position).toBeCloseTo(landingHeight(spec, 1) - UCM_DISTANCE, 6)
    expect(view(car)).toMatchObject({ moving: false, door: 'open', doorZone: false, faultCode: FAULT_CODES.unintendedMovement })
  })

  it('door opens while running outside the door zone', () => {
    let opened = false
    run(createCar(spec), 20, { carCalls: [10] }, { faults: { doorOpensWhileRunning: true } }, (s) => {
      const v = view(s)
      if (v.moving && !v.doorZone && v.door === 'open') opened = true
    })
    expect(opened).toBe(true)
  })

  it('controller fault: reports its code and starts no new trip', () => {
    const car = run(createCar(spec), 30, { carCalls: [7] }, { faults: { controllerFault: 81 } })
    expect(view(car)).toMatchObject({ floor: '1', faultCode: 81, moving: false })
  })

  it('level creep: the standing car sinks unseen by the drive (speed 0) and is re-levelled each time the error passes the threshold', () => {
    let moving = 0
    let starts = 0
    let lowest = Infinity
    run(createCar(spec), 60, {}, { faults: { levelCreep: 0.01 } }, (s, t) => {
      const v = view(s)
      if (v.moving && moving === 0) starts++
      moving = v.moving ? moving + 1 : 0
      if (t > 1) lowest = Math.min(lowest, s.position)
      expect(v).toMatchObject({ floor: '1', doorZone: true, door: 'closed', faultCode: 0 })
      expect(v.speed ?? 0).toBeLessThanOrEqual(0.05)
    })
    // 0.01 m sunk at 0.01 m/s, re-levelled at 0.05 m/s: a re-level about every 1.2 s, never more than the threshold low
    expect(starts).toBeGreaterThanOrEqual(40)
    expect(lowest).toBeGreaterThan(4 - spec.relevelThreshold - 0.002)
  })

  it('runaway: the trip never ends and the runtime limiter code appears', () => {
    const car = run(createCar(spec), 90, { carCalls: [12] }, { faults: { runaway: true } })
    expect(view(car)).toMatchObject({ moving: true, floor: '12', faultCode: FAULT_CODES.runtimeLimiter })
    expect(car.tripTime).toBeGreaterThan(80)
  })
})

describe('purity', () => {
  it('step never mutates its argument and gives the same result for the same input', () => {
    const deepFreeze = <T>(o: T): T => {
      if (o && typeof o === 'object') { Object.values(o).forEach(deepFreeze); Object.freeze(o) }
      return o
    }
    let car = run(createCar(spec), 3, { hallCalls: [{ landing: 1, direction: 'up' }] })
    for (const inputs of [{ board: 3, carCalls: [6] }, {}, { holdDoor: true }, { faults: { stuck: true } }, { mode: 'fire' as const }]) {
      const before = JSON.stringify(car)
      deepFreeze(car)
      const a = step(car, DT, deepFreeze(inputs))
      expect(JSON.stringify(car)).toBe(before)
      expect(step(car, DT, inputs)).toEqual(a)
      car = run(a, 2)
    }
  })
})

describe('controllerState', () => {
  it('fills every field, valid against the protocol schema, rounded to register resolution', () => {
    const car = run(createCar(spec), 7.3, { carCalls: [9] })
    const v = view(car)
    expect(Object.keys(v).sort()).toEqual(Object.keys(ControllerStateSchema.properties).sort())
    expect(validState(v).ok).toBe(true)
    expect(Math.round((v.position ?? 0) * 1000) / 1000).toBe(v.position)
    expect(Math.round((v.speed ?? 0) * 1000) / 1000).toBe(v.speed)
    expect(v.direction).toBe('up')
  })

  it('reports null occupancy and load when the car has no such sensor', () => {
    const bare = defaultCarSpec('bare', { hasOccupancySensor: false, hasLoadSensor: false })
    expect(view(createCar(bare))).toMatchObject({ occupied: null, load: null })
  })
})

describe('property: random calls', () => {
  const call = fc.oneof(
    fc.record({ at: fc.integer({ min: 0, max: 600 }), car: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ at: fc.integer({ min: 0, max: 600 }), hall: fc.integer({ min: 0, max: 12 }), up: fc.boolean() }),
    fc.record({ at: fc.integer({ min: 0, max: 600 }), board: fc.integer({ min: 1, max: 8 }) }),
  )

  it('the car stays in the shaft, never exceeds rated speed, opens only at landings and stops only level; every call is served', () => {
    fc.assert(fc.property(fc.array(call, { maxLength: 25 }), (calls) => {
      let car = createCar(spec)
      for (let tick = 0; tick < 1800; tick++) {
        const now = calls.filter((c) => c.at === tick)
        const inputs: CarInputs = {
          carCalls: now.flatMap((c) => ('car' in c ? [c.car] : [])),
          hallCalls: now.flatMap((c) => ('hall' in c ? [{ landing: c.hall, direction: c.up ? 'up' as const : 'down' as const }] : [])),
          board: now.reduce((n, c) => n + ('board' in c ? c.board : 0), 0),
          alight: tick % 97 === 0 ? 2 : 0,
        }
        const before = car
        car = step(car, DT, inputs)
        // rope stretch may lift a car at the top landing a few mm; never as far as a final limit
        if (car.position < -FINAL_LIMIT || car.position > topHeight(spec) + FINAL_LIMIT) return false
        if (Math.abs(car.velocity) > spec.ratedSpeed + 1e-9) return false
        // a door that is not closed means a stopped car (or a re-levelling one) in a door zone
        if (car.door !== 'closed' && (!inDoorZone(spec, car.position) || Math.abs(car.velocity) > 0.3)) return false
        // a trip ends level at a landing (rope stretch aside)
        if (before.trip && !car.trip && Math.abs(car.position - landingHeight(spec, nearestLanding(spec, car.position))) > 1e-9) return false
      }
      car = run(car, 600)
      return car.carCalls.length === 0 && car.hallCalls.length === 0 && !car.trip && car.door === 'closed'
    }), { numRuns: 40 })
  })
})

describe('traffic', () => {
  it('mulberry32: same seed, same numbers, all in [0, 1); the state goes in and out as data', () => {
    const rng = createRng(42)
    const draw = (r: typeof rng, n: number) => Array.from({ length: n }, () => { const [x, next] = nextRandom(r); r = next; return x })
    const a = draw(rng, 1000)
    expect(draw(createRng(42), 1000)).toEqual(a)
    expect(rng).toEqual({ state: 42 })
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true)
    expect(a.reduce((sum, x) => sum + x, 0) / a.length).toBeCloseTo(0.5, 1)
    expect(draw(createRng(43), 5)).not.toEqual(a.slice(0, 5))
  })

  it('makes a car look alive: calls, riders in and out, and nobody left inside a parked car', () => {
    let car = createCar(spec)
    let rng = createRng(7)
    let boarded = 0
    let trips = 0
    let parkedWithRiders = 0
    for (let i = 0; i < 36000; i++) {
      const tick = traffic(car, spec, rng, DT, 0.8)
      rng = tick.rng
      boarded += tick.inputs.board ?? 0
      const before = car
      car = step(car, DT, tick.inputs)
      if (car.trip && !before.trip) trips++
      if (!car.trip && car.door === 'closed' && car.passengers > 0 && car.carCalls.length === 0) parkedWithRiders++
    }
    expect(trips).toBeGreaterThan(100)
    expect(boarded).toBeGreaterThan(100)
    expect(parkedWithRiders).toBe(0)
    expect(traffic(car, spec, rng, DT, 0)).toEqual({ inputs: {}, rng })
  })
})
