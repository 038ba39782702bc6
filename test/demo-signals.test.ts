// `npm start` stopped by a signal to the npm process (what a terminal's Ctrl-C, a process manager
// or `kill -INT <npm pid>` does): npm forwards SIGINT/SIGTERM to its child, and the start script
// execs node so that child is the demo, not a shell that would hold the signal. Every port is
// free within 5 s and no line says error.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './helpers/ports.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1')
  s.once('connect', () => { s.destroy(); resolve(false) })
  s.once('error', () => resolve(true))
})

/** A line that reports a failure: an npm error, a pino error, or the words themselves. */
const isError = (line: string): boolean => {
  try {
    const rec = JSON.parse(line) as { level?: number }
    if (typeof rec.level === 'number') return rec.level >= 50
  } catch { /* not JSON: judged by its words */ }
  return /\berr(or)?\b|failed|ERR!|错误|失败|Exception/i.test(line)
}

describe('npm start and a signal to npm', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s to the npm process frees every port within 5 s, no error line', async (signal) => {
    const ports = [await freePort(), await freePort(), await freePort()] as const
    const data = mkdtempSync(join(tmpdir(), 'lw-demo-npm-'))
    const npm = spawn('npm', ['start', '--', '--http-port', String(ports[0]), '--mqtt-port', String(ports[1]), '--modbus-port', String(ports[2]), '--data', data],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    npm.stdout.on('data', (d) => { out += d })
    npm.stderr.on('data', (d) => { out += d })
    const exited = new Promise<number | null>((r) => npm.once('exit', (code) => r(code)))
    try {
      for (let i = 0; i < 600 && !out.includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 100))
      expect(out).toContain(`http://127.0.0.1:${ports[0]}/`)
      for (const p of ports) expect(await refused(p), `port ${p} open`).toBe(false)

      const sent = Date.now()
      npm.kill(signal)
      let free = false
      while (!free && Date.now() - sent < 5000) {
        free = (await Promise.all(ports.map(refused))).every(Boolean)
        if (!free) await new Promise((r) => setTimeout(r, 100))
      }
      expect(free, `ports still taken ${Date.now() - sent} ms after ${signal}`).toBe(true)
      expect(await exited).toBe(0)
      expect(out.split('\n').filter(isError)).toEqual([])
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL')
    }
  }, 120_000)
})
