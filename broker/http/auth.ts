// Who is asking, on every request: the session cookie `lw_session` or `Authorization: Bearer
// <token>` becomes `req.principal`. Before that the Host header is checked (hosts.ts); after it a
// request without a principal gets 401 unless its route is public, and a cookie-authenticated
// write needs the session's `x-csrf-token`. The routes of login itself are in login.ts.
import { timingSafeEqual } from 'node:crypto'
import cookie from '@fastify/cookie'
import helmet from '@fastify/helmet'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AccountStore, User } from '../accounts/store.ts'
import type { Principal } from '../accounts/scope.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { hostCheck, hostOf, isLoopback } from './hosts.ts'
import { CSP_DIRECTIVES } from './static.ts'
import type { EventHub } from './sse.ts'

export const SESSION_COOKIE = 'lw_session'
export const CSRF_HEADER = 'x-csrf-token'

/** Routes anyone may call: the login page and call, health, the page's static files. */
export const PUBLIC_ROUTES: readonly string[] = ['GET /login', 'POST /api/login', 'GET /healthz', 'GET /ui/*']

export interface AuthOptions {
  accounts: AccountStore
  /** the cookie's Secure flag: with TLS, or behind a TLS proxy (an https publicOrigin) */
  secure: boolean
  /** e.g. https://lifts.example.gov.cn: the only Host answered */
  publicOrigin?: string | undefined
  /** the listen address: without publicOrigin its name and loopback names are answered */
  listenHost?: string | undefined
  /** the demo: GET / from a loopback client without a session logs in as this user */
  autoLogin?: { username: string } | undefined
  /** the account store's clock (tests inject one) */
  now?: () => number
}

export interface RouteEntry { method: string; url: string; public: boolean }

declare module 'fastify' {
  interface FastifyRequest {
    /** null: nobody logged in (only public routes get that far) */
    principal: Principal | null
  }
  interface FastifyInstance {
    /** every route with whether it is public, in registration order: tests check each answers 401 */
    routeTable: RouteEntry[]
  }
  interface FastifyContextConfig {
    /** answer without a principal; later issues mark their public routes with it */
    public?: boolean
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// a session is written back at most this often, not on every request (well under the shortest idle limit, 1 min)
const TOUCH_EVERY_MS = 10_000

export function principalOf(user: User, via: Principal['via'], id: { sessionId?: string; tokenId?: number }): Principal {
  return { userId: user.id, username: user.username, name: user.name, role: user.role, scope: user.scope, via, ...id }
}

/** The csrf token of the request's session; undefined for token or anonymous requests. */
const csrfOf = new WeakMap<FastifyRequest, string>()
export const sessionCsrf = (req: FastifyRequest): string | undefined => csrfOf.get(req)

export function setSessionCookie(reply: FastifyReply, id: string, secure: boolean): void {
  // no Max-Age: the cookie ends with the browser; the store ends the session on idle or age
  reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', path: '/', secure })
}

const same = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b))

