// Real files, a real MqttHost on OS-picked ports, real mqtt.js clients, pino lines the test reads.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import pino, { type Logger } from 'pino'
import { stringify } from 'yaml'
import { loadRegistry, type Registry } from '../../../broker/registry/registry.ts'
import { MqttHost, type ClientPublish } from '../../../broker/mqtt/host.ts'
import { parseMqttHostConfig } from '../../../broker/mqtt/config.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import { availabilityTopic, gatewayStatusTopic, telemetryTopic, type Telemetry } from '../../../protocol/index.ts'
import { sampleTelemetry } from '../../protocol/fixtures.ts'

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'lw-broker-'))

// gw-a serves two elevators in 330922, gw-b one in 330902
export const REGISTRY = {
  elevators: [
    { id: '31103309222019010001', registrationCode: '31103309222019010001', rescueCode: '10001', region: '330922', address: '舟山市嵊泗县菜园镇 1 号', building: '1号楼', landings: ['B1', '1', '2', '3'], ratedSpeed: 1.0, gatewayId: 'gw-a' },
    { id: '31103309222019010002', registrationCode: '31103309222019010002', rescueCode: '10002', region: '330922', address: '舟山市嵊泗县菜园镇 1 号', landings: 6, ratedSpeed: 1.75, gatewayId: 'gw-a' },
    { id: '31103309022020050007', registrationCode: '31103309022020050007', rescueCode: '200007', region: '330902', address: '舟山市定海区 7 号', landings: 12, ratedSpeed: 2.5, gatewayId: 'gw-b' },
  ],
}
export const [A1, A2, B1] = REGISTRY.elevators.map((e) => ({ id: e.id, region: e.region, gateway: e.gatewayId })) as [Ref, Ref, Ref]
interface Ref { id: string; region: string; gateway: string }

export function writeYaml(dir: string, name: string, data: unknown): string {
  const file = join(dir, name)
  writeFileSync(file, stringify(data))
  return file
}

export function registryFile(dir = tempDir()): { file: string; registry: Registry } {
  const file = writeYaml(dir, 'registry.yaml', REGISTRY)
  return { file, registry: loadRegistry(file) }
}

export const PASSWORDS = { 'gw-a': 'pw-a-7f3k', 'gw-b': 'pw-b-9q2m', ops: 'pw-ops-4x8z' } as const
// cheap parameters keep the tests fast; the default cost is exercised by the passwd test
const CHEAP = { N: 1024, r: 8, p: 1 }
export async function users(): Promise<Record<string, { role: string; hash: string }>> {
  return {
    'gw-a': { role: 'gateway', hash: await hashPassword(PASSWORDS['gw-a'], CHEAP) },
    'gw-b': { role: 'gateway', hash: await hashPassword(PASSWORDS['gw-b'], CHEAP) },
    ops: { role: 'monitor', hash: await hashPassword(PASSWORDS.ops, CHEAP) },
  }
}

/**
 * A whole broker host's configuration (before parsing) for this registry and these users, on
 * OS-picked ports, its stores in `dir`; `extra` adds or replaces sections (detectors, ingest…).
 */
export async function brokerConfigData(dir: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return {
    mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: await users() },
    http: { host: '127.0.0.1', port: 0 },
    registry: REGISTRY,
    alarms: { path: join(dir, 'alarms.db') },
    telemetry: { sqlite: { path: join(dir, 'telemetry.db'), retentionDays: 7 } },
    ...extra,
  }
}

export interface LogLines { log: Logger; lines: Record<string, unknown>[] }
/** A logger whose JSON lines the test reads (pino's own tests do the same). */
export function captureLog(level = 'debug'): LogLines {
  const lines: Record<string, unknown>[] = []
  const log = pino({ level }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>) } })
  return { log, lines }
}

export interface HostFixture {
  host: MqttHost
  url: string
  ports: Awaited<ReturnType<MqttHost['start']>>
  registry: Registry
  lines: Record<string, unknown>[]
  stop(): Promise<void>
}

export async function startHost(opts: {
  section?: Record<string, unknown>
  onPublish?: (m: ClientPublish) => boolean
  now?: () => number
  registry?: Registry
  log?: LogLines
} = {}): Promise<HostFixture> {
  const registry = opts.registry ?? registryFile().registry
  const config = parseMqttHostConfig({ listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: await users(), ...opts.section })
  const { log, lines } = opts.log ?? captureLog()
  const host = new MqttHost({ config, registry, log, ...(opts.onPublish ? { onPublish: opts.onPublish } : {}), ...(opts.now ? { now: opts.now } : {}) })
  const ports = await host.start()
  return { host, ports, registry, lines, url: `mqtt://127.0.0.1:${ports.tcp}`, stop: () => host.stop() }
}

/** Connects once (no reconnect); rejects with the CONNACK refusal or the socket error. */
export async function connect(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts })
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
      client.once('close', () => reject(new Error('closed before CONNACK')))
    })
  } catch (err) {
    client.end(true)
    throw err
  }
  return client
}

export const gateway = (url: string, id: 'gw-a' | 'gw-b', opts: IClientOptions = {}) =>
  connect(url, { clientId: id, username: id, password: PASSWORDS[id], ...opts })

export const telemetry = (e: Ref, over: Partial<Telemetry> = {}) => ({
  topic: telemetryTopic(e.region, e.id),
  payload: JSON.stringify(sampleTelemetry({ gateway: e.gateway, ...over })),
})
export const availability = (e: Ref, state: 'online' | 'offline', ts: number) => ({
  topic: availabilityTopic(e.region, e.id),
  payload: JSON.stringify({ v: 1, ts, state, gateway: e.gateway }),
})
export const status = (gatewayId: string, state: 'online' | 'offline') => ({
  topic: gatewayStatusTopic(gatewayId),
  payload: JSON.stringify({ v: 1, state }),
})
