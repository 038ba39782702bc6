// Runs the real gateway (`liftwatch gateway --config FILE`) as a child process.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startCli, type Cli } from './cli.ts'

export interface GatewayRun { cli: Cli; dir: string; configFile: string; metricsPort: number; metrics(): Promise<string> }

export interface TestGatewayConfig {
  id?: string
  brokerPort: number
  links: Record<string, unknown>[]
  elevators: Record<string, unknown>[]
  polling?: Record<string, unknown>
  outbox?: Record<string, unknown>
  mqtt?: Record<string, unknown>
}

export function writeGatewayConfig(c: TestGatewayConfig, dir = mkdtempSync(join(tmpdir(), 'lw-gw-'))): { dir: string; configFile: string } {
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(configFile, stringify({
    gateway: { id: c.id ?? 'gw-test', region: '330922' },
    mqtt: { url: `mqtt://127.0.0.1:${c.brokerPort}`, reconnect: { minMs: 100, maxMs: 1000 }, ...c.mqtt },
    outbox: { path: join(dir, 'outbox.db'), ...c.outbox },
    polling: { pollMs: 100, heartbeatSeconds: 10, ...c.polling },
    metrics: { host: '127.0.0.1', port: 0 },
    links: c.links,
    elevators: c.elevators,
  }))
  return { dir, configFile }
}

export async function startGateway(configFile: string, dir: string): Promise<GatewayRun> {
  const cli = startCli(['gateway', '--config', configFile])
  const started = await cli.waitFor('gateway started')
  const metricsPort = Number(started.metricsPort)
  return {
    cli, dir, configFile, metricsPort,
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
      return await res.text()
    },
  }
}

/** Sum of a Prometheus metric's samples whose labels include every given label. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const m = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[4])
  }
  return sum
}
