// The load side of bench/broker.ts: the forked load children (bench/broker-load.ts), samples of
// their counters with the CPU of every process involved, and one measured window under load.
import { cpus } from 'node:os'
import { setTimeout as delay } from 'node:timers/promises'
import { cpuSeconds, machineJiffies, peakRssBytes, rssBytes } from './proc.ts'
import type { GatewaySpec, InjectSpec, LoadFinal, LoadSample } from './broker-load.ts'
import { LoadChild } from './load-child.ts'


export const WARMUP_MS = 2000

export interface Load { fleet: GatewaySpec[]; inflight: number; seconds: number }

export interface Sample {
  at: number
  /** CLOCK_MONOTONIC, µs: the clock of V8's CPU profiles */
  monoUs: number
  pub: LoadSample
  sub: LoadSample | undefined
  cpu: { server: number; pub: number; sub: number; peers: Record<string, number> }
  machine: { busy: number; total: number }
  metrics: string | undefined
}

export interface Probe {
  serverPid: number
  pub: LoadChild
  sub?: LoadChild | undefined
  metricsUrl?: string | undefined
  /** a logged-in session's cookie: /metrics answers 401 without one */
  metricsCookie?: string | undefined
  /** other processes whose CPU share to report (VictoriaMetrics) */
  peers?: Record<string, number> | undefined
}

async function sample(p: Probe, resetLatency = false): Promise<Sample> {
  const [pub, sub, metrics] = await Promise.all([
    p.pub.request<LoadSample>({ cmd: 'sample', resetLatency }),
    p.sub?.request<LoadSample>({ cmd: 'sample' }),
    p.metricsUrl ? fetch(p.metricsUrl, { headers: { cookie: p.metricsCookie ?? '' } }).then(async (r) => {
      if (r.status !== 200) throw new Error(`${p.metricsUrl}: HTTP ${r.status}`)
      return await r.text()
    }) : undefined,
  ])
  return {
    at: performance.now(), monoUs: Number(process.hrtime.bigint() / 1000n), pub, sub, metrics, machine: machineJiffies(),
    cpu: {
      server: cpuSeconds(p.serverPid), pub: cpuSeconds(p.pub.pid), sub: p.sub ? cpuSeconds(p.sub.pid) : 0,
      peers: Object.fromEntries(Object.entries(p.peers ?? {}).map(([name, pid]) => [name, cpuSeconds(pid)])),
    },
  }
}

export const share = (cpu: number, wall: number) => Number((cpu / wall).toFixed(2))
export const perSecond = (n: number, wall: number) => Math.round(n / wall)

export interface Window { a: Sample; b: Sample; wall: number; final: LoadFinal }

/** Connects the load, warms up, measures `seconds`, then `beforeStop` (load still running), stops. */
export async function drive(port: number, p: Omit<Probe, 'pub' | 'sub'>, load: Load, o: { subscriber?: boolean; inject?: InjectSpec; beforeStop?: (injected: number) => Promise<void> }): Promise<Window> {
  const pub = await LoadChild.fork()
  const sub = o.subscriber ? await LoadChild.fork() : undefined
  try {
    await sub?.request({ cmd: 'subscriber', port, filter: 'lift/v1/#' })
    await pub.request({ cmd: 'publishers', port, gateways: load.fleet, inflight: load.inflight })
    const probe: Probe = { ...p, pub, sub }
    await pub.request(o.inject ? { cmd: 'go', inject: o.inject } : { cmd: 'go' })
    await delay(WARMUP_MS)
    const a = await sample(probe, true)
    await delay(load.seconds * 1000)
    const b = await sample(probe)
    await o.beforeStop?.(b.pub.injected)
    const final = await pub.request<LoadFinal>({ cmd: 'stop' })
    return { a, b, wall: (b.at - a.at) / 1000, final }
  } finally {
    await pub.kill()
    await sub?.kill()
  }
}

export function common(w: Window, serverPid: number, perMessage: number) {
  const { a, b, wall } = w
  const peers = Object.keys(b.cpu.peers)
  return {
    ackedPerSecond: perSecond(b.pub.acked - a.pub.acked, wall),
    brokerCpuShare: share(b.cpu.server - a.cpu.server, wall),
    /** CPU the broker spent per message (per delivered for bare aedes, per accepted otherwise): steadier than msg/s on a shared machine */
    brokerCpuUsPerMessage: Math.round(((b.cpu.server - a.cpu.server) * 1e6) / Math.max(1, perMessage)),
    brokerRssMiB: Math.round(rssBytes(serverPid) / 1048576),
    brokerPeakRssMiB: Math.round(peakRssBytes(serverPid) / 1048576),
    publisherCpuShare: share(b.cpu.pub - a.cpu.pub, wall),
    ...(peers.length ? { peerCpuShare: Object.fromEntries(peers.map((k) => [k, share(b.cpu.peers[k]! - a.cpu.peers[k]!, wall)])) } : {}),
    machineBusyCores: Number((((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * cpus().length).toFixed(2)),
    pubackMs: w.final.pubackMs,
  }
}
