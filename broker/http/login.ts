// POST /api/login, POST /api/logout, GET /api/me. A login is refused with 429 while its username
// is in backoff (lockout.ts) and per client address by @fastify/rate-limit; every attempt is
// counted in /metrics and written to the audit log with the address it came from.
import rateLimit from '@fastify/rate-limit'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { AccountStore, User } from '../accounts/store.ts'
import { principalOf, SESSION_COOKIE, sessionCsrf, setSessionCookie } from './auth.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { defaultLockoutPolicy, lockoutWait, type LockoutPolicy } from './lockout.ts'
import type { HttpMetrics } from './metrics.ts'
import { strictValidator } from './strict-body.ts'

export interface LoginOptions {
  accounts: AccountStore
  metrics: HttpMetrics
  secure: boolean
  lockout?: LockoutPolicy | undefined
  /** attempts per client address and minute on POST /api/login */
  loginsPerMinute?: number | undefined
  now?: (() => number) | undefined
}

export const DEFAULT_LOGINS_PER_MINUTE = 30

const LoginBody = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
}, { additionalProperties: false })

const NoQuery = Type.Object({}, { additionalProperties: false })

export const publicUser = (u: Pick<User, 'username' | 'name' | 'role' | 'scope'>) => ({ username: u.username, name: u.name, role: u.role, scope: u.scope })

export function registerLogin(app: FastifyInstance, opts: LoginOptions): void {
  const { accounts, metrics } = opts
  const policy = opts.lockout ?? defaultLockoutPolicy
  const now = opts.now ?? Date.now
  void app.register(rateLimit, { global: false })
  // in a child context registered after the plugin, so its onRoute hook sees the route
  void app.register(async (scope) => {
    scope.post<{ Body: Static<typeof LoginBody> }>('/api/login', {
      schema: { body: LoginBody, querystring: NoQuery },
      validatorCompiler: strictValidator, // {"username": 123} is an error, not "123"
      config: { rateLimit: { max: opts.loginsPerMinute ?? DEFAULT_LOGINS_PER_MINUTE, timeWindow: 60_000 } },
    }, async (req, reply) => {
      // usernames are lower case (broker/accounts/store.ts): `Desk` is desk, for the backoff too
      const username = req.body.username.trim().toLowerCase()
      const { password } = req.body
      const ip = req.ip
      const wait = lockoutWait(accounts.failures(username), now(), policy)
      if (wait > 0) {
        const retryAfter = Math.ceil(wait / 1000)
        metrics.loginFailures.inc({ reason: 'locked' })
        accounts.audit({ actor: null, action: 'login.failed', target: username, detail: { reason: 'locked', retryAfter }, ip })
        return reply.code(429).header('retry-after', String(retryAfter))
          .send({ ...errorBody(429, HttpErrorCode.LoginLocked, `too many failed logins for this user; retry in ${retryAfter} s`), retryAfter })
      }
      // charged before the check, so parallel guesses cannot all pass the wait above; a success clears it
      const count = accounts.recordFailure(username, ip)
      const user = await accounts.verifyPassword(username, password)
      if (!user) {
        metrics.loginFailures.inc({ reason: 'password' })
        if (count >= policy.threshold) metrics.loginLockouts.inc()
        accounts.audit({ actor: null, action: 'login.failed', target: username, detail: { reason: 'password', failures: count }, ip })
        return reply.code(401).send(errorBody(401, HttpErrorCode.LoginFailed, 'wrong username or password'))
      }
      accounts.clearFailures(username)
      const old = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE]
      if (old) accounts.endSession(old)
      const s = accounts.createSession(user.id, { ip, userAgent: req.headers['user-agent'] ?? '' })
      setSessionCookie(reply, s.id, opts.secure)
      accounts.audit({ actor: principalOf(user, 'session', {}), action: 'login', ip })
      req.log.info({ user: user.username }, 'logged in')
      return { user: publicUser(user), csrf: s.csrf }
    })
  })

  app.post('/api/logout', { schema: { querystring: NoQuery } }, (req, reply) => {
    const p = req.principal!
    if (p.sessionId) {
      accounts.endSession(p.sessionId)
      // the session's open event streams end with it
      app.liveEvents.closeFor({ sessionId: p.sessionId })
    }
    accounts.audit({ actor: p, action: 'logout', ip: req.ip })
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: opts.secure })
    return { ok: true }
  })

  app.get('/api/me', { schema: { querystring: NoQuery } }, (req) => {
    const p = req.principal!
    return { user: publicUser(p), via: p.via, csrf: sessionCsrf(req) ?? null }
  })
}
