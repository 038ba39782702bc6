// Runs `liftwatch <command>` as a real child process and reads its pino JSON lines.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const LIFTWATCH = fileURLToPath(new URL('../../bin/liftwatch.js', import.meta.url))

export interface Cli {
  proc: ChildProcess
  lines: Record<string, unknown>[]
  stderr: string[]
  /** Resolves with the first JSON line whose msg matches. */
  waitFor(msg: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Cli {
  const proc = spawn(process.execPath, [LIFTWATCH, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd })
  const lines: Record<string, unknown>[] = []
  const stderr: string[] = []
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = []
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  createInterface({ input: proc.stderr! }).on('line', (l) => stderr.push(l))
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>
    try { line = JSON.parse(text) } catch { line = { msg: text } }
    lines.push(line)
    for (const w of [...waiters]) if (w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line) }
  })
  const matches = (msg: string | RegExp) => (l: Record<string, unknown>) =>
    typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg))
  return {
    proc, lines, stderr,
    waitFor(msg, timeoutMs = 20_000) {
      const found = lines.find(matches(msg))
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" line within ${timeoutMs} ms; stderr: ${stderr.join('\n')}`)), timeoutMs)
        exited.then((code) => { clearTimeout(timer); reject(new Error(`exited ${code} before "${msg}"; stderr: ${stderr.join('\n')}`)) })
        waiters.push({ match: matches(msg), resolve: (l) => { clearTimeout(timer); resolve(l) } })
      })
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return await exited
    },
  }
}

/** Runs a command to completion, capturing output. */
export async function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return await new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    p.stdout.on('data', (d) => { stdout += d })
    p.stderr.on('data', (d) => { stderr += d })
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`${cmd} ${args.join(' ')} timed out`)) }, timeoutMs)
    p.once('error', (err) => { clearTimeout(timer); reject(new Error(`${cmd} could not start (is it installed?): ${err.message}`)) })
    p.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
  })
}

/** Runs `liftwatch <args>` to completion with `stdin` written to it (passwords are read from stdin). */
export function liftwatchWithStdin(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [LIFTWATCH, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = '', stderr = ''
    p.stdout.on('data', (d) => { stdout += d })
    p.stderr.on('data', (d) => { stderr += d })
    p.once('error', reject)
    p.once('exit', (code) => resolve({ code, stdout, stderr }))
    p.stdin.end(stdin)
  })
}
