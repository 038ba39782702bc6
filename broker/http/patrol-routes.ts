// Grid patrols over HTTP (broker/records/patrols.ts). Logged in: GET /api/patrols/state, /due and
// /api/patrols (patrol.read), POST /api/patrols and POST /api/photos (patrol.submit), each cut to
// the caller's scope and audited; GET /api/photos/<id> for whoever sees the photo's hazard or
// patrol. Through a grid administrator's personal link, no login: GET /g/<token> (the page),
// /state, POST /patrols and /photos, for the cars of their grid only. Link
// routes are public, rate limited per address, never cached, and never log their URL (the token is
// in it), as the responder link's (broker/http/respond-routes.ts). Photos are the raw body,
// Content-Type image/jpeg, image/png or image/webp, checked by their bytes (broker/records/photos.ts).
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Counter } from 'prom-client'
import { ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { can, type Action } from '../accounts/roles.ts'
import type { Principal } from '../accounts/scope.ts'
import { PATROL_LINK_REFUSALS, type PatrolHolder, type PatrolLinkRefusal } from '../records/patrol-links.ts'
import type { Patrols } from '../records/patrols.ts'
import { PHOTO_PROBLEM_TEXT, PHOTO_PROBLEMS, PHOTO_TYPES } from '../records/photos.ts'
import { PATROL_ITEMS, type PatrolResult, type RecordActor, type RecordsDeps } from '../records/types.ts'
import type { RoutePlugin } from './app.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { patrolCars, patrolRefusedPage, type PatrolState } from './patrol-view.ts'
import { linkActor } from './respond-routes.ts'
import { strictValidator } from './strict-body.ts'
import { guardLinkScope } from './link-scope.ts'
import { callerOf } from './auth.ts'

export const DEFAULT_PATROL_LINK_PER_MINUTE = 120
const REGION = '^(\\d{6}|\\d{9}|\\d{12})$'
const NOTE = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'

const ResultSchema = Type.Object({
  item: Type.Unsafe<PatrolResult['item']>({ type: 'string', enum: PATROL_ITEMS.map((i) => i.id) }),
  ok: Type.Boolean(),
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 500, pattern: NOTE })),
  photos: Type.Optional(Type.Array(Type.String({ pattern: '^ph-[A-Za-z0-9_-]{22}$' }), { maxItems: 5 })),
}, { additionalProperties: false })
const PatrolBody = Type.Object({
  elevatorId: Type.String({ pattern: ELEVATOR_ID_PATTERN }),
  results: Type.Array(ResultSchema, { minItems: 1, maxItems: PATROL_ITEMS.length }),
}, { additionalProperties: false })
type PatrolBody = Static<typeof PatrolBody>
const DueQuery = Type.Object({ region: Type.Optional(Type.String({ pattern: REGION })) }, { additionalProperties: false })
const ListQuery = Type.Object({
  elevator: Type.Optional(Type.String({ pattern: ELEVATOR_ID_PATTERN })),
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
}, { additionalProperties: false })
const NoQuery = Type.Object({}, { additionalProperties: false })
const PhotoParams = Type.Object({ id: Type.String({ pattern: '^ph-[A-Za-z0-9_-]{22}$' }) })
type TokenParams = { token: string }

export interface PatrolRouteOptions {
  /** requests per client address and minute on /g/ routes */
  perMinute?: number
}


/** Photos arrive as the raw body, up to the service's limit; any other type is fastify's 415. */
function acceptPhotos(scope: FastifyInstance, bodyLimit: number): void {
  scope.addContentTypeParser([...PHOTO_TYPES], { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body))
}

