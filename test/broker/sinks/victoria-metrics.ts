// Debian's VictoriaMetrics as the InfluxDB stand-in (docs/architecture.md#real-peers): it takes the same
// /api/v2/write line protocol. One process per test file on a port the OS picked, data in a temp
// dir. stop() then restart() is an outage: the same server comes back on the same port and data.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../helpers/ports.ts'

export const VM_BIN = '/usr/bin/victoria-metrics'

export interface ExportedSeries { metric: Record<string, string>; values: number[]; timestamps: number[] }

export interface Vm {
  port: number
  url: string
  dir: string
  /** the outage: SIGTERM (VM writes what it holds), waits for the exit */
  stop(): Promise<void>
  restart(): Promise<void>
  /** stop, and delete the data dir */
  close(): Promise<void>
  /** raw samples (no dedup unless started with dedup) of every series matching the selector */
  export(match: string): Promise<ExportedSeries[]>
  /** exports until `pred` holds: new series become searchable a moment after the write */
  waitForExport(match: string, pred: (s: ExportedSeries[]) => boolean, what: string, timeoutMs?: number): Promise<ExportedSeries[]>
}

export async function startVm(opts: { args?: string[]; dedup?: boolean } = {}): Promise<Vm> {
  if (!existsSync(VM_BIN)) throw new Error(`${VM_BIN} is missing: apt-get install victoria-metrics (scripts/test.sh installs it)`)
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'lw-vm-'))
  const url = `http://127.0.0.1:${port}`
  const args = [
    `-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=100y',
    // queries see fresh samples at once, and never from a cache filled before a backfill
    '-search.latencyOffset=0', '-search.disableCache',
    ...(opts.dedup ? ['-dedup.minScrapeInterval=1ms'] : []),
    ...(opts.args ?? []),
  ]
  let proc: ChildProcess | undefined

  const launch = async () => {
    const p = spawn(VM_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    proc = p
    let log = ''
    await new Promise<void>((resolve, reject) => {
      p.once('error', (err) => reject(new Error(`victoria-metrics could not start: ${err.message}`)))
      p.once('exit', (code) => reject(new Error(`victoria-metrics exited ${code}: ${log.slice(-2000)}`)))
      const onData = (d: Buffer) => {
        log += d.toString()
        if (/started VictoriaMetrics in/.test(log)) resolve()
      }
      p.stdout!.on('data', onData)
      p.stderr!.on('data', onData)
    })
    // the start line can come before the HTTP listener (seen on a restart over existing data)
    const deadline = performance.now() + 10_000
    for (;;) {
      const health = await fetch(`${url}/health`).then((r) => r.status, (err: Error) => err)
      if (health === 200) return
      if (performance.now() > deadline) throw new Error(`victoria-metrics /health: ${String(health)}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  const stop = async () => {
    const p = proc
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    await gone
  }

  const exportSeries = async (match: string): Promise<ExportedSeries[]> => {
    // makes samples still in VM's in-memory buffers searchable
    const flushed = await fetch(`${url}/internal/force_flush`)
    if (!flushed.ok) throw new Error(`force_flush: ${flushed.status}`)
    const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match })}`)
    if (!res.ok) throw new Error(`export ${match}: ${res.status} ${await res.text()}`)
    return (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as ExportedSeries)
  }

  await launch()
  return {
    port, url, dir, stop,
    restart: async () => { await stop(); await launch() },
    close: async () => { await stop(); rmSync(dir, { recursive: true, force: true }) },
    export: exportSeries,
    async waitForExport(match, pred, what, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const got = await exportSeries(match)
        if (pred(got)) return got
        if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${samples(got)} samples in ${got.length} series)`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
  }
}

export const samples = (series: ExportedSeries[]): number => series.reduce((n, s) => n + s.values.length, 0)
