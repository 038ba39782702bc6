// CPU and memory of another process, read from /proc (Linux).
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, readdirSync } from 'node:fs'

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** user + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after the parenthesised command name; utime and stime are fields 14 and 15
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}

export async function stopProcess(proc: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode
  const exited = once(proc, 'exit') as Promise<[number | null]>
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs)
  const [code] = await exited
  clearTimeout(timer)
  return code
}

/** user + system jiffies of the whole machine, busy and total (/proc/stat) */
export function machineJiffies(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
  return { busy: total - f[3]! - f[4]!, total }
}

/** The process started with this argument (a peer the bench did not fork itself). */
export function pidListeningWith(arg: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) return Number(entry)
    } catch { /* gone meanwhile */ }
  }
  return undefined
}

export function peakRssBytes(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) * 1024 : 0
}
