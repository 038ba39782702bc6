// The first start of the real `liftwatch broker`: with no users it makes "admin" and prints the
// password once on stdout as a plain line, never in a log record; the password then logs in over
// HTTP; the second start prints nothing. With accounts.admin in the config, that admin is made.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startCli, type Cli } from '../../helpers/cli.ts'
import { AccountStore } from '../../../broker/accounts/store.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'

/** Lines of stdout that are not pino records (the helper wraps them as { msg }). */
const plain = (cli: Cli) => cli.lines.filter((l) => Object.keys(l).length === 1 && typeof l.msg === 'string')

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function setup(accounts = '') {
  const dir = mkdtempSync(join(tmpdir(), 'lw-first-admin-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const config = join(dir, 'broker.yaml')
  writeFileSync(config, [
    'mqtt: { listeners: { tcp: { host: 127.0.0.1, port: 0 } } }',
    'http: { host: 127.0.0.1, port: 0 }',
    'registry: { elevators: [] }',
    `alarms: { path: '${join(dir, 'alarms.db')}' }`,
    accounts,
  ].join('\n'))
  return { config, db: join(dir, 'accounts.db') }
}

async function broker(config: string): Promise<{ cli: Cli; port: number }> {
  const cli = startCli(['broker', '--config', config])
  cleanups.push(() => cli.stop())
  const started = await cli.waitFor('broker started')
  return { cli, port: started.http as number }
}

const login = (port: number, username: string, password: string) =>
  fetch(`http://127.0.0.1:${port}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) })

describe('first admin', () => {
  it('is made on the first start with a password printed once on stdout, not logged, that logs in', async () => {
    const { config, db } = setup()
    const first = await broker(config)
    const printed = plain(first.cli).filter((l) => /first admin/.test(String(l.msg)))
    expect(printed).toHaveLength(1)
    const m = /^首个管理员 first admin: admin {2}口令 password: (\S+) /.exec(String(printed[0]!.msg))
    expect(m).not.toBeNull()
    const password = m![1]!
    const logRecords = first.cli.lines.filter((l) => l !== printed[0])
    expect(logRecords.some((l) => l.msg === 'first admin created' && l.username === 'admin')).toBe(true)
    expect(JSON.stringify(logRecords) + first.cli.stderr.join('\n')).not.toContain(password)

    expect((await login(first.port, 'admin', 'not the password')).status).toBe(401)
    const ok = await login(first.port, 'admin', password)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ user: { username: 'admin', role: 'admin', scope: { all: true } } })
    expect(await first.cli.stop()).toBe(0)

    const second = await broker(config)
    expect(plain(second.cli).filter((l) => /first admin/.test(String(l.msg)))).toEqual([])
    expect(second.cli.lines.filter((l) => l.msg === 'first admin created')).toEqual([])
    expect((await login(second.port, 'admin', password)).status).toBe(200)
    await second.cli.stop()
    // the first start recorded its configuration; the second, unchanged, did not
    const store = new AccountStore({ path: db })
    store.start()
    expect(store.auditLog().filter((e) => !e.action.startsWith('login')).map((e) => [e.action, e.target])).toEqual([['user.add', 'admin'], ['config.change', 'broker']])
    store.stop()
  }, 60_000)

  it('comes from accounts.admin when the config names one, and nothing is printed', async () => {
    const hash = await hashPassword('configured by ops', { N: 1024, r: 8, p: 1 })
    const { config, db } = setup(`accounts: { admin: { username: chief, passwordHash: '${hash}' } }`)
    const b = await broker(config)
    expect(plain(b.cli).filter((l) => /password/.test(String(l.msg)))).toEqual([])
    expect(b.cli.lines.find((l) => l.msg === 'first admin created')).toMatchObject({ username: 'chief', fromConfig: true })
    expect((await login(b.port, 'chief', 'configured by ops')).status).toBe(200)
    await b.cli.stop()
    const store = new AccountStore({ path: db })
    store.start()
    expect(store.listUsers().map((u) => [u.username, u.role])).toEqual([['chief', 'admin']])
    store.stop()
  }, 60_000)
})
