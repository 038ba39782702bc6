import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { AccountError, AccountStore, type NewUser } from '../../../broker/accounts/store.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import type { Principal } from '../../../broker/accounts/scope.ts'

// the cheapest scrypt parameters passwords.ts accepts: these tests are about the store, not the KDF
const FAST = { N: 1024, r: 1, p: 1 }
const T0 = Date.UTC(2026, 11, 5, 8, 0, 0)
const MIN = 60_000

const dirs: string[] = []
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-accounts-'))
  dirs.push(dir)
  return join(dir, 'accounts.db')
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function opened(path = ':memory:', opts: { idle?: number; max?: number } = {}) {
  const clock = { t: T0 }
  const store = new AccountStore({ path, now: () => clock.t, scrypt: FAST, sessionIdleMinutes: opts.idle ?? 30, sessionMaxHours: opts.max ?? 12 })
  store.start()
  return { store, clock }
}

const desk: NewUser = { username: 'desk1', name: '值班员 王', role: 'desk', scope: { region: '330922' }, password: 'correct horse battery' }
const meta = { ip: '127.0.0.1', userAgent: 'test' }

/** The bytes of the database and its write-ahead log, as a thief of the disk would read them. */
const fileBytes = (path: string) => Buffer.concat([readFileSync(path), ...(existsSync(`${path}-wal`) ? [readFileSync(`${path}-wal`)] : [])]).toString('latin1')

describe('AccountStore users', () => {
  it('adds, finds and lists users; verifies passwords; refuses duplicates and bad input', async () => {
    const { store } = opened()
    const u = await store.addUser(desk)
    expect(u).toMatchObject({ username: 'desk1', name: '值班员 王', role: 'desk', scope: { region: '330922' }, disabled: false, createdAt: T0 })
    expect(u).not.toHaveProperty('passwordHash')
    expect(store.user('desk1')).toEqual(u)
    expect(store.userById(u.id)).toEqual(u)
    expect(store.count()).toBe(1)
    await store.addUser({ username: 'maint', name: 'Acme', role: 'maintenance', scope: { org: 'acme-lifts' }, password: 'another password' })
    expect(store.listUsers().map((x) => x.username)).toEqual(['desk1', 'maint'])

    expect(await store.verifyPassword('desk1', 'correct horse battery')).toEqual(u)
    expect(await store.verifyPassword('desk1', 'wrong horse battery')).toBeNull()
    expect(await store.verifyPassword('nobody', 'correct horse battery')).toBeNull()

    await expect(store.addUser(desk)).rejects.toMatchObject({ code: 'LW_ERR_ACCOUNT_EXISTS' })
    await expect(store.addUser({ ...desk, username: 'Bad Name' })).rejects.toMatchObject({ code: 'LW_ERR_ACCOUNT_INVALID', data: { field: 'username' } })
    await expect(store.addUser({ ...desk, username: 'short', password: 'short' })).rejects.toMatchObject({ data: { field: 'password' } })
    await expect(store.addUser({ ...desk, username: 'twn', role: 'township', scope: { region: '3309' } })).rejects.toMatchObject({ data: { field: 'scope' } })
    await expect(store.addUser({ ...desk, username: 'root', role: 'desk', scope: { all: true } })).rejects.toBeInstanceOf(AccountError)
    expect(store.count()).toBe(2)
    store.stop()
  })

  it('takes a ready scrypt hash (accounts.admin in the config)', async () => {
    const { store } = opened()
    const passwordHash = await hashPassword('from the config file', FAST)
    await store.addUser({ username: 'boss', name: 'Boss', role: 'admin', scope: { all: true }, passwordHash })
    expect(await store.verifyPassword('boss', 'from the config file')).toMatchObject({ username: 'boss' })
    await expect(store.addUser({ username: 'x2', name: 'X', role: 'admin', scope: { all: true }, passwordHash: 'plain' })).rejects.toMatchObject({ data: { field: 'passwordHash' } })
    store.stop()
  })

  it('a disabled user cannot log in, and loses sessions and tokens', async () => {
    const { store } = opened()
    const u = await store.addUser(desk)
    const s = store.createSession(u.id, meta)
    const token = store.createToken(u.id, 'ticket system')
    store.disable('desk1')
    expect(store.user('desk1')!.disabled).toBe(true)
    expect(await store.verifyPassword('desk1', 'correct horse battery')).toBeNull()
    expect(store.session(s.id)).toBeNull()
    expect(store.tokenUser(token)).toBeNull()
    expect(store.listTokens()[0]!.revokedAt).toBe(T0)
    expect(() => store.disable('nobody')).toThrow(/no user nobody/)
    store.stop()
  })

  it('a new password replaces the old one and ends the sessions', async () => {
    const { store } = opened()
    const u = await store.addUser(desk)
    const s = store.createSession(u.id, meta)
    await store.setPassword('desk1', 'a brand new password')
    expect(await store.verifyPassword('desk1', 'correct horse battery')).toBeNull()
    expect(await store.verifyPassword('desk1', 'a brand new password')).toMatchObject({ username: 'desk1' })
    expect(store.session(s.id)).toBeNull()
    store.stop()
  })

  it('makes the first admin once, with a random password, or from the config', async () => {
    const { store } = opened()
    const made = await store.ensureFirstAdmin()
    expect(made).toMatchObject({ username: 'admin', password: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) })
    expect(await store.verifyPassword('admin', made!.password!)).toMatchObject({ role: 'admin', scope: { all: true } })
    expect(await store.ensureFirstAdmin()).toBeNull()
    expect(store.count()).toBe(1)
    expect(store.auditLog().map((e) => [e.action, e.target])).toEqual([['user.add', 'admin']])
    expect(JSON.stringify(store.auditLog())).not.toContain(made!.password!)

    const other = opened().store
    const passwordHash = await hashPassword('configured admin pw', FAST)
    expect(await other.ensureFirstAdmin({ username: 'chief', passwordHash })).toEqual({ username: 'chief', password: null })
    expect(await other.verifyPassword('chief', 'configured admin pw')).toMatchObject({ role: 'admin' })
    store.stop()
    other.stop()
  })
})

