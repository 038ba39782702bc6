// Every car's public page and residents' reports (docs/domain.md, Public disclosure and
// residents), the parties' link to a report, and the logged-in API over reports and page codes.
// GET /p/<code> and POST /p/<code>/reports need no login; a wrong code answers exactly like an
// unknown path. Reports are limited per client address and per car (broker/records/report-limits.ts),
// refusals counted. /c/<token> (a signed link, like /r/) is public too and never logs its URL.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Counter } from 'prom-client'
import { ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { inScope } from '../accounts/scope.ts'
import { can } from '../accounts/roles.ts'
import { MOBILE_PATTERN } from '../parties/schema.ts'
import type { ComplaintAction, Complaints } from '../records/complaints.ts'
import { carName } from '../records/complaint-messages.ts'
import { publicFacts } from '../records/public-facts.ts'
import { COMPLAINT_CATEGORIES, COMPLAINT_STATES, type ComplaintState, type RecordActor, type RecordsDeps } from '../records/types.ts'
import type { RoutePlugin } from './app.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { linkActor } from './respond-routes.ts'
import { complaintLinkPage, publicPage, refusedLinkPage } from './public-view.ts'
import { strictValidator } from './strict-body.ts'
import { callerOf } from './auth.ts'

export const REPORT_BODY_LIMIT = 2048
/** page views per client address and minute on /p/ and /c/ (code guessing is slow, and a label's page is cheap) */
export const DEFAULT_PUBLIC_PER_MINUTE = 120

const TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'
const text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: TEXT_PATTERN })
const enumOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] })

const ReportBody = Type.Object({
  category: enumOf(COMPLAINT_CATEGORIES),
  text: text(500),
  phone: Type.Optional(Type.String({ pattern: MOBILE_PATTERN })),
}, { additionalProperties: false })

const LinkActionBody = Type.Object({
  kind: enumOf(['acknowledge', 'resolve'] as const),
  note: Type.Optional(text(500)),
}, { additionalProperties: false })

const ApiActionBody = Type.Object({
  kind: enumOf(['acknowledge', 'resolve', 'hazard'] as const),
  note: Type.Optional(text(500)),
  grade: Type.Optional(enumOf(['major', 'general'] as const)),
}, { additionalProperties: false })

const ListQuery = Type.Object({
  state: Type.Optional(enumOf<ComplaintState | 'open'>([...COMPLAINT_STATES, 'open'])),
  elevator: Type.Optional(Type.String({ pattern: ELEVATOR_ID_PATTERN })),
  limit: Type.Integer({ minimum: 1, maximum: 5000, default: 200 }),
}, { additionalProperties: false })
const CodesQuery = Type.Object({ building: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false })
const NoQuery = Type.Object({}, { additionalProperties: false })
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

type CodeParams = { code: string }
type TokenParams = { token: string }

export interface PublicRouteOptions {
  /** page views per client address and minute (default 120) */
  perMinute?: number
}


const actionOf = (b: { kind: 'acknowledge' | 'resolve' | 'hazard'; note?: string | undefined; grade?: 'major' | 'general' | undefined }): ComplaintAction | string => {
  if (b.kind === 'resolve') return b.note ? { kind: 'resolve', resolution: b.note } : 'note: required with kind resolve (what was done)'
  if (b.kind === 'hazard') return { kind: 'hazard', ...(b.grade ? { grade: b.grade } : {}) }
  return { kind: 'acknowledge', ...(b.note ? { note: b.note } : {}) }
}

