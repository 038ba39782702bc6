// deploy/examples/registry.yaml describes the cars `liftwatch sim --elevators 2` simulates, as
// deploy/examples/gateway.yaml maps them (unit id → elevator): the same landings, rated speed and
// travel, so the example setup raises no floor_lost or overtravel on healthy cars.
import { describe, expect, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { loadRegistry } from '../broker/registry/registry.ts'
import { loadGatewayConfig } from '../gateway/config.ts'
import { fleetCarSpec, registryFigures } from '../simulators/fleet.ts'

const example = (f: string) => fileURLToPath(new URL(`../deploy/examples/${f}`, import.meta.url))

describe('deploy/examples/registry.yaml', () => {
  it('says of each car what the simulator simulates, under the gateway example\'s unit ids', () => {
    // liftwatch sim's defaults (simulators/main.ts --help): seed 1, region 330922
    const region = '330922', seed = 1
    const registry = loadRegistry(example('registry.yaml'))
    const gateway = loadGatewayConfig(example('gateway.yaml'))
    expect(gateway.elevators.map((e) => e.id).sort()).toEqual(registry.elevators.map((e) => e.id).sort())
    for (const e of gateway.elevators) {
      const entry = registry.elevator(e.id)!
      const simulated = registryFigures(fleetCarSpec({ region, seed }, e.unitId - 1))
      expect({ landings: [...entry.landings], ratedSpeed: entry.ratedSpeed, travel: entry.travel }, `unit ${e.unitId}`).toEqual(simulated)
    }
  })
})
