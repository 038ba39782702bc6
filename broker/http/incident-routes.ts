// The incidents API (docs/api.md#incidents): the desk's list and detail, actions on an incident, a
// phone call opened by the desk, drills and the KPIs. Every answer is cut to the caller's scope by
// the incident service (broker/incidents/types.ts); an incident out of scope is answered like a
// missing one. Every action, refused or not, goes to the audit log.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { PARTY_ROLES, type Action, type Actor, type PartyRole } from '../../response/index.ts'
import type { AccountStore } from '../accounts/store.ts'
import type { Principal } from '../accounts/scope.ts'
import { can, type Role } from '../accounts/roles.ts'
import type { ActResult, IncidentQuery, IncidentService } from '../incidents/types.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { strictValidator } from './strict-body.ts'
import { callerOf } from './auth.ts'
import { badBody } from './errors.ts'

export const MAX_INCIDENT_LIMIT = 5000

// no control characters, at least one visible one (as the alarm ack's note: broker/http/routes.ts)
const TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'
const text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: TEXT_PATTERN, description })
const enumOf = <T extends string>(values: readonly T[], extra: Record<string, unknown> = {}) => Type.Unsafe<T>({ type: 'string', enum: [...values], ...extra })

const ListQuery = Type.Object({
  open: Type.Optional(Type.Boolean()),
  elevator: Type.Optional(Type.String({ pattern: ELEVATOR_ID_PATTERN })),
  region: Type.Optional(Type.String({ pattern: '^(\\d{6}|\\d{9}|\\d{12})$' })),
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
  drill: Type.Optional(Type.Boolean()),
  limit: Type.Integer({ minimum: 1, maximum: MAX_INCIDENT_LIMIT, default: 200 }),
}, { additionalProperties: false })

const KpiQuery = Type.Object({
  by: enumOf(['township', 'maintenance', 'month', 'county'] as const, { default: 'township' }),
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
  drill: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })

const NoQuery = Type.Object({}, { additionalProperties: false })
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

export const ACTION_KINDS = ['responded', 'arrived', 'released', 'false_alarm', 'note', 'dispatch'] as const
type ActionKind = (typeof ACTION_KINDS)[number]

const ActionBody = Type.Object({
  kind: enumOf(ACTION_KINDS),
  persons: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  cause: Type.Optional(text(200, 'why the car stopped, e.g. 停电')),
  note: Type.Optional(text(500, 'what the actor notes')),
  text: Type.Optional(text(500, 'the note of a `note` action')),
  org: Type.Optional(text(100, 'the rescue unit dispatched')),
  onBehalfOf: Type.Optional(enumOf(PARTY_ROLES)),
}, { additionalProperties: false })
type ActionBody = Static<typeof ActionBody>

const CallBody = Type.Object({
  foundBy: enumOf(['rescueCode', 'registrationCode'] as const),
  code: Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z-]+$' }),
  caller: Type.Optional(text(100, 'who called')),
  note: Type.Optional(text(500, 'what the caller said')),
  drill: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })

const DrillBody = Type.Object({ elevatorId: Type.String({ pattern: ELEVATOR_ID_PATTERN }) }, { additionalProperties: false })

// which body fields each kind takes, and which it needs
const FIELDS: Readonly<Record<ActionKind, { allowed: readonly string[]; required: readonly string[] }>> = {
  responded: { allowed: [], required: [] },
  arrived: { allowed: [], required: [] },
  released: { allowed: ['persons', 'cause', 'note'], required: ['persons'] },
  false_alarm: { allowed: ['note'], required: [] },
  note: { allowed: ['text'], required: ['text'] },
  dispatch: { allowed: ['org'], required: ['org'] },
}

