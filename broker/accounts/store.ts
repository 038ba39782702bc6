// The accounts store on SQLite: users, login sessions, API tokens, login failures and the audit
// log. Secrets are never stored as given: passwords as scrypt hashes (broker/mqtt/passwords.ts),
// session ids and API tokens as SHA-256 (both are 256 random bits, so a fast hash is enough), and
// the audit table refuses UPDATE and DELETE by trigger.
import { createHash, randomBytes } from 'node:crypto'
import type Database from 'better-sqlite3'
import { openSqlite } from '../../core/sqlite.ts'
import { errorClass, type CodeOf } from '../../core/errors.ts'
import { DECOY_HASH, DEFAULT_SCRYPT, hashPassword, parseHash, verifyPassword, type ScryptParams } from '../mqtt/passwords.ts'
import { isRole, type Role } from './roles.ts'
import { checkScope, formatScope, parseScope } from './scope.ts'
import type { AuditEntry, AuditInput, Failures, NewUser, Session, SessionMeta, TokenInfo, User } from './types.ts'
import { MIGRATIONS } from './schema.ts'

export const AccountErrorCode = {
  Invalid: 'LW_ERR_ACCOUNT_INVALID',     // a username, role, scope or password that is not acceptable (data: field)
  Exists: 'LW_ERR_ACCOUNT_EXISTS',       // addUser with a username already taken
  NotFound: 'LW_ERR_ACCOUNT_NOT_FOUND',  // no such user or token
  NotStarted: 'LW_ERR_ACCOUNT_STORE',    // used before start() or after stop()
} as const
export type AccountErrorCode = CodeOf<typeof AccountErrorCode>
export class AccountError extends errorClass('AccountError', AccountErrorCode) {}

export type { Actor, AuditEntry, AuditInput, Failures, NewUser, Session, SessionMeta, TokenInfo, User } from './types.ts'

export interface AccountStoreOptions {
  /** SQLite file, or ':memory:' */
  path: string
  sessionIdleMinutes?: number
  sessionMaxHours?: number
  now?: () => number
  scrypt?: ScryptParams
}

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{1,31}$/
export const MIN_PASSWORD = 10
export const MAX_AUDIT = 10_000
/** Login failures older than this neither count nor stay. */
export const FAILURE_WINDOW_MS = 24 * 3_600_000

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex')
const secret = (prefix = ''): string => prefix + randomBytes(32).toString('base64url')
/** A password for a person to type: 16 characters of base64url (96 bits). */
export const generatePassword = (): string => randomBytes(12).toString('base64url')

interface UserRow { id: number; username: string; name: string; role: string; scope: string; password_hash: string; disabled: number; created_at: number }

export class AccountStore {
  private db: Database.Database | null = null
  private readonly now: () => number

  constructor(private readonly opts: AccountStoreOptions) {
    this.now = opts.now ?? Date.now
  }

  start(): void {
    this.db ??= openSqlite(this.opts.path, { migrations: MIGRATIONS })
  }

  stop(): void {
    this.db?.close()
    this.db = null
  }

  private get idleMs(): number {
    return (this.opts.sessionIdleMinutes ?? 30) * 60_000
  }

  private get maxMs(): number {
    return (this.opts.sessionMaxHours ?? 12) * 3_600_000
  }

  private get d(): Database.Database {
    if (!this.db) throw new AccountError(AccountErrorCode.NotStarted, 'account store not started')
    return this.db
  }

  // ---- users

  async addUser(u: NewUser): Promise<User> {
    const bad = invalidUser(u)
    if (bad) throw new AccountError(AccountErrorCode.Invalid, bad.message, { field: bad.field })
    if (this.user(u.username)) throw new AccountError(AccountErrorCode.Exists, `user ${u.username} exists`, { username: u.username })
    const hash = u.passwordHash ?? await hashPassword(u.password!, this.opts.scrypt ?? DEFAULT_SCRYPT)
    const id = this.d.prepare('INSERT INTO users (username, name, role, scope, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)')
      .run(u.username, u.name, u.role, formatScope(u.scope), hash, this.now()).lastInsertRowid
    return this.userById(Number(id))!
  }

  user(username: string): User | null {
    return toUser(this.d.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined)
  }

