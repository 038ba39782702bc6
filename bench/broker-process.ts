// `liftwatch broker --config FILE` as a child process for the benchmarks: its ports from the
// 'broker started' line, the first admin's password (printed once, on stdout), warnings kept.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { stopProcess } from './proc.ts'

const LIFTWATCH = fileURLToPath(new URL('../bin/liftwatch.js', import.meta.url))

export interface BrokerProcess {
  proc: ChildProcess; pid: number; mqttPort: number; httpPort: number; adminPassword: string | null; problems: string[]; stop(): Promise<number | null>
  /** throws, with the last lines the broker wrote to stderr, when it is no longer running */
  assertRunning(): void
}

const PROBE = fileURLToPath(new URL('./process-probe.js', import.meta.url))

export interface BrokerStartOptions {
  nodeArgs?: string[]
  expected?: (msg: string) => boolean
  /** bench/process-probe.js appends the broker's memory and event loop figures to this file */
  probe?: { file: string; everyMs: number }
  /** another checkout's bin/liftwatch.js (bench/broker.ts's before/after runs) */
  liftwatch?: string
}

/** Started under `nodeArgs`; a log line at warn or above is a problem unless `expected(msg)`. */
export async function startBroker(configFile: string, opts: BrokerStartOptions = {}): Promise<BrokerProcess> {
  const probeArgs = opts.probe ? ['--import', PROBE] : []
  const env = opts.probe ? { ...process.env, LW_BENCH_PROBE_FILE: opts.probe.file, LW_BENCH_PROBE_MS: String(opts.probe.everyMs) } : process.env
  const proc = spawn(process.execPath, [...probeArgs, ...opts.nodeArgs ?? [], opts.liftwatch ?? LIFTWATCH, 'broker', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env })
  const stderr: string[] = []
  const problems: string[] = []
  let adminPassword: string | null = null
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.push(l))
  const started = new Promise<{ mqtt: { tcp: number }; http: number }>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (text) => {
      let line: { level?: number; msg?: string; mqtt?: { tcp: number }; http?: number }
      try { line = JSON.parse(text) as typeof line } catch { line = { msg: text } }
      // the first admin's password: a plain stdout line on the first start (broker/app.ts)
      adminPassword ??= /first admin: \S+ +口令 password: (\S+)/.exec(text)?.[1] ?? null
      if (line.msg === 'broker started') resolve(line as { mqtt: { tcp: number }; http: number })
      else if ((line.level ?? 0) >= 40 && !opts.expected?.(line.msg ?? '') && problems.length < 10) problems.push(text.slice(0, 300))
    })
    proc.once('exit', (code) => reject(new Error(`broker exited ${code} before starting: ${stderr.slice(-20).join('\n')}`)))
  })
  // a bench that dies must not leave the broker behind
  const orphan = () => proc.kill('SIGKILL')
  process.once('exit', orphan)
  proc.once('exit', () => process.off('exit', orphan))
  const s = await started
  const assertRunning = () => {
    if (proc.exitCode === null && proc.signalCode === null) return
    throw new Error(`broker exited ${proc.exitCode ?? proc.signalCode} during the bench: ${stderr.slice(-20).join('\n')}\n${problems.join('\n')}`)
  }
  return { proc, pid: proc.pid!, mqttPort: s.mqtt.tcp, httpPort: s.http, adminPassword, problems, stop: () => stopProcess(proc), assertRunning }
}

/** Logged in as the first admin; the session cookie. */
export async function adminCookie(broker: BrokerProcess): Promise<string> {
  if (!broker.adminPassword) throw new Error('the broker printed no first admin password (an accounts store from an earlier run?)')
  const res = await fetch(`http://127.0.0.1:${broker.httpPort}/api/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: broker.adminPassword }),
  })
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('lw_session='))
  if (res.status !== 200 || !cookie) throw new Error(`login as admin: HTTP ${res.status}`)
  return cookie
}