/** The engine's Action from a checked body, or every problem with it, by field. */
export function actionOf(body: Omit<ActionBody, 'onBehalfOf'>): Action | string[] {
  const { kind } = body
  const f = FIELDS[kind]
  const given = Object.keys(body).filter((k) => k !== 'kind' && k !== 'onBehalfOf')
  const problems = [
    ...given.filter((k) => !f.allowed.includes(k)).map((k) => `${k}: not taken with kind ${kind}`),
    ...f.required.filter((k) => !(k in body)).map((k) => `${k}: required with kind ${kind}`),
  ]
  if (problems.length) return problems
  switch (kind) {
    case 'released': return { kind, persons: body.persons!, ...(body.cause ? { cause: body.cause } : {}), ...(body.note ? { note: body.note } : {}) }
    case 'false_alarm': return { kind, ...(body.note ? { note: body.note } : {}) }
    case 'note': return { kind, text: body.text! }
    case 'dispatch': return { kind, org: body.org! }
    default: return { kind }
  }
}

/** The party role an account role acts as; admin is nobody's party. */
export function partyRoleOf(role: Role): PartyRole | undefined {
  return role === 'admin' ? undefined : role
}

/** The principal as the engine's actor: at the desk (the live page or the API). */
export function deskActor(p: Principal, onBehalfOf?: PartyRole): Actor {
  const role = onBehalfOf ?? partyRoleOf(p.role)
  return { userId: String(p.userId), name: p.name, via: 'desk', ...(role ? { role } : {}) }
}



/** An ActResult that failed, as the HTTP answer. */
function refusal(reply: FastifyReply, r: Extract<ActResult, { ok: false }>) {
  return r.status === 404
    ? reply.code(404).send(errorBody(404, HttpErrorCode.UnknownIncident, r.reason))
    : reply.code(409).send(errorBody(409, HttpErrorCode.IncidentConflict, r.reason))
}

const query = (q: Omit<Static<typeof ListQuery>, 'limit'> & { limit?: number }): IncidentQuery => ({
  ...(q.open !== undefined ? { open: q.open } : {}),
  ...(q.elevator !== undefined ? { elevatorId: q.elevator } : {}),
  ...(q.region !== undefined ? { region: q.region } : {}),
  ...(q.from !== undefined ? { from: q.from } : {}),
  ...(q.to !== undefined ? { to: q.to } : {}),
  ...(q.drill !== undefined ? { drill: q.drill } : {}),
  ...(q.limit !== undefined ? { limit: q.limit } : {}),
})

export interface IncidentRouteOptions {
  /** whether the principal sees the elevator (the drill's scope check; the service's drill() takes no principal) */
  sees: (elevatorId: string, principal: Principal) => boolean
  /** the `now` of the list's answer (tests) */
  now?: () => number
}