export function registerPatrolRoutes(patrols: Patrols, deps: Pick<RecordsDeps, 'registry' | 'scheduler'>, opts: PatrolRouteOptions = {}): RoutePlugin {
  return (app, { accounts, metrics, uiDir }) => {
    const now = () => deps.scheduler.now()
    const page = resolve(uiDir, 'patrol.html')
    const linksRefused = new Counter({ name: 'liftwatch_broker_patrol_links_refused_total', help: 'patrol links refused: malformed, tampered, expired, unknown_person', labelNames: ['reason'], registers: [metrics] })
    for (const reason of PATROL_LINK_REFUSALS) linksRefused.inc({ reason }, 0)
    const photosRefused = new Counter({ name: 'liftwatch_broker_photos_refused_total', help: 'uploaded photos refused, by reason', labelNames: ['reason'], registers: [metrics] })
    for (const reason of PHOTO_PROBLEMS) photosRefused.inc({ reason }, 0)

    const state = (person: PatrolState['person'], due: ReturnType<Patrols['due']>): PatrolState =>
      ({ now: now(), person, items: PATROL_ITEMS, elevators: patrolCars(due, deps.registry), photoMaxBytes: patrols.photoMaxBytes })

    /** A photo stored or refused (counted, audited); `audit` names the actor. */
    function photo(req: FastifyRequest, reply: FastifyReply, actor: RecordActor, audit: Principal) {
      const body = req.body
      const type = req.headers['content-type'] ?? ''
      const r = Buffer.isBuffer(body) ? patrols.savePhoto(body, type, actor) : { problem: 'too_small' as const }
      if ('problem' in r) {
        photosRefused.inc({ reason: r.problem })
        accounts.audit({ actor: audit, action: 'photo.upload.denied', target: 'photo', detail: { reason: r.problem, type, bytes: Buffer.isBuffer(body) ? body.length : 0 }, ip: req.ip })
        const status = r.problem === 'write_failed' ? 500 : r.problem === 'too_large' ? 413 : 400
        return reply.code(status).send(errorBody(status, status === 500 ? HttpErrorCode.Internal : HttpErrorCode.PhotoRefused, PHOTO_PROBLEM_TEXT[r.problem], [r.problem]))
      }
      accounts.audit({ actor: audit, action: 'photo.upload', target: r.id, detail: { type, bytes: (body as Buffer).length }, ip: req.ip })
      return { id: r.id }
    }

    /** A patrol submitted, audited either way. */
    function submit(req: FastifyRequest, reply: FastifyReply, body: PatrolBody, actor: RecordActor, audit: Principal, principal?: Principal) {
      const r = patrols.submit(body.elevatorId, body.results, actor, principal)
      const failed = body.results.filter((x) => !x.ok).map((x) => x.item)
      if (!r.ok) {
        accounts.audit({ actor: audit, action: 'patrol.submit.denied', target: body.elevatorId, detail: { reason: r.status === 404 ? 'unknown' : 'invalid', why: r.reason }, ip: req.ip })
        return r.status === 404
          ? reply.code(404).send(errorBody(404, HttpErrorCode.UnknownElevator, r.reason))
          : reply.code(400).send(errorBody(400, HttpErrorCode.BadRequest, `bad patrol: ${r.reason}`, r.reason.split('; ')))
      }
      accounts.audit({ actor: audit, action: 'patrol.submit', target: r.value.id, detail: { elevatorId: body.elevatorId, failed, hazards: r.value.hazardIds }, ip: req.ip })
      return { patrol: r.value }
    }

    // ------------------------------------------------------------ logged in
    void app.register(async (scope) => {
      acceptPhotos(scope, patrols.photoMaxBytes)
      const allowed = (req: FastifyRequest, reply: FastifyReply, action: Action, target: string): Principal | null => {
        const p = callerOf(req)
        if (can(p.role, action)) return p
        accounts.audit({ actor: p, action: `${action}.denied`, target, detail: { reason: 'role' }, ip: req.ip })
        void reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not ${action}`))
        return null
      }
      const actorOf = (p: Principal): RecordActor => ({ name: p.name, userId: String(p.userId), via: 'desk', ...(p.role !== 'admin' ? { role: p.role } : {}) })
      const dueOf = (p: Principal, region?: string) => patrols.due(p).filter((d) => region === undefined || (d.village ?? deps.registry.elevator(d.elevatorId)?.township ?? '').startsWith(region))

      scope.get('/api/patrols/state', { schema: { querystring: NoQuery } }, (req, reply) => {
        const p = allowed(req, reply, 'patrol.read', 'patrols')
        return p ? state({ name: p.name, roleZh: ROLE_ZH[p.role] ?? p.role, via: 'login' }, dueOf(p)) : reply
      })
      scope.get<{ Querystring: Static<typeof DueQuery> }>('/api/patrols/due', { schema: { querystring: DueQuery } }, (req, reply) => {
        const p = allowed(req, reply, 'patrol.read', 'patrols')
        return p ? { now: now(), due: patrolCars(dueOf(p, req.query.region), deps.registry) } : reply
      })
      scope.get<{ Querystring: Static<typeof ListQuery> }>('/api/patrols', { schema: { querystring: ListQuery } }, (req, reply) => {
        const p = allowed(req, reply, 'patrol.read', 'patrols')
        if (!p) return reply
        const q = req.query
        const list = patrols.list({ limit: q.limit, ...(q.elevator ? { elevatorId: q.elevator } : {}), ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}) }, p)
        return { now: now(), count: list.length, patrols: list }
      })
      scope.post<{ Body: PatrolBody }>('/api/patrols', { schema: { body: PatrolBody, querystring: NoQuery }, validatorCompiler: strictValidator }, (req, reply) => {
        const p = allowed(req, reply, 'patrol.submit', req.body.elevatorId)
        return p ? submit(req, reply, req.body, actorOf(p), p, p) : reply
      })
      scope.get<{ Params: { id: string } }>('/api/photos/:id', { schema: { params: PhotoParams, querystring: NoQuery } }, (req, reply) => {
        const ph = patrols.photoFor(req.params.id, callerOf(req))
        if (!ph) return reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, `no photo ${req.params.id}`))
        return reply.type(ph.type).header('cache-control', 'private, max-age=86400').header('x-content-type-options', 'nosniff').send(ph.bytes)
      })
      scope.post('/api/photos', { schema: { querystring: NoQuery } }, (req, reply) => {
        const p = allowed(req, reply, 'patrol.submit', 'photo')
        return p ? photo(req, reply, actorOf(p), p) : reply
      })
    })

    // ------------------------------------------------------------ the personal link
    void app.register(async (scope) => {
      acceptPhotos(scope, patrols.photoMaxBytes)
      guardLinkScope(scope, 'patrol')
      const config = { public: true, rateLimit: { max: opts.perMinute ?? DEFAULT_PATROL_LINK_PER_MINUTE, timeWindow: 60_000 } }
      const statusOf = (r: PatrolLinkRefusal): 403 | 410 => (r === 'malformed' || r === 'tampered' ? 403 : 410)
      const check = (token: string): PatrolHolder | PatrolLinkRefusal => {
        const h = patrols.verifyLink(token)
        if (typeof h === 'string') linksRefused.inc({ reason: h })
        return h
      }
      const refuseJson = (reply: FastifyReply, r: PatrolLinkRefusal) => {
        const status = statusOf(r)
        return reply.code(status).send(errorBody(status, status === 403 ? HttpErrorCode.LinkInvalid : HttpErrorCode.LinkExpired,
          `巡查链接无效或已过期 / This patrol link is invalid or has expired (${r})`))
      }
      const actorOf = (h: PatrolHolder): RecordActor => ({ name: h.person.name, userId: h.person.id, via: 'link', role: 'grid' })

      scope.get<{ Params: TokenParams }>('/g/:token', { logLevel: 'warn', config }, async (req, reply) => {
        const h = check(req.params.token)
        if (typeof h === 'string') return reply.code(statusOf(h)).type('text/html; charset=utf-8').send(patrolRefusedPage(h))
        return reply.type('text/html; charset=utf-8').send(await readFile(page))
      })
      scope.get<{ Params: TokenParams }>('/g/:token/state', { logLevel: 'warn', config }, (req, reply) => {
        const h = check(req.params.token)
        if (typeof h === 'string') return refuseJson(reply, h)
        return state({ name: h.person.name, roleZh: '网格员', via: 'link' }, patrols.due({ person: h.person.id }))
      })
      scope.post<{ Params: TokenParams; Body: PatrolBody }>('/g/:token/patrols', {
        logLevel: 'warn', config, schema: { body: PatrolBody }, validatorCompiler: strictValidator,
      }, (req, reply) => {
        const h = check(req.params.token)
        if (typeof h === 'string') return refuseJson(reply, h)
        const audit = linkActor(h.claims)
        if (!h.elevatorIds.has(req.body.elevatorId)) {
          accounts.audit({ actor: audit, action: 'patrol.submit.denied', target: req.body.elevatorId, detail: { reason: 'outside_grid', via: 'link' }, ip: req.ip })
          return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownElevator, `no elevator ${req.body.elevatorId} in this grid`))
        }
        const out = submit(req, reply, req.body, actorOf(h), audit)
        if ('patrol' in out) app.log.info({ patrol: out.patrol.id, party: h.person.id, elevatorId: req.body.elevatorId, hazards: out.patrol.hazardIds.length }, 'patrol link submit')
        return out
      })
      scope.post<{ Params: TokenParams }>('/g/:token/photos', { logLevel: 'warn', config }, (req, reply) => {
        const h = check(req.params.token)
        if (typeof h === 'string') return refuseJson(reply, h)
        return photo(req, reply, actorOf(h), linkActor(h.claims))
      })
      // any other path under /g/: a 404 like the app's, but not logged (its URL may hold a token)
      scope.route({
        method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/g/*', logLevel: 'warn', config,
        handler: (_req, reply) => reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, 'no such patrol link route')),
      })
    })
  }
}

const ROLE_ZH: Readonly<Record<string, string>> = { admin: '管理员', bureau: '市场监管局', township: '乡镇', grid: '网格员', desk: '96333 平台' }
