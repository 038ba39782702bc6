// A pair of connected pseudo-terminals from Debian's socat: a serial link without hardware.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface PtyPair { a: string; b: string; close(): Promise<void> }

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'lw-pty-'))
  const a = join(dir, 'a'), b = join(dir, 'b')
  const proc: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  proc.stderr!.on('data', (d) => { log += d })
  await new Promise<void>((resolve, reject) => {
    proc.once('error', (err) => reject(new Error(`socat could not start (apt-get install socat): ${err.message}`)))
    proc.once('exit', (code) => reject(new Error(`socat exited ${code}: ${log}`)))
    // socat logs "starting data transfer loop" once both ptys exist
    proc.stderr!.on('data', () => { if (/starting data transfer loop/.test(log) && existsSync(a) && existsSync(b)) resolve() })
  })
  return {
    a, b,
    async close() {
      if (proc.exitCode !== null) return
      const gone = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await gone
    },
  }
}
