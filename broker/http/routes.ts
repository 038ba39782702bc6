// The JSON API and the event stream. Query strings are validated by schema (unknown parameters
// are an error, not silently dropped); the error handler in app.ts turns failures into 400s.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { CATALOGUE, ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import type { EventHub } from './sse.ts'
import type { BrokerView } from './broker-view.ts'

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
const OPERATOR_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'
const AckBody = Type.Object({
  by: Type.String({ minLength: 1, maxLength: 64, pattern: OPERATOR_PATTERN, description: 'who acknowledges: the operator on duty' }),
}, { additionalProperties: false })

const EventsQuery = Type.Object({
  // resume point for clients that cannot set the Last-Event-ID header (the header wins)
  since: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false })

export function registerApi(app: FastifyInstance, view: BrokerView, hub: EventHub): void {
  app.get('/api/elevators', { schema: { querystring: NoQuery } }, () => {
    // the id is read first: every event up to it is already in the snapshot
    const eventId = hub.lastId
    const elevators = view.elevators()
    return { eventId, now: Date.now(), count: elevators.length, elevators }
  })

  app.get<{ Querystring: Static<typeof AlarmsQuery> }>('/api/alarms', { schema: { querystring: AlarmsQuery } }, (req) => {
    const { state, elevator, limit } = req.query
    const eventId = hub.lastId
    const alarms = view.alarms({ state, limit, ...(elevator ? { elevatorId: elevator } : {}) }).slice(0, limit)
    // the page needs the rule to keep its list right as alarm and ack events arrive
    const rule = state === 'visible' ? { keepUntilAcked: view.keepUntilAcked } : {}
    return { eventId, now: Date.now(), count: alarms.length, ...rule, alarms }
  })

  // The HTTP API has no login yet (it serves the county's internal network): `by` is the name
  // the operator gives, and every acknowledgement is logged with it.
  app.post<{ Params: Static<typeof AckParams>; Body: Static<typeof AckBody> }>('/api/alarms/:id/ack', { schema: { params: AckParams, body: AckBody } }, (req, reply) => {
    const { id } = req.params
    const by = req.body.by.trim()
    const alarm = view.ack(id, by)
    if (!alarm) return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownAlarm, `no alarm with id ${id}`))
    req.log.info({ alarm: id, by, ackedBy: alarm.ackedBy, ackState: alarm.ackState }, 'alarm acknowledged')
    return { alarm }
  })

  app.get('/api/catalogue', { schema: { querystring: NoQuery } }, (_req, reply) => {
    reply.header('cache-control', 'max-age=3600')
    return { types: CATALOGUE }
  })

  // no automatic HEAD route: it would open a stream that never sends a body
  app.get<{ Querystring: Static<typeof EventsQuery> }>('/api/events', { schema: { querystring: EventsQuery }, exposeHeadRoute: false }, (req, reply) => {
    if (hub.full) {
      return reply.code(503).header('retry-after', '10')
        .send(errorBody(503, HttpErrorCode.TooManyStreams, 'too many event stream clients; retry later'))
    }
    const header = req.headers['last-event-id']
    const lastEventId = (Array.isArray(header) ? header[0] : header) ?? req.query.since
    reply.hijack()
    hub.attach(reply.raw, lastEventId)
  })
}