/** Call first in build(), before any route: the onRoute hook must see every route. */
export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  const { accounts } = opts
  const now = opts.now ?? Date.now
  const hostAllowed = hostCheck({ publicOrigin: opts.publicOrigin, listenHost: opts.listenHost })
  app.decorate('routeTable', [] as RouteEntry[])
  app.decorateRequest('principal', null)
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method]
    for (const method of methods) {
      const key = `${method === 'HEAD' ? 'GET' : method} ${r.url}`
      const isPublic = r.config?.public === true || PUBLIC_ROUTES.includes(key)
      if (isPublic) r.config = { ...r.config, public: true }
      app.routeTable.push({ method, url: r.url, public: isPublic })
    }
  })
  // cookies parsed in the hook below (hook: false), so the order of plugin hooks does not matter
  void app.register(cookie, { hook: false })
  void app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    hsts: opts.secure ? { maxAge: 180 * 86_400 } : false,
    referrerPolicy: { policy: 'no-referrer' },
  })

  app.addHook('onRequest', async (req, reply) => {
    if (!hostAllowed(req.headers.host)) {
      return reply.code(421).send(errorBody(421, HttpErrorCode.BadHost, `this server does not answer for host ${String(req.headers.host)}`))
    }
    const write = WRITES.has(req.method)
    const origin = req.headers.origin
    if (write && origin !== undefined && !originAllowed(origin, hostAllowed)) {
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, 'cross-origin write refused'))
    }
    const principal = authenticate(req) ?? autoLogin(req, reply)
    req.principal = principal
    if (req.routeOptions.config.public === true) return undefined
    if (!principal) {
      if (req.method === 'GET' && req.routeOptions.url === '/') return reply.redirect('/login', 302)
      return reply.code(401).send(errorBody(401, HttpErrorCode.Unauthenticated, 'log in first: POST /api/login, or send Authorization: Bearer <token>'))
    }
    if (write && principal.via === 'session') {
      const sent = req.headers[CSRF_HEADER]
      const want = csrfOf.get(req)
      if (typeof sent !== 'string' || !want || !same(sent, want)) {
        return reply.code(403).send(errorBody(403, HttpErrorCode.Csrf, `missing or wrong ${CSRF_HEADER} header (GET /api/me gives it)`))
      }
    }
    return undefined
  })

  function authenticate(req: FastifyRequest): Principal | null {
    const auth = req.headers.authorization
    if (auth !== undefined) {
      // a bad token is not retried as a cookie: the caller said who it is
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth)
      const t = m ? accounts.tokenUser(m[1]!) : null
      return t ? principalOf(t.user, 'token', { tokenId: t.tokenId }) : null
    }
    const id = app.parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE]
    if (!id) return null
    const s = accounts.session(id)
    if (!s) return null
    if (now() - s.lastSeen >= TOUCH_EVERY_MS) accounts.touch(id)
    csrfOf.set(req, s.csrf)
    return principalOf(s.user, 'session', { sessionId: id })
  }

  function autoLogin(req: FastifyRequest, reply: FastifyReply): Principal | null {
    // a loopback peer that names a loopback host: a browser on this machine, not a reverse proxy
    // on it forwarding the world under the public name
    if (!opts.autoLogin || req.method !== 'GET' || req.routeOptions.url !== '/' || !isLoopback(req.ip) || !isLoopback(hostOf(req.headers.host ?? ''))) return null
    const user = accounts.user(opts.autoLogin.username)
    if (!user || user.disabled) return null
    const s = accounts.createSession(user.id, { ip: req.ip, userAgent: req.headers['user-agent'] ?? '' })
    setSessionCookie(reply, s.id, opts.secure)
    csrfOf.set(req, s.csrf)
    const principal = principalOf(user, 'session', { sessionId: s.id })
    accounts.audit({ actor: principal, action: 'login', detail: { auto: true }, ip: req.ip })
    return principal
  }
}

function originAllowed(origin: string, hostAllowed: (h: string) => boolean): boolean {
  try {
    return hostAllowed(new URL(origin).host)
  } catch {
    return false // "null" and other opaque origins
  }
}

/** How often open event streams are checked against their sessions and tokens. */
export const STREAM_SWEEP_MS = 30_000

/**
 * An open event stream is activity: the page on the monitoring wall makes no other request for
 * hours, and its session must not go idle under it. So each stream's session is touched here;
 * a stream whose session ended (its maximum age, a logout elsewhere), whose token was revoked or
 * whose user was disabled is ended, and the page, reconnecting, is sent to /login.
 */
export function sweepStreams(hub: EventHub, accounts: AccountStore): void {
  const sessions = new Set<string>()
  const tokens = new Set<number>()
  const users = new Set<number>()
  for (const p of hub.principals()) {
    users.add(p.userId)
    if (p.sessionId !== undefined) sessions.add(p.sessionId)
    else if (p.tokenId !== undefined) tokens.add(p.tokenId)
  }
  for (const id of sessions) {
    if (accounts.session(id)) accounts.touch(id)
    else hub.closeFor({ sessionId: id })
  }
  if (tokens.size) {
    const revoked = new Set(accounts.listTokens().filter((t) => t.revokedAt !== null).map((t) => t.id))
    for (const id of tokens) if (revoked.has(id)) hub.closeFor({ tokenId: id })
  }
  for (const id of users) {
    const u = accounts.userById(id)
    if (!u || u.disabled) hub.closeFor({ userId: id })
  }
}

/** The request's principal; the auth guard has answered 401 already when there is none. */
export function callerOf(req: FastifyRequest): Principal {
  const p = req.principal
  if (!p) throw Object.assign(new Error('no principal: the route is not behind the auth guard'), { statusCode: 401 })
  return p
}
