// The real gateway from a configuration file: built and started in this process (gateway/app.ts,
// as `liftwatch gateway` would after loading the same file), or as the `liftwatch gateway` child
// process where a test must kill it.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { Gateway } from '../../gateway/app.ts'
import { loadGatewayConfig } from '../../gateway/config.ts'
import { startCli, type Cli } from './cli.ts'
import { memoryLog, type LogLine } from './memory-log.ts'

interface Running { dir: string; configFile: string; metricsPort: number; metrics(): Promise<string> }
export interface GatewayRun extends Running {
  gateway: Gateway
  /** its log lines, as the CLI would print them */
  lines: LogLine[]
  waitFor(msg: string | RegExp, timeoutMs?: number): Promise<LogLine>
  stop(): Promise<void>
}
export interface GatewayCliRun extends Running { cli: Cli }

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

const scrape = (port: number) => async () => await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()

/** In this process: what `liftwatch gateway --config FILE` runs, without the process start-up. */
export async function startGateway(configFile: string, dir: string): Promise<GatewayRun> {
  const { log, lines, waitFor } = memoryLog('gateway')
  const gateway = new Gateway(loadGatewayConfig(configFile), log)
  let metricsPort: number
  try {
    metricsPort = (await gateway.start()).metricsPort!
  } catch (err) {
    await gateway.stop()
    throw err
  }
  return { gateway, lines, waitFor, stop: () => gateway.stop(), dir, configFile, metricsPort, metrics: scrape(metricsPort) }
}

/** As a child process, for a test that kills it. */
export async function startGatewayCli(configFile: string, dir: string): Promise<GatewayCliRun> {
  const cli = startCli(['gateway', '--config', configFile])
  const started = await cli.waitFor('gateway started')
  const metricsPort = Number(started.metricsPort)
  return { cli, dir, configFile, metricsPort, metrics: scrape(metricsPort) }
}

/**
 * Scrapes until the metric's value holds `pred`, every 100 ms: a metric has no event of its own.
 * Resolves with the value; fails after `timeoutMs` naming the last value.
 */
export async function metricUntil(run: Running, name: string, pred: (v: number) => boolean, what: string, opts: { labels?: Record<string, string>; timeoutMs?: number } = {}): Promise<number> {
  const { labels = {}, timeoutMs = 30_000 } = opts
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const v = metricValue(await run.metrics(), name, labels)
    if (pred(v)) return v
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${name} ${v})`)
    await new Promise((r) => setTimeout(r, 100))
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