export function registerIncidents(app: FastifyInstance, incidents: IncidentService, accounts: AccountStore, opts: IncidentRouteOptions): void {
  const now = opts.now ?? Date.now
  app.get<{ Querystring: Static<typeof ListQuery> }>('/api/incidents', { schema: { querystring: ListQuery } }, (req) => {
    const list = incidents.list(query(req.query), callerOf(req)).slice(0, req.query.limit)
    return { now: now(), count: list.length, incidents: list }
  })

  app.get<{ Params: Static<typeof IdParams> }>('/api/incidents/:id', { schema: { params: IdParams, querystring: NoQuery } }, (req, reply) => {
    const detail = incidents.get(req.params.id, callerOf(req))
    if (!detail) return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownIncident, `no incident with id ${req.params.id}`))
    return detail
  })

  app.post<{ Params: Static<typeof IdParams>; Body: ActionBody }>('/api/incidents/:id/actions', {
    schema: { params: IdParams, body: ActionBody, querystring: NoQuery },
    validatorCompiler: strictValidator,
  }, (req, reply) => {
    const p = callerOf(req)
    const { id } = req.params
    const { onBehalfOf, ...rest } = req.body
    const action = actionOf(rest)
    if (Array.isArray(action)) return badBody(reply, action)
    const audit = (suffix: string, detail: Record<string, unknown>) =>
      accounts.audit({ actor: p, action: `incident.${action.kind}${suffix}`, target: id, detail: { ...detail, ...(onBehalfOf ? { onBehalfOf } : {}) }, ip: req.ip })
    // scope first: an incident out of scope is not admitted to exist, whatever the role
    const detail = incidents.get(id, p)
    if (!detail) {
      audit('.denied', { reason: 'unknown' })
      return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownIncident, `no incident with id ${id}`))
    }
    if (!can(p.role, 'incident.act')) {
      audit('.denied', { reason: 'role' })
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not act on incidents`))
    }
    // acting for another party is the desk's: it relays what a maintenance unit said on the phone
    if (onBehalfOf && !can(p.role, 'incident.open')) {
      audit('.denied', { reason: 'on_behalf' })
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not act on behalf of another party`))
    }
    const r = incidents.act(id, action, deskActor(p, onBehalfOf))
    const elevatorId = detail.summary.elevatorId
    if (!r.ok) {
      audit('.denied', { reason: r.status === 404 ? 'unknown' : 'conflict', elevatorId, why: r.reason })
      return refusal(reply, r)
    }
    audit('', { elevatorId, state: r.incident.state, ...(action.kind === 'released' ? { persons: action.persons } : {}) })
    req.log.info({ incident: id, user: p.username, kind: action.kind, state: r.incident.state }, 'incident action')
    return { action, incident: r.incident }
  })

  app.post<{ Body: Static<typeof CallBody> }>('/api/incidents', {
    schema: { body: CallBody, querystring: NoQuery },
    validatorCompiler: strictValidator,
  }, (req, reply) => {
    const p = callerOf(req)
    const { foundBy, code, caller, note } = req.body
    const drill = req.body.drill ?? false
    if (!can(p.role, 'incident.open')) {
      accounts.audit({ actor: p, action: 'incident.open.denied', target: code, detail: { reason: 'role', foundBy }, ip: req.ip })
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not open incidents`))
    }
    const r = incidents.openCall({ foundBy, code, drill, ...(caller ? { caller } : {}), ...(note ? { note } : {}) }, deskActor(p), p)
    if (!r.ok) {
      accounts.audit({ actor: p, action: 'incident.open.denied', target: code, detail: { reason: r.status === 404 ? 'unknown' : 'conflict', foundBy, why: r.reason }, ip: req.ip })
      return r.status === 404
        ? reply.code(404).send(errorBody(404, HttpErrorCode.UnknownElevator, r.reason))
        : reply.code(409).send(errorBody(409, HttpErrorCode.IncidentConflict, r.reason))
    }
    accounts.audit({ actor: p, action: 'incident.open', target: r.incident.id, detail: { foundBy, code, elevatorId: r.incident.elevator.elevatorId, drill }, ip: req.ip })
    req.log.info({ incident: r.incident.id, user: p.username, foundBy }, 'incident opened by the desk')
    return { incident: r.incident }
  })

  app.post<{ Body: Static<typeof DrillBody> }>('/api/drills', {
    schema: { body: DrillBody, querystring: NoQuery },
    validatorCompiler: strictValidator,
  }, (req, reply) => {
    const p = callerOf(req)
    const { elevatorId } = req.body
    if (!can(p.role, 'drill.run')) {
      accounts.audit({ actor: p, action: 'incident.drill.denied', target: elevatorId, detail: { reason: 'role' }, ip: req.ip })
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not run drills`))
    }
    // a drill only of a car the caller sees: the desk call's lookup checks the same scope
    const r = opts.sees(elevatorId, p) ? incidents.drill(elevatorId, deskActor(p)) : { ok: false as const, status: 404 as const, reason: `no elevator ${elevatorId}` }
    if (!r.ok) {
      accounts.audit({ actor: p, action: 'incident.drill.denied', target: elevatorId, detail: { reason: r.status === 404 ? 'unknown' : 'conflict', why: r.reason }, ip: req.ip })
      return r.status === 404
        ? reply.code(404).send(errorBody(404, HttpErrorCode.UnknownElevator, r.reason))
        : reply.code(409).send(errorBody(409, HttpErrorCode.IncidentConflict, r.reason))
    }
    accounts.audit({ actor: p, action: 'incident.drill', target: r.incident.id, detail: { elevatorId }, ip: req.ip })
    req.log.info({ incident: r.incident.id, user: p.username, elevatorId }, 'drill started')
    return { incident: r.incident }
  })

  app.get<{ Querystring: Static<typeof KpiQuery> }>('/api/kpis', { schema: { querystring: KpiQuery } }, (req) => {
    const { by, ...q } = req.query
    return { by, rows: incidents.kpis(by, query(q), callerOf(req)) }
  })
}
