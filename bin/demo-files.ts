// What `liftwatch demo` runs, as data: the simulated fleet, the broker's config with a registry
// that describes each car exactly as the simulator simulates it, the gateways' configs, and when
// the scenario's first entrapment is detected. Pure apart from reading the scenario file, so the
// demo's virtual-time test (test/demo-alarms.test.ts) runs the very same fleet and registry.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { registrationCode } from '../protocol/index.ts'
import { fleetCarSpec, registryFigures, type FleetOptions } from '../simulators/fleet.ts'
import { loadScenario, runScenario, type Scenario } from '../simulators/scenario.ts'
import { entrapment } from '../detectors/entrapment.ts'

export const DEMO_SCENARIO = fileURLToPath(new URL('../deploy/demo/entrapments.yaml', import.meta.url))
export const REGION = '330922'
export const CARS = 20
export const GATEWAYS = 4
export const SEED = 1
export const TRAFFIC = 0.3
const STREETS = ['沙河路', '海滨路', '东海路', '金平路']
// scope (broker/accounts/scope.ts): the first half of the fleet in one township, the rest in
// another, so a township officer of one sees none of the other's; two maintenance units
export const TOWNSHIPS = [
  { code: '330922100', name: '菜园镇', villages: ['330922100001', '330922100002'] },
  { code: '330922101', name: '嵊山镇', villages: ['330922101001', '330922101002'] },
] as const
export const MAINTENANCE_ORGS = ['zs-lift-service', 'sx-elevator-maint'] as const
const townshipOf = (i: number) => TOWNSHIPS[i < CARS / 2 ? 0 : 1]

export interface DemoPorts { http: number; mqtt: number; modbus: number }

/** The fleet `liftwatch sim` runs for the demo; simArgs() passes the same figures on its command line. */
export function demoFleet(scenario: Scenario = loadScenario(DEMO_SCENARIO)): FleetOptions {
  return { elevators: CARS, region: REGION, seed: SEED, traffic: TRAFFIC, scenario }
}

export function simArgs(fleet: FleetOptions, modbusPort: number, scenarioFile = DEMO_SCENARIO): string[] {
  return ['sim', '--elevators', String(fleet.elevators), '--port', String(modbusPort), '--region', fleet.region,
    '--seed', String(fleet.seed), '--traffic', String(fleet.traffic), '--scenario', scenarioFile]
}

export const gatewayOf = (i: number): string => `gw-demo-${String(Math.floor(i / (CARS / GATEWAYS)) + 1).padStart(2, '0')}`
export const gatewayIds = (): string[] => Array.from({ length: GATEWAYS }, (_, g) => `gw-demo-${String(g + 1).padStart(2, '0')}`)

/** The broker registry: every car with the landings, rated speed and travel it is simulated with. */
const DAY = 86_400_000
/** the next periodic inspection of car `i`, as the registry writes it (China Standard Time) */
function inspectionDate(i: number, now: number): string {
  const days = i % 7 === 3 ? -10 : i % 5 === 1 ? 20 : 60 + ((i * 37) % 280)
  return new Date(now + days * DAY + 8 * 3_600_000).toISOString().slice(0, 10)
}

export function demoRegistry(fleet: FleetOptions, now = Date.now()): { elevators: Record<string, unknown>[] } {
  return {
    elevators: Array.from({ length: fleet.elevators }, (_, i) => {
      const id = registrationCode('3110', fleet.region, '202401', i + 1)
      const t = townshipOf(i)
      return {
        id, registrationCode: id, rescueCode: String(33001 + i), region: fleet.region,
        address: `嵊泗县${t.name}${STREETS[i % STREETS.length]} ${10 + Math.floor(i / 2)} 号`, building: `${Math.floor(i / 2) + 1}号楼 ${(i % 2) + 1}单元`,
        ...registryFigures(fleetCarSpec(fleet, i)), gatewayId: gatewayOf(i),
        // a region other than the demo's has no such townships: region only
        ...(fleet.region === REGION ? { township: t.code, village: t.villages[Math.floor(i / 2) % 2] } : {}),
        maintenance: MAINTENANCE_ORGS[Math.floor(i / 4) % 2], property: `wy-${Math.floor(i / 4) + 1}`,
        // records (docs/records.md): one car in seven overdue for its inspection, one in five due within the month
        nextInspection: inspectionDate(i, now), inServiceSince: String(2004 + ((i * 7) % 21)),
      }
    }),
  }
}

export function demoBrokerConfig(fleet: FleetOptions, ports: DemoPorts, dir: string, users: Record<string, { role: string; hash: string }>): Record<string, unknown> {
  return {
    mqtt: { listeners: { tcp: { host: '127.0.0.1', port: ports.mqtt } }, users },
    http: { host: '127.0.0.1', port: ports.http },
    registry: demoRegistry(fleet),
    alarms: { path: join(dir, 'alarms.db') },
    telemetry: { sqlite: { path: join(dir, 'telemetry.db'), retentionDays: 7 } },
  }
}

export function demoGatewayConfig(fleet: FleetOptions, gw: string, password: string, ports: DemoPorts, dir: string): Record<string, unknown> {
  const mine = Array.from({ length: fleet.elevators }, (_, i) => i).filter((i) => gatewayOf(i) === gw)
  return {
    gateway: { id: gw, region: fleet.region },
    mqtt: { url: `mqtt://127.0.0.1:${ports.mqtt}`, username: gw, password },
    outbox: { path: join(dir, `${gw}-outbox.db`) },
    metrics: false,
    links: [{ id: 'machine-room', transport: 'tcp', host: '127.0.0.1', port: ports.modbus }],
    elevators: mine.map((i) => ({ id: registrationCode('3110', fleet.region, '202401', i + 1), link: 'machine-room', unitId: i + 1, profile: 'liftwatch-ref' })),
  }
}

/**
 * Seconds from the simulator's start to each of the first `count` entrapment alarms: the scenario's
 * car run until it stands with a passenger and the door not open for as long as the entrapment
 * detector's default thresholds ask (outside or inside the door zone).
 */
export function entrapmentTimesS(scenario: Scenario, count = 1, horizonS = 3600): number[] {
  const { outsideDoorZoneMs, insideDoorZoneMs } = entrapment.configSchema.properties
  const found: number[] = []
  let since: number | null = null
  let raised = false
  for (const f of runScenario({ ...scenario, duration: Math.min(scenario.duration, horizonS) }, { idleStep: 0.1 })) {
    const s = f.state
    const holding = s.mode === 'normal' && !s.moving && s.door !== 'open' && (s.occupied === true || s.alarmButton)
    if (!holding) raised = false
    since = holding ? since ?? f.t : null
    const threshold = (s.doorZone ? insideDoorZoneMs.default : outsideDoorZoneMs.default) / 1000
    if (since !== null && !raised && f.t - since >= threshold - 1e-9) {
      found.push(since + threshold)
      raised = true
      if (found.length === count) break
    }
  }
  return found
}