  userById(id: number): User | null {
    return toUser(this.d.prepare('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined)
  }

  listUsers(): User[] {
    return (this.d.prepare('SELECT * FROM users ORDER BY username').all() as UserRow[]).map((r) => toUser(r)!)
  }

  count(): number {
    return (this.d.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n
  }

  /** A new password ends the user's sessions. */
  async setPassword(username: string, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD) throw new AccountError(AccountErrorCode.Invalid, `password shorter than ${MIN_PASSWORD}`, { field: 'password' })
    const u = this.mustUser(username)
    const hash = await hashPassword(password, this.opts.scrypt ?? DEFAULT_SCRYPT)
    this.d.prepare('UPDATE users SET password_hash = ? WHERE id = ?').run(hash, u.id)
    this.d.prepare('DELETE FROM sessions WHERE user_id = ?').run(u.id)
  }

  /** Ends the user's sessions and revokes their tokens; the row stays, for the audit log's sake. */
  disable(username: string): void {
    const u = this.mustUser(username)
    this.d.transaction(() => {
      this.d.prepare('UPDATE users SET disabled = 1 WHERE id = ?').run(u.id)
      this.d.prepare('DELETE FROM sessions WHERE user_id = ?').run(u.id)
      this.d.prepare('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(this.now(), u.id)
    })()
  }

  /** The user when the password is theirs and they are enabled. Unknown names pay one scrypt too. */
  async verifyPassword(username: string, password: string): Promise<User | null> {
    const row = this.d.prepare('SELECT * FROM users WHERE username = ?').get(username) as UserRow | undefined
    const ok = await verifyPassword(password, row?.password_hash ?? DECOY_HASH)
    return ok && row && !row.disabled ? toUser(row) : null
  }

  /**
   * The first admin, when there are no users: from config (`accounts.admin`) or with a random
   * password, returned once so that main can print it. null when users exist already.
   */
  async ensureFirstAdmin(admin?: { username: string; passwordHash: string }): Promise<{ username: string; password: string | null } | null> {
    if (this.count() > 0) return null
    const username = admin?.username ?? 'admin'
    const password = admin ? null : generatePassword()
    await this.addUser({ username, name: username, role: 'admin', scope: { all: true }, ...(password ? { password } : { passwordHash: admin!.passwordHash }) })
    this.audit({ actor: null, action: 'user.add', target: username, detail: { role: 'admin', firstStart: true } })
    return { username, password }
  }

  private mustUser(username: string): User {
    const u = this.user(username)
    if (!u) throw new AccountError(AccountErrorCode.NotFound, `no user ${username}`, { username })
    return u
  }

  // ---- sessions: the cookie holds the id; the table holds its SHA-256

  createSession(userId: number, meta: SessionMeta): { id: string; csrf: string } {
    const id = secret()
    const csrf = secret()
    const now = this.now()
    // expired sessions nobody asks about again (a closed browser) go here, not piling up
    this.d.prepare('DELETE FROM sessions WHERE last_seen < ? OR created_at < ?').run(now - this.idleMs, now - this.maxMs)
    this.d.prepare('INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(sha256(id), userId, csrf, now, now, meta.ip, meta.userAgent.slice(0, 256))
    return { id, csrf }
  }

  /** The live session, or null when unknown, idle too long, too old, or its user disabled (then it is deleted). */
  session(id: string): Session | null {
    const row = this.d.prepare('SELECT * FROM sessions WHERE id_hash = ?').get(sha256(id)) as
      { id_hash: string; user_id: number; csrf: string; created_at: number; last_seen: number } | undefined
    if (!row) return null
    const now = this.now()
    const user = this.userById(row.user_id)
    if (!user || user.disabled || now - row.last_seen > this.idleMs || now - row.created_at > this.maxMs) {
      this.d.prepare('DELETE FROM sessions WHERE id_hash = ?').run(row.id_hash)
      return null
    }
    return { user, csrf: row.csrf, createdAt: row.created_at, lastSeen: row.last_seen }
  }

  touch(id: string): void {
    this.d.prepare('UPDATE sessions SET last_seen = ? WHERE id_hash = ?').run(this.now(), sha256(id))
  }

  endSession(id: string): void {
    this.d.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(id))
  }

  // ---- API tokens

  /** The plaintext, returned this once; only its SHA-256 is kept. */
  createToken(userId: number, name: string): string {
    if (!this.userById(userId)) throw new AccountError(AccountErrorCode.NotFound, `no user id ${userId}`, { userId })
    const token = secret('lw_')
    this.d.prepare('INSERT INTO tokens (hash, user_id, name, created_at) VALUES (?, ?, ?, ?)').run(sha256(token), userId, name, this.now())
    return token
  }

  tokenUser(plaintext: string): { user: User; tokenId: number } | null {
    const row = this.d.prepare('SELECT id, user_id FROM tokens WHERE hash = ? AND revoked_at IS NULL').get(sha256(plaintext)) as { id: number; user_id: number } | undefined
    if (!row) return null
    const user = this.userById(row.user_id)
    if (!user || user.disabled) return null
    // to the minute: an integration polling every second should not mean a disk write every second
    const now = this.now()
    this.d.prepare('UPDATE tokens SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used <= ?)').run(now, row.id, now - 60_000)
    return { user, tokenId: row.id }
  }

  revokeToken(id: number): void {
    const r = this.d.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(this.now(), id)
    if (r.changes === 0 && !this.d.prepare('SELECT 1 FROM tokens WHERE id = ?').get(id)) {
      throw new AccountError(AccountErrorCode.NotFound, `no token ${id}`, { tokenId: id })
    }
  }

  listTokens(): TokenInfo[] {
    return (this.d.prepare(`SELECT t.id, t.user_id, u.username, t.name, t.created_at, t.last_used, t.revoked_at
      FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id`).all() as
      { id: number; user_id: number; username: string; name: string; created_at: number; last_used: number | null; revoked_at: number | null }[])
      .map((r) => ({ id: r.id, userId: r.user_id, username: r.username, name: r.name, createdAt: r.created_at, lastUsed: r.last_used, revokedAt: r.revoked_at }))
  }

  // ---- login failures, per username (unknown names too: guessing them is an attack as well)

  /** The count after this failure. */
  recordFailure(username: string, ip: string): number {
    const now = this.now()
    // bounded: guessing at random usernames leaves a day's rows at most
    this.d.prepare('DELETE FROM login_failures WHERE at < ?').run(now - FAILURE_WINDOW_MS)
    this.d.prepare('INSERT INTO login_failures (username, at, ip) VALUES (?, ?, ?)').run(username, now, ip)
    return this.failures(username).count
  }

  failures(username: string): Failures {
    const r = this.d.prepare('SELECT count(*) AS count, max(at) AS lastAt FROM login_failures WHERE username = ? AND at >= ?')
      .get(username, this.now() - FAILURE_WINDOW_MS) as Failures
    return { count: r.count, lastAt: r.lastAt ?? null }
  }

  clearFailures(username: string): void {
    this.d.prepare('DELETE FROM login_failures WHERE username = ?').run(username)
  }

  // ---- audit: append-only

  audit(e: AuditInput): AuditEntry {
    const a = e.actor
    const who = a === null ? [null, null, null, null] : a === 'cli' ? ['cli', null, null, 'cli'] : [a.username, a.name, a.role, a.via]
    const id = this.d.prepare('INSERT INTO audit (at, actor, actor_name, role, via, action, target, detail, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(this.now(), ...who, e.action, e.target ?? null, e.detail ? JSON.stringify(e.detail) : null, e.ip ?? null).lastInsertRowid
    return this.auditLog({ afterId: Number(id) - 1, limit: 1 })[0]!
  }

  /** The newest entry of this action, or null. */
  lastAudit(action: string): AuditEntry | null {
    const row = this.d.prepare('SELECT id FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1').get(action) as { id: number } | undefined
    return row ? this.auditLog({ afterId: row.id - 1, limit: 1 })[0]! : null
  }

  /** Oldest first from `since` (ms) or after `afterId`; at most `limit` (default and cap MAX_AUDIT) entries. */
  auditLog(q: { since?: number; afterId?: number; limit?: number } = {}): AuditEntry[] {
    const limit = Math.min(q.limit ?? MAX_AUDIT, MAX_AUDIT)
    const rows = this.d.prepare('SELECT * FROM audit WHERE at >= ? AND id > ? ORDER BY id LIMIT ?').all(q.since ?? 0, q.afterId ?? 0, limit) as
      { id: number; at: number; actor: string | null; actor_name: string | null; role: string | null; via: string | null; action: string; target: string | null; detail: string | null; ip: string | null }[]
    return rows.map((r) => ({
      id: r.id, at: r.at, actor: r.actor, actorName: r.actor_name, role: r.role as Role | null, via: r.via as AuditEntry['via'],
      action: r.action, target: r.target, detail: r.detail === null ? null : JSON.parse(r.detail) as Record<string, unknown>, ip: r.ip,
    }))
  }
}

function toUser(r: UserRow | undefined): User | null {
  if (!r) return null
  return { id: r.id, username: r.username, name: r.name, role: r.role as Role, scope: parseScope(r.scope)!, disabled: r.disabled === 1, createdAt: r.created_at }
}

function invalidUser(u: NewUser): { field: string; message: string } | null {
  if (!USERNAME_PATTERN.test(u.username)) return { field: 'username', message: `username must match ${USERNAME_PATTERN.source}` }
  if (!u.name.trim() || u.name.length > 64) return { field: 'name', message: 'name must be 1…64 characters' }
  if (!isRole(u.role)) return { field: 'role', message: `unknown role ${String(u.role)}` }
  const scope = checkScope(u.role, u.scope)
  if (scope) return { field: 'scope', message: scope }
  if ((u.password === undefined) === (u.passwordHash === undefined)) return { field: 'password', message: 'give a password or a password hash' }
  if (u.password !== undefined && u.password.length < MIN_PASSWORD) return { field: 'password', message: `password shorter than ${MIN_PASSWORD}` }
  if (u.passwordHash !== undefined) {
    try { parseHash(u.passwordHash) } catch { return { field: 'passwordHash', message: 'not an scrypt hash' } }
  }
  return null
}
