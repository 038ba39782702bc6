// One gateway polling 64 simulated cars at 5 Hz over Modbus TCP, publishing to a local aedes:
// achieved poll rate, the gateway process's CPU share and RSS, and how fast its outbox moves
// messages (written, published and acknowledged) — live, and draining a backlog after an outage.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { startCli } from '../test/helpers/cli.ts'
import { startAedes } from '../test/helpers/broker.ts'
import { metricValue, startGatewayCli, writeGatewayConfig } from '../test/helpers/gateway.ts'
import { cpuSeconds, rssBytes } from './proc.ts'

const CARS = 64
const POLL_MS = 200

export async function benchGateway(opts: { seconds?: number } = {}): Promise<object> {
  const seconds = opts.seconds ?? 20
  const sim = startCli(['sim', '--elevators', String(CARS), '--port', '0', '--traffic', '0.5', '--seed', '4'])
  let broker = await startAedes()
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-gw-'))
  try {
    const ready = await sim.waitFor('simulator listening') as { tcp: { port: number; units: { unitId: number; elevatorId: string }[] }[] }
    const listener = ready.tcp[0]!
    const cfg = writeGatewayConfig({
      brokerPort: broker.port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: listener.port, timeoutMs: 1000 }],
      elevators: listener.units.map((u) => ({ id: u.elevatorId, link: 'tcp', unitId: u.unitId, profile: 'liftwatch-ref' })),
      polling: { pollMs: POLL_MS },
      outbox: { replayPerSecond: 5000, sync: 'full' },
    }, dir)
    // its own process: the CPU and RSS measured are the gateway's alone
    const gw = await startGatewayCli(cfg.configFile, cfg.dir)
    const pid = gw.cli.proc.pid!
    const sample = async () => {
      const m = await gw.metrics()
      return {
        at: performance.now(), cpu: cpuSeconds(pid),
        polls: metricValue(m, 'liftwatch_gateway_polls_total', { result: 'ok' }),
        messages: metricValue(m, 'liftwatch_gateway_messages_total'),
        acked: metricValue(m, 'liftwatch_gateway_publish_latency_seconds_count'),
        depth: metricValue(m, 'liftwatch_gateway_outbox_depth'),
        latencySum: metricValue(m, 'liftwatch_gateway_publish_latency_seconds_sum'),
      }
    }
    await delay(3000) // warm-up: connections made, JIT settled
    const a = await sample()
    await delay(seconds * 1000)
    const b = await sample()
    const wall = (b.at - a.at) / 1000
    const live = {
      cars: CARS, targetPollsPerSecond: (CARS * 1000) / POLL_MS,
      pollsPerSecond: Math.round((b.polls - a.polls) / wall),
      cpuShareOfOneCore: Number(((b.cpu - a.cpu) / wall).toFixed(3)),
      rssMiB: Math.round(rssBytes(pid) / 1048576),
      messagesPerSecond: Math.round((b.messages - a.messages) / wall),
      ackedPerSecond: Math.round((b.acked - a.acked) / wall),
      meanWriteToPubackMs: Number((((b.latencySum - a.latencySum) / Math.max(1, b.acked - a.acked)) * 1000).toFixed(2)),
    }

    // backlog: 15 s without a broker, then how fast the outbox drains
    const port = broker.port
    await broker.close()
    await delay(15_000)
    const backlog = (await sample()).depth
    broker = await startAedes({ port })
    const t0 = performance.now()
    const c0 = cpuSeconds(pid)
    let s = await sample()
    while (s.depth > CARS * 2 && performance.now() - t0 < 120_000) { await delay(200); s = await sample() }
    const drainSeconds = (performance.now() - t0) / 1000
    const drainCpu = cpuSeconds(pid) - c0
    await gw.cli.stop()
    return {
      seconds, live,
      backlog: { messages: backlog, drainSeconds: Number(drainSeconds.toFixed(2)), drainedPerSecond: Math.round(backlog / drainSeconds), cpuShareWhileDraining: Number((drainCpu / drainSeconds).toFixed(3)) },
    }
  } finally {
    await sim.stop()
    await broker.close()
  }
}
