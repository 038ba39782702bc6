// The JSON API and the event stream. Query strings are validated by schema (unknown parameters
// are an error, not silently dropped); the error handler in app.ts turns failures into 400s.
// Every answer is cut to the caller's scope (req.principal, set by broker/http/auth.ts, which
// answers 401 before these handlers run); an alarm out of scope is answered like a missing one.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { CATALOGUE, ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import type { EventHub } from './sse.ts'
import type { BrokerView } from './broker-view.ts'
import type { AccountStore } from '../accounts/store.ts'
import { can } from '../accounts/roles.ts'
import { registerAudit } from './audit-routes.ts'
import { strictValidator } from './strict-body.ts'
import { callerOf } from './auth.ts'

export const MAX_ALARM_LIMIT = 5000

const NoQuery = Type.Object({}, { additionalProperties: false })

const AlarmsQuery = Type.Object({
  // a plain enum (not a union of literals) so a bad value gives one clear error
  state: Type.Unsafe<'active' | 'all' | 'visible'>({ type: 'string', enum: ['active', 'all', 'visible'], default: 'all' }),
  elevator: Type.Optional(Type.String({ pattern: ELEVATOR_ID_PATTERN })),
  limit: Type.Integer({ minimum: 1, maximum: MAX_ALARM_LIMIT, default: 100 }),
}, { additionalProperties: false })

const AckParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

// no control characters, at least one visible one; describeProblems words the failure
const NOTE_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'
// who acknowledges is the logged-in principal, never a field of the body
const AckBody = Type.Object({
  note: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: NOTE_PATTERN, description: 'what the operator notes, e.g. 已电话联系维保' })),
}, { additionalProperties: false })

const EventsQuery = Type.Object({
  // resume point for clients that cannot set the Last-Event-ID header (the header wins)
  since: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false })


export function registerApi(app: FastifyInstance, view: BrokerView, hub: EventHub, accounts: AccountStore): void {
  app.get('/api/elevators', { schema: { querystring: NoQuery } }, (req) => {
    // the id is read first: every event up to it is already in the snapshot
    const eventId = hub.lastId
    const elevators = view.elevators(callerOf(req))
    return { eventId, now: Date.now(), count: elevators.length, elevators }
  })

  app.get<{ Querystring: Static<typeof AlarmsQuery> }>('/api/alarms', { schema: { querystring: AlarmsQuery } }, (req) => {
    const { state, elevator, limit } = req.query
    const eventId = hub.lastId
    const alarms = view.alarms({ state, limit, ...(elevator ? { elevatorId: elevator } : {}) }, callerOf(req)).slice(0, limit)
    // the page needs the rule to keep its list right as alarm and ack events arrive
    const rule = state === 'visible' ? { keepUntilAcked: view.keepUntilAcked } : {}
    return { eventId, now: Date.now(), count: alarms.length, ...rule, alarms }
  })

  // The operator is the principal: ackedBy records its name, ackedByUser its username; every
  // attempt, refused or not, goes to the audit log.
  app.post<{ Params: Static<typeof AckParams>; Body: Static<typeof AckBody> }>('/api/alarms/:id/ack', {
    schema: { params: AckParams, body: AckBody },
    validatorCompiler: strictValidator,
    // no body at all is an acknowledgement without a note, as `{}` is
    preValidation: async (req) => { if (req.body === undefined || req.body === null) req.body = {} },
  }, (req, reply) => {
    const p = callerOf(req)
    const { id } = req.params
    const note = req.body.note?.trim()
    if (!can(p.role, 'alarm.ack')) {
      accounts.audit({ actor: p, action: 'alarm.ack.denied', target: id, detail: { reason: 'role' }, ip: req.ip })
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not acknowledge alarms`))
    }
    const before = view.alarm(id, p)
    if (!before) return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownAlarm, `no alarm with id ${id}`))
    view.ack(id, { name: p.name, username: p.username }, note)
    const alarm = view.alarm(id, p)!
    const first = before.ackedAt === null
    accounts.audit({
      actor: p, action: 'alarm.ack', target: id, ip: req.ip,
      detail: { elevatorId: alarm.elevatorId, type: alarm.type, first, ackState: alarm.ackState, ...(note ? { note } : {}) },
    })
    req.log.info({ alarm: id, user: p.username, first, ackState: alarm.ackState }, 'alarm acknowledged')
    return { alarm }
  })

  app.get('/api/catalogue', { schema: { querystring: NoQuery } }, (_req, reply) => {
    reply.header('cache-control', 'max-age=3600')
    return { types: CATALOGUE }
  })

  // no automatic HEAD route: it would open a stream that never sends a body
  app.get<{ Querystring: Static<typeof EventsQuery> }>('/api/events', { schema: { querystring: EventsQuery }, exposeHeadRoute: false }, (req, reply) => {
    const refused = hub.refusal(req.principal)
    if (refused === 'unauthenticated') {
      return reply.code(401).send(errorBody(401, HttpErrorCode.Unauthenticated, 'log in first'))
    }
    if (refused === 'user-full') {
      return reply.code(429).header('retry-after', '10')
        .send(errorBody(429, HttpErrorCode.TooManyUserStreams, 'this user already holds the most event streams allowed; close one'))
    }
    if (refused === 'full') {
      return reply.code(503).header('retry-after', '10')
        .send(errorBody(503, HttpErrorCode.TooManyStreams, 'too many event stream clients; retry later'))
    }
    const header = req.headers['last-event-id']
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? req.query.since
    reply.hijack()
    hub.attach(reply.raw, lastEventId, req.principal)
  })

  registerAudit(app, accounts)
}
