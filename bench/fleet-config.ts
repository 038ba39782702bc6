// The registry, users and `liftwatch broker` configuration of a generated fleet, for the
// benchmarks that start a real broker process (bench/latency.ts, bench/fleet.ts).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { hashPassword } from '../broker/mqtt/passwords.ts'
import type { GatewaySpec } from './broker-load.ts'

export const REGION = '330922'
export const MONITOR = { username: 'monitor', password: 'monitor-pw' }
// connects only: the cheapest scrypt parameters the broker accepts (checkParams), not what is measured
const BENCH_SCRYPT = { N: 1024, r: 8, p: 1 }

/** `gateways` × `perGateway` elevators; 注册代码: category 3110 + region + 2024 + 6-digit sequence. */
export function makeFleet(gateways: number, perGateway: number): GatewaySpec[] {
  return Array.from({ length: gateways }, (_, gi) => ({
    username: `gw-${String(gi + 1).padStart(4, '0')}`,
    password: `secret-${gi + 1}`,
    region: REGION,
    elevators: Array.from({ length: perGateway }, (_, ei) => `3110${REGION}2024${String(gi * perGateway + ei + 1).padStart(6, '0')}`),
  }))
}

export interface FleetConfigOptions {
  /** entrapment threshold outside the door zone, ms (config key outsideDoorZoneMs) */
  thresholdMs?: number
  /** the SQLite sink's batchWindowMs (unset: the broker's default) */
  sinkBatchWindowMs?: number
}

/** Writes `{dir}/broker.yaml` (SQLite telemetry sink, stores in `dir`) and returns its path. */
/** The MQTT users (each gateway, and the monitor), listeners on OS-picked ports and the registry of a fleet. */
export async function brokerBase(fleet: GatewaySpec[]): Promise<{ mqtt: object; http: object; registry: object }> {
  const users: Record<string, { role: string; hash: string }> = {}
  for (const g of fleet) users[g.username] = { role: 'gateway', hash: await hashPassword(g.password, BENCH_SCRYPT) }
  users[MONITOR.username] = { role: 'monitor', hash: await hashPassword(MONITOR.password, BENCH_SCRYPT) }
  const perGateway = fleet[0]?.elevators.length ?? 0
  return {
    mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users },
    http: { host: '127.0.0.1', port: 0 },
    registry: {
      elevators: fleet.flatMap((g, gi) => g.elevators.map((id, ei) => ({
        id, registrationCode: id, rescueCode: String(100_000 + gi * perGateway + ei), region: REGION, address: `嵊泗县菜园镇测试路 ${gi + 1} 号`,
        building: `${ei + 1}号梯`, landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId: g.username,
      }))),
    },
  }
}

/** Writes `{dir}/broker.yaml` (SQLite telemetry sink, stores in `dir`) and returns its path. */
export async function writeFleetConfig(dir: string, fleet: GatewaySpec[], o: FleetConfigOptions = {}): Promise<string> {
  const config = {
    ...await brokerBase(fleet),
    ...(o.thresholdMs ? { detectors: { detectors: { entrapment: { outsideDoorZoneMs: o.thresholdMs } } } } : {}),
    alarms: { path: join(dir, 'alarms.db') },
    accounts: { path: join(dir, 'accounts.db') },
    telemetry: { sqlite: { path: join(dir, 'telemetry.db'), ...(o.sinkBatchWindowMs === undefined ? {} : { batchWindowMs: o.sinkBatchWindowMs }) } },
  }
  const file = join(dir, 'broker.yaml')
  writeFileSync(file, stringify(config))
  return file
}
