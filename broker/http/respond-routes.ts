// The responder link (docs/api.md#the-responder-link): GET /r/<token> is the mobile page, /state its
// data, POST /actions what the person did. No login: the signed token is the permission, so these
// routes are public, rate limited per address, never cached, never sent on as a Referer, and never
// log their URL (the token is in it): logLevel warn, and errors logged here carry no URL.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Counter, type Registry } from 'prom-client'
import type { AccountStore } from '../accounts/store.ts'
import type { Principal } from '../accounts/scope.ts'
import type { Role } from '../accounts/roles.ts'
import type { IncidentDetail, IncidentService, LinkClaims, LinkRefusal } from '../incidents/types.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { actionOf } from './incident-routes.ts'
import { refusedPage, respondState } from './respond-view.ts'
import { strictValidator } from './strict-body.ts'
import { guardLinkScope } from './link-scope.ts'

export const DEFAULT_RESPOND_PER_MINUTE = 60

export interface RespondOptions {
  incidents: IncidentService
  accounts: AccountStore
  /** the HTTP metrics registry (broker/http/metrics.ts) */
  registry: Registry
  /** where respond.html is (the live page's assets) */
  uiDir: string
  /** requests per client address and minute on /r/ routes */
  perMinute?: number
  /** the state's `now` (tests) */
  now?: () => number
}

const ActionBody = Type.Object({
  kind: Type.Unsafe<'responded' | 'arrived' | 'released' | 'false_alarm'>({ type: 'string', enum: ['responded', 'arrived', 'released', 'false_alarm'] }),
  persons: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$' })),
}, { additionalProperties: false })

type TokenParams = { token: string }
type Checked = { claims: LinkClaims; detail: IncidentDetail }

/** The audit log's actor for a link's holder: the party, under a `link:` username. */
export function linkActor(c: LinkClaims): Principal {
  // the audit table stores username, name, role and via as text; a party role and via 'link' are
  // not an account's, hence the cast (broker/accounts/store.ts audit())
  return { userId: 0, username: `link:${c.partyId}`, name: c.partyName, role: c.role as Role, scope: { region: '' }, via: 'link' as Principal['via'] }
}

export function registerRespond(app: FastifyInstance, opts: RespondOptions): void {
  const { incidents, accounts } = opts
  const now = opts.now ?? Date.now
  const page = resolve(opts.uiDir, 'respond.html')
  const refusedTotal = new Counter({
    name: 'liftwatch_broker_responder_links_refused_total',
    help: 'responder links refused: malformed, tampered (bad signature), expired, unknown_incident',
    labelNames: ['reason'], registers: [opts.registry],
  })
  for (const reason of ['malformed', 'tampered', 'expired', 'unknown_incident']) refusedTotal.inc({ reason }, 0)

  /** The link's claims and its incident, or the refusal (counted). */
  function check(token: string): Checked | LinkRefusal {
    const claims = incidents.verifyLink(token)
    const detail = typeof claims === 'string' ? null : incidents.getForLink(claims)
    const refused: LinkRefusal | null = typeof claims === 'string' ? claims : detail ? null : 'unknown_incident'
    if (refused) {
      refusedTotal.inc({ reason: refused })
      return refused
    }
    return { claims: claims as LinkClaims, detail: detail! }
  }
  const statusOf = (r: LinkRefusal): 403 | 410 => (r === 'malformed' || r === 'tampered' ? 403 : 410)
  const refuseJson = (reply: FastifyReply, r: LinkRefusal) => {
    const status = statusOf(r)
    return reply.code(status).send(errorBody(status, status === 403 ? HttpErrorCode.LinkInvalid : HttpErrorCode.LinkExpired,
      `链接无效或已过期，请联系 96333 / This link is invalid or has expired (${r})`))
  }

  void app.register(async (scope) => {
    guardLinkScope(scope, 'responder')
    const config = { public: true, rateLimit: { max: opts.perMinute ?? DEFAULT_RESPOND_PER_MINUTE, timeWindow: 60_000 } }

    scope.get<{ Params: TokenParams }>('/r/:token', { logLevel: 'warn', config }, async (req, reply) => {
      const c = check(req.params.token)
      if (typeof c === 'string') return reply.code(statusOf(c)).type('text/html; charset=utf-8').send(refusedPage(c))
      return reply.type('text/html; charset=utf-8').send(await readFile(page))
    })

    scope.get<{ Params: TokenParams }>('/r/:token/state', { logLevel: 'warn', config }, (req, reply) => {
      const c = check(req.params.token)
      if (typeof c === 'string') return refuseJson(reply, c)
      return respondState(c.claims, c.detail, now())
    })

    scope.post<{ Params: TokenParams; Body: Static<typeof ActionBody> }>('/r/:token/actions', {
      logLevel: 'warn', config, schema: { body: ActionBody }, validatorCompiler: strictValidator,
    }, (req, reply) => {
      const c = check(req.params.token)
      if (typeof c === 'string') return refuseJson(reply, c)
      const { claims } = c
      const action = actionOf(req.body)
      if (Array.isArray(action)) return reply.code(400).send(errorBody(400, HttpErrorCode.BadRequest, `bad body: ${action.join('; ')}`, action))
      const actor = linkActor(claims)
      const r = incidents.act(claims.incidentId, action, { userId: claims.partyId, name: claims.partyName, via: 'link', role: claims.role })
      const detail = { elevatorId: c.detail.summary.elevatorId, partyId: claims.partyId, via: 'link' }
      if (!r.ok) {
        accounts.audit({ actor, action: `incident.${action.kind}.denied`, target: claims.incidentId, detail: { ...detail, reason: r.status === 404 ? 'unknown' : 'conflict', why: r.reason }, ip: req.ip })
        return r.status === 404
          ? reply.code(404).send(errorBody(404, HttpErrorCode.UnknownIncident, r.reason))
          : reply.code(409).send(errorBody(409, HttpErrorCode.IncidentConflict, r.reason))
      }
      accounts.audit({
        actor, action: `incident.${action.kind}`, target: claims.incidentId, ip: req.ip,
        detail: { ...detail, state: r.incident.state, ...(action.kind === 'released' ? { persons: action.persons } : {}) },
      })
      // the app's logger: the route's own is at warn; this is the one line an action leaves, without the token
      app.log.info({ incident: claims.incidentId, party: claims.partyId, role: claims.role, kind: action.kind, state: r.incident.state }, 'responder link action')
      const after = incidents.getForLink(claims)
      return { action, state: after ? respondState(claims, after, now()) : null }
    })

    // any other path under /r/: a 404 like the app's, but not logged (its URL may hold a token)
    scope.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/r/*', logLevel: 'warn', config,
      handler: (_req, reply) => reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, 'no such responder link route')),
    })
  })
}
