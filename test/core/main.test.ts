// core/main.ts in-process: exit codes for bad arguments, bad configuration, start failures and
// signals; --help; the root logger's level and redaction. One run through bin/liftwatch.js checks
// the real process.
import { describe, expect, it } from 'vitest'
import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import { ConfigError } from '../../core/config.ts'
import { UsageError, runMain, type MainIo, type MainSpec } from '../../core/main.ts'
import { LIFTWATCH, run } from '../helpers/cli.ts'

class FakeApp {
  starts = 0
  stops = 0
  constructor(readonly fail?: Error) {}
  async start(): Promise<void> {
    this.starts++
    if (this.fail) throw this.fail
  }
  async stop(): Promise<void> {
    this.stops++
  }
}

function io() {
  const out = { stdout: '', stderr: '', exits: [] as number[], lines: [] as string[] }
  const signals = new EventEmitter()
  let exit: (code: number) => void = () => {}
  const exited = new Promise<number>((resolve) => { exit = resolve })
  const hooks: MainIo = {
    stdout: (t) => { out.stdout += t },
    stderr: (t) => { out.stderr += t },
    exit: (code) => { out.exits.push(code); exit(code) },
    signals: signals as MainIo['signals'],
    log: new Writable({ write(c: Buffer, _e, done) { out.lines.push(...c.toString().split('\n').filter(Boolean)); done() } }),
  }
  return { out, signals, exited, hooks }
}

function spec(over: Partial<MainSpec<{ secret: string }, FakeApp>> = {}, app = new FakeApp()): MainSpec<{ secret: string }, FakeApp> {
  return {
    name: 'part', help: 'usage: liftwatch part --config FILE\n', config: 'part configuration (YAML)',
    options: { fast: { type: 'boolean' } },
    load: () => ({ secret: 's3cret' }),
    build: (cfg, log) => {
      log.info({ mqtt: { password: cfg.secret }, token: cfg.secret, nested: { deeper: { hash: cfg.secret } } }, 'built')
      return app
    },
    ...over,
  }
}

describe('runMain', () => {
  it('a bad option or log level: exit 2, the message and the help, no stack', async () => {
    for (const argv of [['--bogus'], ['--config', 'x', '--log-level', 'loud'], []]) {
      const t = io()
      expect(await runMain(spec(), argv, t.hooks)).toBeUndefined()
      expect(t.out.exits, argv.join(' ')).toEqual([2])
      expect(t.out.stderr).toMatch(/^liftwatch part: /)
      expect(t.out.stderr).toContain('usage: liftwatch part')
      expect(t.out.stderr).not.toMatch(/\n\s+at /)
    }
    const level = io()
    await runMain(spec(), ['--config', 'x', '--log-level', 'loud'], level.hooks)
    expect(level.out.stderr).toContain('--log-level: must be one of trace, debug, info, warn, error, fatal, silent, got "loud"')
  })

  it('--help prints the command and common options, exit code untouched', async () => {
    const t = io()
    await runMain(spec(), ['--help'], t.hooks)
    expect(t.out.stdout).toMatch(/^usage: liftwatch part --config FILE\n/)
    expect(t.out.stdout).toContain('--config FILE   part configuration (YAML)')
    expect(t.out.stdout).toContain('--log-level')
    expect(t.out.exits).toEqual([])
  })

  it('a config error: exit 2 with every problem as path: message under the file', async () => {
    const t = io()
    const load = () => { throw new ConfigError('/etc/part.yaml', [{ path: 'mqtt.url', message: 'must match pattern' }, { path: 'links.0.port', message: 'is required' }]) }
    await runMain(spec({ load }), ['--config', '/etc/part.yaml'], t.hooks)
    expect(t.out.exits).toEqual([2])
    expect(t.out.stderr).toBe('liftwatch part: 配置无效 / invalid configuration: /etc/part.yaml\n  mqtt.url: must match pattern\n  links.0.port: is required\n')
  })

  it('a usage error from the command’s own checks: exit 2, each problem listed', async () => {
    const t = io()
    await runMain(spec({ load: () => { throw new UsageError(['--port: must be an integer', '--region: must be 6 digits']) } }), ['--config', 'x'], t.hooks)
    expect(t.out.exits).toEqual([2])
    expect(t.out.stderr).toBe('liftwatch part: invalid options\n  --port: must be an integer\n  --region: must be 6 digits\n')
  })

  it('a start failure: the message, the app stopped, exit 1', async () => {
    const app = new FakeApp(new Error('port 1883 in use'))
    const t = io()
    await runMain(spec({}, app), ['--config', 'x'], t.hooks)
    expect(t.out.exits).toEqual([1])
    expect(t.out.stderr).toBe('liftwatch part: port 1883 in use\n')
    expect(app.stops).toBe(1)
    expect(t.out.lines.map((l) => JSON.parse(l).msg)).toContain('part failed to start')
    expect(t.signals.listenerCount('SIGTERM')).toBe(0)
  })

  it('SIGTERM then SIGINT: one stop, exit 0; the root logger is named, levelled and redacts secrets', async () => {
    const app = new FakeApp()
    const t = io()
    const running = await runMain(spec({}, app), ['--config', 'x', '--log-level', 'debug', '--fast'], t.hooks)
    expect(running?.app).toBe(app)
    expect(app.starts).toBe(1)
    t.signals.emit('SIGTERM', 'SIGTERM')
    t.signals.emit('SIGINT', 'SIGINT')
    expect(await t.exited).toBe(0)
    await running!.stop('again')
    expect(app.stops).toBe(1)
    expect(t.out.exits).toEqual([0])
    const lines = t.out.lines.map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ name: 'liftwatch-part', msg: 'built', mqtt: { password: '[redacted]' }, token: '[redacted]', nested: { deeper: { hash: '[redacted]' } } })
    expect(t.out.lines.join('\n')).not.toContain('s3cret')
    expect(lines.find((l) => l.msg === 'part stopping')).toMatchObject({ reason: 'SIGTERM' })
  })

  it('through the real command: `liftwatch gateway --bogus` exits 2 without a stack trace', async () => {
    const r = await run(process.execPath, [LIFTWATCH, 'gateway', '--bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^liftwatch gateway: Unknown option '--bogus'/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('runMain reload hook', () => {
  it('SIGHUP reloads while running, never after the stop, and its listener goes with the stop', async () => {
    const app = new FakeApp()
    const t = io()
    const reloads: FakeApp[] = []
    const running = await runMain(spec({ reload: (a) => { reloads.push(a) } }, app), ['--config', 'x'], t.hooks)
    t.signals.emit('SIGHUP', 'SIGHUP')
    expect(reloads).toEqual([app])
    expect(t.out.exits).toEqual([])
    await running!.stop('test')
    expect(t.signals.listenerCount('SIGHUP')).toBe(0)
    t.signals.emit('SIGHUP', 'SIGHUP')
    expect(reloads).toHaveLength(1)
  })

  it('without a reload hook SIGHUP is not listened to', async () => {
    const t = io()
    const running = await runMain(spec(), ['--config', 'x'], t.hooks)
    expect(t.signals.listenerCount('SIGHUP')).toBe(0)
    await running!.stop('test')
  })
})