describe('AccountStore sessions', () => {
  it('keeps only a hash of the session id, and ends a session after 30 idle minutes', async () => {
    const path = tempFile()
    const { store, clock } = opened(path)
    const u = await store.addUser(desk)
    const s = store.createSession(u.id, meta)
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(store.session(s.id)).toEqual({ user: u, csrf: s.csrf, createdAt: T0, lastSeen: T0 })
    expect(store.session('not-a-session')).toBeNull()

    clock.t = T0 + 29 * MIN
    store.touch(s.id)
    clock.t = T0 + 58 * MIN
    expect(store.session(s.id)).toMatchObject({ lastSeen: T0 + 29 * MIN })
    clock.t = T0 + 29 * MIN + 30 * MIN + 1
    expect(store.session(s.id)).toBeNull()
    // gone for good, not just hidden: a clock set back does not revive it
    clock.t = T0
    expect(store.session(s.id)).toBeNull()

    store.stop()
    const bytes = fileBytes(path)
    expect(bytes).not.toContain(s.id)
    expect(bytes).toContain(createHash('sha256').update(s.id).digest('hex'))
  })

  it('ends a busy session at its absolute age, and on logout', async () => {
    const { store, clock } = opened(':memory:', { idle: 30, max: 2 })
    const u = await store.addUser(desk)
    const s = store.createSession(u.id, meta)
    for (let m = 20; m < 120; m += 20) {
      clock.t = T0 + m * MIN
      expect(store.session(s.id)).not.toBeNull()
      store.touch(s.id)
    }
    clock.t = T0 + 120 * MIN + 1
    expect(store.session(s.id)).toBeNull()

    const s2 = store.createSession(u.id, meta)
    expect(s2.id).not.toBe(s.id)
    expect(s2.csrf).not.toBe(s.csrf)
    store.endSession(s2.id)
    expect(store.session(s2.id)).toBeNull()
    store.stop()
  })

  it('prunes expired sessions nobody asks about again when the next is made', async () => {
    const path = tempFile()
    const { store, clock } = opened(path)
    const u = await store.addUser(desk)
    store.createSession(u.id, meta)
    store.createSession(u.id, meta)
    clock.t = T0 + 31 * MIN
    const live = store.createSession(u.id, meta)
    const db = new Database(path, { readonly: true })
    expect(db.prepare('SELECT last_seen FROM sessions').all()).toEqual([{ last_seen: T0 + 31 * MIN }])
    db.close()
    expect(store.session(live.id)).not.toBeNull()
    store.stop()
  })
})

