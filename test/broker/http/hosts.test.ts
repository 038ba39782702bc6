// Which Host headers are answered, what counts as loopback, and the broker refusing to serve
// logins over plain HTTP on a network address: the rule, and the real `liftwatch broker` command.
import { describe, expect, it } from 'vitest'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { hostCheck, hostOf, isLoopback, plainHttpRefusal } from '../../../broker/http/hosts.ts'

const CLI = fileURLToPath(new URL('../../../bin/liftwatch.js', import.meta.url))

describe('hosts', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost']) expect(isLoopback(h), h).toBe(true)
    for (const h of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.1', '::ffff:10.0.0.1', 'lifts.example.gov.cn']) expect(isLoopback(h), h).toBe(false)
  })

  it('reads the host name of a Host header', () => {
    expect(hostOf('[::1]:8080')).toBe('::1')
    expect(hostOf('Localhost:80')).toBe('localhost')
    expect(hostOf('10.0.0.5')).toBe('10.0.0.5')
  })

  it('answers only the public origin when one is set, default port omitted as browsers do', () => {
    const ok = hostCheck({ publicOrigin: 'https://lifts.example.gov.cn', listenHost: '0.0.0.0' })
    expect(ok('lifts.example.gov.cn')).toBe(true)
    expect(ok('LIFTS.example.gov.cn')).toBe(true)
    expect(ok('lifts.example.gov.cn:8443')).toBe(false)
    expect(ok('evil.example.com')).toBe(false)
    expect(ok('10.0.0.5')).toBe(false)
    expect(ok(undefined)).toBe(false)
    // the host's own checks: a rebinding page never sends these
    expect(ok('localhost:8080')).toBe(true)
    expect(ok('127.0.0.1')).toBe(true)
    expect(hostCheck({ publicOrigin: 'https://lifts.example.gov.cn:8443' })('lifts.example.gov.cn:8443')).toBe(true)
  })

  it('without one, answers loopback names and the listen address at any port', () => {
    const ok = hostCheck({ listenHost: '10.1.2.3' })
    for (const h of ['localhost:8080', '127.0.0.1', '[::1]:1', '10.1.2.3:8443']) expect(ok(h), h).toBe(true)
    for (const h of ['10.1.2.4:8080', 'evil.example', '']) expect(ok(h), h).toBe(false)
  })
})

describe('plain HTTP on a network address', () => {
  it('is refused unless TLS or insecureHttp', () => {
    expect(plainHttpRefusal({ host: '127.0.0.1' })).toBeNull()
    expect(plainHttpRefusal({ host: '0.0.0.0' })).toMatch(/http\.tls.*--insecure-http/)
    expect(plainHttpRefusal({ host: '0.0.0.0', tls: { cert: 'c', key: 'k' } })).toBeNull()
    expect(plainHttpRefusal({ host: '10.0.0.5', insecureHttp: true })).toBeNull()
    expect(plainHttpRefusal({ host: '10.0.0.5', tls: {}, autoLogin: { username: 'desk' } })).toMatch(/http\.autoLogin/)
    expect(plainHttpRefusal({ host: '127.0.0.1', autoLogin: { username: 'desk' } })).toBeNull()
  })

  it('stops `liftwatch broker` with exit 2 naming the setting; with --insecure-http it starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-plain-'))
    try {
      const cfg = join(dir, 'broker.yaml')
      writeFileSync(cfg, `mqtt:\n  listeners:\n    tcp: { host: 127.0.0.1, port: 0 }\nhttp:\n  host: 0.0.0.0\n  port: 0\nregistry: { elevators: [] }\nalarms:\n  path: ':memory:'\n`)
      const run = (...extra: string[]) => promisify(execFile)(process.execPath, [CLI, 'broker', '--config', cfg, ...extra], { timeout: 30_000 })
        .then(() => ({ code: 0, stderr: '' }), (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }))
      const refused = await run()
      expect(refused.code).toBe(2)
      expect(refused.stderr).toContain('http.host')
      expect(refused.stderr).toContain('--insecure-http')
      const child = spawn(process.execPath, [CLI, 'broker', '--config', cfg, '--insecure-http'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      const started = await new Promise<boolean>((resolve) => {
        child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('broker started')) resolve(true) })
        child.on('exit', () => resolve(false))
      })
      const exited = new Promise((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(started).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 40_000)
})
