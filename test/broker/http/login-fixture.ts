// A real AccountStore on ':memory:' with one user per role the HTTP tests need, and a real login
// through POST /api/login: the cookie and csrf token the tests then send.
import type { FastifyInstance, InjectOptions } from 'fastify'
import { AccountStore } from '../../../broker/accounts/store.ts'
import type { Scope } from '../../../broker/accounts/scope.ts'
import type { Role } from '../../../broker/accounts/roles.ts'

// the lowest scrypt cost passwords.ts accepts: logins in tests take ~1 ms, not ~50
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 }
export const PASSWORD = 'correct horse battery'

export interface TestUser { username: string; name: string; role: Role; scope: Scope }
export const USERS: readonly TestUser[] = [
  { username: 'desk', name: '值班员 张三', role: 'desk', scope: { region: '330922' } },
  { username: 'admin', name: 'Admin', role: 'admin', scope: { all: true } },
  { username: 'property', name: '物业 李四', role: 'property', scope: { org: 'sunshine-pm' } },
]

export interface Clock { now: () => number; t: number }

/** Started; the caller stops it. `clock.t` moves the store's time. */
export async function testAccounts(clock?: Clock): Promise<AccountStore> {
  const accounts = new AccountStore({ path: ':memory:', scrypt: FAST_SCRYPT, ...(clock ? { now: clock.now } : {}) })
  accounts.start()
  for (const u of USERS) await accounts.addUser({ ...u, password: PASSWORD })
  return accounts
}

export interface Login {
  cookie: string
  csrf: string
  /** headers of a logged-in request; `write` adds the csrf token */
  headers(write?: boolean): Record<string, string>
}

export async function login(app: FastifyInstance, username = 'desk', password = PASSWORD): Promise<Login> {
  const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`)
  const set = res.cookies.find((c) => c.name === 'lw_session')
  if (!set) throw new Error('login set no lw_session cookie')
  const cookie = `lw_session=${set.value}`
  const { csrf } = res.json() as { csrf: string }
  return { cookie, csrf, headers: (write = false) => ({ cookie, ...(write ? { 'x-csrf-token': csrf } : {}) }) }
}

/** app.inject with the login's cookie (and csrf token on writes). */
export function as(app: FastifyInstance, who: Login, opts: InjectOptions | string) {
  const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts
  const write = o.method !== undefined && !['GET', 'HEAD'].includes(String(o.method))
  return app.inject({ ...o, headers: { ...o.headers, ...who.headers(write) } })
}