describe('AccountStore tokens', () => {
  it('stores tokens hashed, records their last use, and revokes them', async () => {
    const path = tempFile()
    const { store, clock } = opened(path)
    const u = await store.addUser(desk)
    const token = store.createToken(u.id, 'ticket system')
    expect(token).toMatch(/^lw_[A-Za-z0-9_-]{43}$/)
    expect(store.listTokens()).toEqual([{ id: 1, userId: u.id, username: 'desk1', name: 'ticket system', createdAt: T0, lastUsed: null, revokedAt: null }])

    clock.t = T0 + 5 * MIN
    expect(store.tokenUser(token)).toEqual({ user: u, tokenId: 1 })
    expect(store.listTokens()[0]!.lastUsed).toBe(T0 + 5 * MIN)
    // within the minute the stored time stays; after it, it moves
    clock.t = T0 + 5 * MIN + 30_000
    store.tokenUser(token)
    expect(store.listTokens()[0]!.lastUsed).toBe(T0 + 5 * MIN)
    clock.t = T0 + 6 * MIN
    store.tokenUser(token)
    expect(store.listTokens()[0]!.lastUsed).toBe(T0 + 6 * MIN)
    expect(store.tokenUser(`${token}x`)).toBeNull()
    expect(JSON.stringify(store.listTokens())).not.toContain(token)

    store.stop()
    const bytes = fileBytes(path)
    expect(bytes).not.toContain(token)
    expect(bytes).not.toContain(token.slice(3))
    expect(bytes).toContain(createHash('sha256').update(token).digest('hex'))

    store.start()
    expect(store.tokenUser(token)).toMatchObject({ tokenId: 1 })
    clock.t = T0 + 6 * MIN
    store.revokeToken(1)
    expect(store.tokenUser(token)).toBeNull()
    expect(store.listTokens()[0]).toMatchObject({ lastUsed: T0 + 6 * MIN, revokedAt: T0 + 6 * MIN })
    expect(() => store.revokeToken(99)).toThrow(/no token 99/)
    expect(() => store.createToken(99, 'x')).toThrow(/no user id 99/)
    store.stop()
  })
})

describe('AccountStore login failures', () => {
  it('counts failures per username until cleared', () => {
    const { store, clock } = opened()
    expect(store.failures('desk1')).toEqual({ count: 0, lastAt: null })
    for (let i = 1; i <= 3; i++) {
      clock.t = T0 + i * 1000
      expect(store.recordFailure('desk1', '10.0.0.9')).toBe(i)
    }
    store.recordFailure('someone-else', '10.0.0.9')
    expect(store.failures('desk1')).toEqual({ count: 3, lastAt: T0 + 3000 })
    store.clearFailures('desk1')
    expect(store.failures('desk1')).toEqual({ count: 0, lastAt: null })
    expect(store.failures('someone-else').count).toBe(1)
    // a day later the old ones neither count nor stay
    clock.t = T0 + 24 * 3_600_000 + 5000
    expect(store.failures('someone-else').count).toBe(0)
    store.recordFailure('desk1', '10.0.0.9')
    expect(store.failures('desk1')).toEqual({ count: 1, lastAt: clock.t })
    store.stop()
  })
})

describe('AccountStore audit', () => {
  const actor: Principal = { userId: 1, username: 'desk1', name: '值班员 王', role: 'desk', scope: { region: '330922' }, via: 'session', sessionId: 'secret-session-id' }

  it('appends who, when, what and from where; the table refuses UPDATE and DELETE', () => {
    const path = tempFile()
    const { store, clock } = opened(path)
    const first = store.audit({ actor, action: 'alarm.ack', target: '01HX0000000000A0', detail: { note: '已派人' }, ip: '10.0.0.5' })
    expect(first).toEqual({ id: 1, at: T0, actor: 'desk1', actorName: '值班员 王', role: 'desk', via: 'session', action: 'alarm.ack', target: '01HX0000000000A0', detail: { note: '已派人' }, ip: '10.0.0.5' })
    clock.t = T0 + MIN
    store.audit({ actor: null, action: 'login.failed', target: 'desk1', ip: '10.0.0.9' })
    clock.t = T0 + 2 * MIN
    store.audit({ actor: 'cli', action: 'user.add', target: 'twn-a' })
    expect(store.auditLog().map((e) => [e.actor, e.via, e.action])).toEqual([['desk1', 'session', 'alarm.ack'], [null, null, 'login.failed'], ['cli', 'cli', 'user.add']])
    expect(store.auditLog({ since: T0 + MIN }).map((e) => e.id)).toEqual([2, 3])
    expect(store.auditLog({ limit: 1 }).map((e) => e.id)).toEqual([1])
    // the session id of the actor is not what is recorded
    expect(JSON.stringify(store.auditLog())).not.toContain('secret-session-id')
    store.stop()

    const db = new Database(path)
    expect(() => db.prepare("UPDATE audit SET actor = 'someone'").run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM audit WHERE id = 1').run()).toThrow(/append-only/)
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/)
    expect((db.prepare('SELECT count(*) AS n FROM audit').get() as { n: number }).n).toBe(3)
    db.close()
  })
})
