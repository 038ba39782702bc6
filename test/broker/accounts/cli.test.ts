// `liftwatch user` as a real child process on a real accounts file: what it makes, the store then
// verifies; what it prints once is not kept anywhere.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { LIFTWATCH, liftwatchWithStdin, run } from '../../helpers/cli.ts'
import { AccountStore } from '../../../broker/accounts/store.ts'
import { parseBrokerConfig } from '../../../broker/config.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'lw-user-cli-'))
  dirs.push(dir)
  const db = join(dir, 'accounts.db')
  const config = join(dir, 'broker.yaml')
  writeFileSync(config, `mqtt: {}\nregistry: { elevators: [] }\naccounts: { path: '${db}' }\n`)
  const user = (...args: string[]) => run(process.execPath, [LIFTWATCH, 'user', ...args, '--config', config], 30_000)
  const open = () => {
    const s = new AccountStore({ path: db })
    s.start()
    return s
  }
  return { user, open, config }
}

const withStdin = (args: string[], stdin: string) => liftwatchWithStdin(['user', ...args], stdin)

describe('liftwatch user', () => {
  it('adds a user with a generated password printed once, which then verifies; list, passwd and disable follow', async () => {
    const { user, open, config } = setup()
    const added = await user('add', 'twn-a', '--role', 'township', '--scope', 'region:330922001', '--name', '乡镇 A 安全员')
    expect(added.code, added.stderr).toBe(0)
    const password = /password 口令: (\S+)/.exec(added.stdout)?.[1]
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/)

    let store = open()
    expect(await store.verifyPassword('twn-a', password!)).toMatchObject({ username: 'twn-a', name: '乡镇 A 安全员', role: 'township', scope: { region: '330922001' } })
    expect(store.auditLog().map((e) => [e.actor, e.action, e.target])).toEqual([['cli', 'user.add', 'twn-a']])
    expect(JSON.stringify(store.auditLog())).not.toContain(password)
    store.stop()

    const listed = await user('list')
    expect(listed.stdout).toMatch(/^twn-a\s+township\s+region:330922001\s+enabled\s+乡镇 A 安全员$/m)

    const changed = await withStdin(['passwd', 'twn-a', '--password-stdin', '--config', config], 'typed by the admin\n')
    expect(changed.code, changed.stderr).toBe(0)
    expect(changed.stdout).not.toContain('typed by the admin')
    store = open()
    expect(await store.verifyPassword('twn-a', password!)).toBeNull()
    expect(await store.verifyPassword('twn-a', 'typed by the admin')).toMatchObject({ username: 'twn-a' })
    store.stop()

    expect((await user('disable', 'twn-a')).code).toBe(0)
    store = open()
    expect(await store.verifyPassword('twn-a', 'typed by the admin')).toBeNull()
    expect(store.auditLog().map((e) => e.action)).toEqual(['user.add', 'user.passwd', 'user.disable'])
    store.stop()
    expect((await user('list')).stdout).toMatch(/^twn-a\s.*disabled/m)
  }, 60_000)

  it('adds a user whose password comes from stdin', async () => {
    const { open, config } = setup()
    const r = await withStdin(['add', 'maint', '--role', 'maintenance', '--scope', 'org:acme-lifts', '--password-stdin', '--config', config], 'piped in password\n')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toMatch(/口令:/)
    const store = open()
    expect(await store.verifyPassword('maint', 'piped in password')).toMatchObject({ role: 'maintenance', scope: { org: 'acme-lifts' } })
    store.stop()
  })

  it('makes, lists and revokes an API token shown once', async () => {
    const { user, open } = setup()
    expect((await user('add', 'desk1', '--role', 'desk', '--scope', 'region:330922')).code).toBe(0)
    const made = await user('token', 'add', 'desk1', '--name', 'ticket system')
    expect(made.code, made.stderr).toBe(0)
    const token = /^(lw_\S+)$/m.exec(made.stdout)?.[1]
    let store = open()
    expect(store.tokenUser(token!)).toMatchObject({ user: { username: 'desk1' }, tokenId: 1 })
    store.stop()
    const listed = await user('token', 'list')
    expect(listed.stdout).toMatch(/^\s+1 desk1\s+ticket system\s+last used 20/m)
    expect(listed.stdout).not.toContain(token)
    expect((await user('token', 'revoke', '1')).code).toBe(0)
    store = open()
    expect(store.tokenUser(token!)).toBeNull()
    expect(store.auditLog().map((e) => e.action)).toEqual(['user.add', 'token.create', 'token.revoke'])
    store.stop()
  }, 60_000)

  it('refuses bad input with a message and a non-zero exit, changing nothing', async () => {
    const { user, open } = setup()
    const badRole = await user('add', 'x1', '--role', 'root', '--scope', 'all')
    expect(badRole.code).toBe(2)
    expect(badRole.stderr).toMatch(/--role must be one of admin, bureau/)
    const badScope = await user('add', 'x1', '--role', 'township', '--scope', 'region:3309')
    expect(badScope.code).toBe(1)
    expect(badScope.stderr).toMatch(/6, 9 or 12 digits/)
    const unknown = await user('disable', 'nobody')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/no user nobody/)
    const noConfig = await run(process.execPath, [LIFTWATCH, 'user', 'list'])
    expect(noConfig.code).toBe(2)
    expect(noConfig.stderr).toMatch(/--config is required/)
    const store = open()
    expect(store.count()).toBe(0)
    store.stop()
  }, 60_000)
})

describe('broker config: accounts', () => {
  const minimal = { mqtt: {}, registry: { elevators: [] } }

  it('puts accounts.db beside the alarm store by default, with 30 idle minutes and 12 hours', () => {
    expect(parseBrokerConfig(minimal).accounts).toEqual({ path: 'data/accounts.db', sessionIdleMinutes: 30, sessionMaxHours: 12 })
    expect(parseBrokerConfig({ ...minimal, alarms: { path: '/var/lib/liftwatch/alarms.db' } }).accounts.path).toBe('/var/lib/liftwatch/accounts.db')
    expect(parseBrokerConfig({ ...minimal, accounts: { path: ':memory:' } }).accounts.path).toBe(':memory:')
  })

  it('refuses an admin whose password is not a hash', () => {
    expect(() => parseBrokerConfig({ ...minimal, accounts: { admin: { username: 'admin', passwordHash: 'hunter2' } } }, 'broker.yaml'))
      .toThrow(/accounts\.admin\.passwordHash/)
  })
})
