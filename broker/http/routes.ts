// The JSON API and the event stream. Query strings are validated by schema (unknown parameters
// are an error, not silently dropped); the error handler in app.ts turns failures into 400s.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { CATALOGUE, ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import type { EventHub } from './sse.ts'
import type { BrokerView } from './view.ts'

export const MAX_ALARM_LIMIT = 5000

const NoQuery = Type.Object({}, { additionalProperties: false })

const AlarmsQuery = Type.Object({
  // a plain enum (not a union of literals) so a bad value gives one clear error
  state: Type.Unsafe<'active' | 'all'>({ type: 'string', enum: ['active', 'all'], default: 'all' }),
  elevator: Type.Optional(Type.String({ pattern: ELEVATOR_ID_PATTERN })),
  limit: Type.Integer({ minimum: 1, maximum: MAX_ALARM_LIMIT, default: 100 }),
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
    return { eventId, now: Date.now(), count: alarms.length, alarms }
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