export function registerPublicRoutes(complaints: Complaints, deps: RecordsDeps, opts: PublicRouteOptions = {}): RoutePlugin {
  return (app: FastifyInstance, { accounts, metrics }) => {
    const refused = new Counter({
      name: 'liftwatch_broker_public_reports_refused_total',
      help: "residents' reports refused by the public page's limits: per client address (address) or per car (car)",
      labelNames: ['reason'], registers: [metrics],
    })
    for (const reason of ['address', 'car']) refused.inc({ reason }, 0)
    const config = { public: true, rateLimit: { max: opts.perMinute ?? DEFAULT_PUBLIC_PER_MINUTE, timeWindow: 60_000 } }
    const badBody = (reply: FastifyReply, problem: string) => reply.code(400).send(errorBody(400, HttpErrorCode.BadRequest, `bad body: ${problem}`, [problem]))

    // ---------------------------------------------------------------- the public page
    void app.register(async (scope) => {
      scope.addHook('onSend', async (req, reply) => {
        reply.header('referrer-policy', 'no-referrer')
        if (req.method === 'GET' && reply.statusCode === 200) reply.header('cache-control', 'public, max-age=30')
        else reply.header('cache-control', 'no-store')
      })

      scope.get<{ Params: CodeParams }>('/p/:code', { config }, (req, reply) => {
        const elevatorId = complaints.codes.elevatorFor(req.params.code)
        const facts = elevatorId ? publicFacts(deps, elevatorId) : null
        if (!facts) return reply.callNotFound()
        return reply.type('text/html; charset=utf-8').send(publicPage(req.params.code, facts))
      })

      scope.post<{ Params: CodeParams; Body: Static<typeof ReportBody> }>('/p/:code/reports', {
        config: { public: true }, bodyLimit: REPORT_BODY_LIMIT, schema: { body: ReportBody, querystring: NoQuery }, validatorCompiler: strictValidator,
      }, (req, reply) => {
        const elevatorId = complaints.codes.elevatorFor(req.params.code)
        if (!elevatorId || !deps.registry.elevator(elevatorId)) return reply.callNotFound()
        const admitted = complaints.limiter.admit(req.ip, elevatorId)
        if (!admitted.ok) {
          refused.inc({ reason: admitted.reason })
          return reply.code(429).header('retry-after', String(admitted.retryAfterS)).send({
            ...errorBody(429, HttpErrorCode.TooManyRequests, `提交过于频繁，请稍后再试 / Too many reports ${admitted.reason === 'car' ? 'about this lift' : 'from this address'}; retry in ${admitted.retryAfterS} s`),
            retryAfter: admitted.retryAfterS,
          })
        }
        const { category, phone } = req.body
        const actor: RecordActor = { name: 'resident', via: 'public' }
        const r = complaints.file({ elevatorId, category, text: req.body.text, ...(phone ? { phone } : {}) }, actor)
        if (!r.ok) return reply.callNotFound()
        accounts.audit({ actor: null, action: 'complaint.file', target: r.value.id, detail: { elevatorId, category, phone: Boolean(phone) }, ip: req.ip })
        return reply.code(201).send({ received: true, reference: r.value.id, ackDueAt: r.value.ackDueAt, resolveDueAt: r.value.resolveDueAt })
      })

      // any other path under /p/: the app's 404 (not a 401: nobody logs in to a public page)
      scope.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/p/*', config, handler: (_req, reply) => reply.callNotFound() })
    })

    // ---------------------------------------------------------------- the parties' link (token in the URL: never logged)
    void app.register(async (scope) => {
      scope.addHook('onSend', async (_req, reply) => {
        reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
      })
      scope.get<{ Params: TokenParams }>('/c/:token', { logLevel: 'warn', config }, (req, reply) => {
        const v = complaints.verifyLink(req.params.token)
        if (!v) return reply.code(403).type('text/html; charset=utf-8').send(refusedLinkPage())
        const where = carName(deps.registry.elevator(v.complaint.elevatorId), v.complaint.elevatorId)
        return reply.type('text/html; charset=utf-8').send(complaintLinkPage(req.params.token, v.complaint, v.claims.partyName, where))
      })
      scope.post<{ Params: TokenParams; Body: Static<typeof LinkActionBody> }>('/c/:token/actions', {
        logLevel: 'warn', config, bodyLimit: REPORT_BODY_LIMIT, schema: { body: LinkActionBody, querystring: NoQuery }, validatorCompiler: strictValidator,
      }, (req, reply) => {
        const v = complaints.verifyLink(req.params.token)
        if (!v) return reply.code(403).send(errorBody(403, HttpErrorCode.LinkInvalid, '链接无效或已过期，请联系 96333 / This link is invalid or has expired'))
        const action = actionOf(req.body)
        if (typeof action === 'string') return badBody(reply, action)
        const { claims } = v
        const r = complaints.act(v.complaint.id, action, { name: claims.partyName, userId: claims.partyId, via: 'link', role: claims.role })
        const audit = { actor: linkActor(claims), target: v.complaint.id, ip: req.ip }
        if (!r.ok) {
          accounts.audit({ ...audit, action: `complaint.${action.kind}.denied`, detail: { why: r.reason, via: 'link' } })
          return reply.code(r.status).send(errorBody(r.status, r.status === 404 ? HttpErrorCode.NotFound : HttpErrorCode.IncidentConflict, r.reason))
        }
        accounts.audit({ ...audit, action: `complaint.${action.kind}`, detail: { elevatorId: r.value.elevatorId, state: r.value.state, via: 'link' } })
        app.log.info({ complaint: r.value.id, party: claims.partyId, kind: action.kind }, 'complaint link action')
        return { state: r.value.state }
      })
    })

    // ---------------------------------------------------------------- logged in
    app.get<{ Querystring: Static<typeof ListQuery> }>('/api/complaints', { schema: { querystring: ListQuery } }, (req) => {
      const list = complaints.list({ ...(req.query.state ? { state: req.query.state } : {}), ...(req.query.elevator ? { elevatorId: req.query.elevator } : {}), limit: req.query.limit }, callerOf(req))
      return { now: deps.scheduler.now(), count: list.length, complaints: list }
    })

    app.get<{ Params: Static<typeof IdParams> }>('/api/complaints/:id', { schema: { params: IdParams, querystring: NoQuery } }, (req, reply) => {
      const c = complaints.get(req.params.id, callerOf(req))
      return c ?? reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, `no complaint ${req.params.id}`))
    })

    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof ApiActionBody> }>('/api/complaints/:id/actions', {
      schema: { params: IdParams, body: ApiActionBody, querystring: NoQuery }, validatorCompiler: strictValidator,
    }, (req, reply) => {
      const p = callerOf(req)
      const { id } = req.params
      const action = actionOf(req.body)
      if (typeof action === 'string') return badBody(reply, action)
      const audit = (suffix: string, detail: Record<string, unknown>) => accounts.audit({ actor: p, action: `complaint.${action.kind}${suffix}`, target: id, detail, ip: req.ip })
      const c = complaints.get(id, p)
      if (!c) {
        audit('.denied', { reason: 'unknown' })
        return reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, `no complaint ${id}`))
      }
      if (!can(p.role, 'complaint.manage')) {
        audit('.denied', { reason: 'role' })
        return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not act on residents' reports`))
      }
      const r = complaints.act(id, action, { name: p.name, userId: String(p.userId), via: 'desk', ...(p.role !== 'admin' ? { role: p.role } : {}) })
      if (!r.ok) {
        audit('.denied', { reason: r.status === 404 ? 'unknown' : 'conflict', why: r.reason })
        return reply.code(r.status).send(errorBody(r.status, r.status === 404 ? HttpErrorCode.NotFound : r.status === 400 ? HttpErrorCode.BadRequest : HttpErrorCode.IncidentConflict, r.reason))
      }
      audit('', { elevatorId: c.elevatorId, state: r.value.state, ...(r.value.hazardId ? { hazardId: r.value.hazardId } : {}) })
      return { complaint: r.value }
    })

    app.get<{ Querystring: Static<typeof CodesQuery> }>('/api/public-codes', { schema: { querystring: CodesQuery } }, (req, reply) => {
      const p = callerOf(req)
      const { building } = req.query
      if (!can(p.role, 'publiccode.read')) {
        accounts.audit({ actor: p, action: 'publiccode.read.denied', target: building, detail: { reason: 'role' }, ip: req.ip })
        return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not read public page codes`))
      }
      const cars = deps.registry.elevators.filter((e) => inScope(p.scope, e) && `${e.address} ${e.building ?? ''}`.includes(building))
      const codes = complaints.codes.codesFor(cars.map((e) => e.id))
      accounts.audit({ actor: p, action: 'publiccode.read', target: building, detail: { cars: cars.length }, ip: req.ip })
      const base = deps.linkBase().replace(/\/+$/, '')
      return {
        base,
        cars: cars.map((e) => ({
          elevatorId: e.id, registrationCode: e.registrationCode, rescueCode: e.rescueCode, address: e.address,
          ...(e.building ? { building: e.building } : {}), code: codes.get(e.id)!, url: `${base}/p/${codes.get(e.id)!}`,
        })),
      }
    })
  }
}
