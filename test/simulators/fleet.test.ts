import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import ModbusSerial from 'modbus-serial'
import { ControllerStateSchema, decode, emptyImage, liftwatchRef } from '../../protocol/index.ts'
import { compile } from '../../protocol/validate.ts'
import { Fleet } from '../../simulators/fleet.ts'
import { planListeners } from '../../simulators/app.ts'
import { SCENARIO_DIR, checkExpectations, loadScenario, type ScenarioFrame } from '../../simulators/scenario.ts'
import { startCli } from '../helpers/cli.ts'

const ModbusRTU = ModbusSerial.default
const validState = compile(ControllerStateSchema)

describe('fleet', () => {
  it('an hour of 60 cars with traffic: cars travel, every state is valid telemetry', () => {
    const fleet = new Fleet({ elevators: 60, region: '330922', seed: 3, traffic: 0.6 })
    const invalid: string[] = []
    for (let t = 0; t < 3600; t += 0.5) {
      fleet.advance(0.5)
      if (t % 60 === 0) for (const car of fleet.cars) {
        const r = validState(car.view)
        if (!r.ok) invalid.push(`${car.elevatorId}: ${JSON.stringify(r.problems)}`)
      }
    }
    expect(invalid).toEqual([])
    const trips = fleet.cars.map((c) => c.trips)
    expect(Math.min(...trips)).toBeGreaterThan(10)
    expect(new Set(fleet.cars.map((c) => c.state.spec.landings.length)).size).toBeGreaterThan(5)
    expect(fleet.cars[59]!.elevatorId).toBe('31103309222024010060')
  })

  it('the same seed gives the same fleet', () => {
    const a = new Fleet({ elevators: 5, region: '330922', seed: 9, traffic: 0.5 })
    const b = new Fleet({ elevators: 5, region: '330922', seed: 9, traffic: 0.5 })
    for (let i = 0; i < 600; i++) { a.advance(0.1); b.advance(0.1) }
    expect(a.cars.map((c) => c.view)).toEqual(b.cars.map((c) => c.view))
  })

  it.each(['entrapment', 'wire-exception', 'power_failure'])('plays scenario %s on car 1 as the scenario runner does', (name) => {
    const sc = loadScenario(join(SCENARIO_DIR, `${name}.yaml`))
    const fleet = new Fleet({ elevators: 3, region: '330922', seed: 1, traffic: 0.5, scenario: sc })
    const frames: ScenarioFrame[] = []
    const dt = 0.1
    for (let tick = 0; tick * dt < Math.min(sc.duration, 600); tick++) {
      const car = fleet.cars[0]!
      frames.push({ t: Math.round(tick * dt * 1e6) / 1e6, state: car.view, wire: car.wire, car: car.state })
      fleet.advance(dt)
    }
    expect(checkExpectations({ ...sc, expect: sc.expect.filter((e) => (e.at ?? e.during?.[1] ?? 0) < 600) }, frames)).toEqual([])
  })

  it('spreads cars over ports: 247 unit ids per port, or one port per car', () => {
    expect(planListeners(500, false).map((p) => p.length)).toEqual([247, 247, 6])
    expect(planListeners(3, true)).toEqual([[0], [1], [2]])
  })
})

describe('liftwatch sim --elevators 500', () => {
  it('serves 500 cars from one process', async () => {
    const sim = startCli(['sim', '--elevators', '500', '--port', '0', '--traffic', '0.5'])
    try {
      const ready = await sim.waitFor('simulator listening') as { tcp: { port: number; units: { unitId: number; elevatorId: string }[] }[] }
      expect(ready.tcp.map((l) => l.units.length)).toEqual([247, 247, 6])
      expect(ready.tcp[2]!.units[5]).toEqual({ unitId: 6, elevatorId: '31103309222024010500' })
      const client = new ModbusRTU()
      await client.connectTCP('127.0.0.1', { port: ready.tcp[2]!.port })
      client.setTimeout(2000)
      client.setID(6)
      const img = emptyImage()
      img.input = (await client.readInputRegisters(0, 32)).data
      img.holding = (await client.readHoldingRegisters(0, 8)).data
      const car = decode(liftwatchRef, img)
      expect(car.landings).toBeGreaterThanOrEqual(6)
      expect(car.floorIndex).toBeLessThan(car.landings as number)
      await new Promise<void>((resolve) => client.close(() => resolve()))
    } finally {
      expect(await sim.stop()).toBe(0)
    }
  })
})

describe('the demo scenario (deploy/demo/entrapments.yaml)', () => {
  it('traps a passenger between floors in each four-minute cycle and frees them', async () => {
    const { runScenario } = await import('../../simulators/scenario.ts')
    const sc = loadScenario(new URL('../../deploy/demo/entrapments.yaml', import.meta.url).pathname)
    const twoCycles = { ...sc, duration: 500, steps: sc.steps.filter((s) => s.at <= 500) }
    expect(checkExpectations(twoCycles, runScenario(twoCycles))).toEqual([])
  })
})
