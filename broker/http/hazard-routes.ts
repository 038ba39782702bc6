// The hazard register's API (broker/records/hazards.ts): the list and one hazard cut to the caller's
// scope (one out of scope is answered like a missing one), registration by hand, changes to closure,
// the XLSX and CSV exports and the photos hazards list. Every write and export, refused or not, is
// audited, like the incidents API (broker/http/incident-routes.ts).
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ELEVATOR_ID_PATTERN } from '../../protocol/index.ts'
import { can, type Action } from '../accounts/roles.ts'
import type { Principal } from '../accounts/scope.ts'
import type { AccountStore } from '../accounts/store.ts'
import { MAX_LIST } from '../alarms/store.ts'
import { hazardsCsv, hazardsXlsx, HAZARD_SHEET } from '../records/hazard-export.ts'
import type { Hazards } from '../records/hazards.ts'
import { HAZARD_STATES, type HazardChange, type HazardQuery, type RecordActor, type RecordResult } from '../records/types.ts'
import type { RoutePlugin } from './app.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { partyRoleOf } from './incident-routes.ts'
import { strictValidator } from './strict-body.ts'
import { callerOf } from './auth.ts'
import { badBody } from './errors.ts'

// no control characters, at least one visible one (as broker/http/incident-routes.ts)
const TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$'
// a description may run over lines
const MULTILINE_PATTERN = '^[^\\u0000-\\u0009\\u000b-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u0009\\u000b-\\u001f\\u007f]*$'
const text = (maxLength: number, description: string, pattern = TEXT_PATTERN) => Type.String({ minLength: 1, maxLength, pattern, description })
const enumOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] })

const STATE_FILTERS = [...HAZARD_STATES, 'open_any', 'overdue'] as const
const ListQuery = Type.Object({
  state: Type.Optional(enumOf(STATE_FILTERS)),
  elevator: Type.Optional(Type.String({ pattern: ELEVATOR_ID_PATTERN })),
  region: Type.Optional(Type.String({ pattern: '^(\\d{6}|\\d{9}|\\d{12})$' })),
  from: Type.Optional(Type.Integer({ minimum: 0 })),
  to: Type.Optional(Type.Integer({ minimum: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIST })),
}, { additionalProperties: false })
type ListQuery = Static<typeof ListQuery>

const NoQuery = Type.Object({}, { additionalProperties: false })
const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })

const RegisterBody = Type.Object({
  elevatorId: Type.String({ pattern: ELEVATOR_ID_PATTERN }),
  description: text(2000, 'the hazard as found', MULTILINE_PATTERN),
  grade: enumOf(['major', 'general'] as const),
  owner: Type.Optional(text(100, '责任人')),
  deadline: Type.Optional(Type.Integer({ minimum: 0, description: '整改期限, ms since the epoch' })),
}, { additionalProperties: false })

const CHANGE_KINDS = ['state', 'assign', 'note'] as const
type ChangeKind = (typeof CHANGE_KINDS)[number]
const ChangeBody = Type.Object({
  kind: enumOf(CHANGE_KINDS),
  state: Type.Optional(enumOf(HAZARD_STATES)),
  measures: Type.Optional(text(2000, '整改措施', MULTILINE_PATTERN)),
  checkedBy: Type.Optional(text(100, '验收人')),
  owner: Type.Optional(text(100, '责任人')),
  deadline: Type.Optional(Type.Integer({ minimum: 0 })),
  text: Type.Optional(text(2000, 'a note', MULTILINE_PATTERN)),
}, { additionalProperties: false })
type ChangeBody = Static<typeof ChangeBody>

const FIELDS: Readonly<Record<ChangeKind, { allowed: readonly string[]; required: readonly string[] }>> = {
  state: { allowed: ['state', 'measures', 'checkedBy'], required: ['state'] },
  assign: { allowed: ['owner', 'deadline'], required: ['owner'] },
  note: { allowed: ['text'], required: ['text'] },
}

/** The register's change from a checked body, or every problem with it, by field. */
export function changeOf(b: ChangeBody): HazardChange | string[] {
  const f = FIELDS[b.kind]
  const given = Object.keys(b).filter((k) => k !== 'kind')
  const problems = [
    ...given.filter((k) => !f.allowed.includes(k)).map((k) => `${k}: not taken with kind ${b.kind}`),
    ...f.required.filter((k) => !(k in b)).map((k) => `${k}: required with kind ${b.kind}`),
  ]
  if (problems.length) return problems
  switch (b.kind) {
    case 'state': return { kind: 'state', state: b.state!, ...(b.measures ? { measures: b.measures } : {}), ...(b.checkedBy ? { checkedBy: b.checkedBy } : {}) }
    case 'assign': return { kind: 'assign', owner: b.owner!, ...(b.deadline !== undefined ? { deadline: b.deadline } : {}) }
    case 'note': return { kind: 'note', text: b.text! }
  }
}

export const actorOf = (p: Principal): RecordActor => {
  const role = partyRoleOf(p.role)
  return { name: p.name, userId: String(p.userId), via: 'desk', ...(role ? { role } : {}) }
}

const queryOf = (q: ListQuery): HazardQuery => ({
  ...(q.state ? { state: q.state } : {}), ...(q.elevator ? { elevatorId: q.elevator } : {}), ...(q.region ? { region: q.region } : {}),
  ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}), ...(q.limit !== undefined ? { limit: q.limit } : {}),
})



function refusal(reply: FastifyReply, r: Extract<RecordResult<unknown>, { ok: false }>, unknown: HttpErrorCode) {
  if (r.status === 404) return reply.code(404).send(errorBody(404, unknown, r.reason))
  if (r.status === 409) return reply.code(409).send(errorBody(409, HttpErrorCode.HazardConflict, r.reason))
  return badBody(reply, [r.reason])
}

/** `attachment` with an ASCII fallback and the zh-CN name as RFC 5987 filename*. */
export function attachment(name: string, ascii: string): string {
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

const dateCst = (ms: number): string => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10)

export interface HazardRouteOptions {
  /** GET /api/photos/:id for the hazards' photos (default true; false where another part serves photos) */
  servePhotos?: boolean
  /** whether the caller may see a photo no hazard lists (a patrol's: broker/records/patrols.ts) */
  readonly photoVisible?: (photoId: string, principal: Principal) => boolean
}

export function registerHazardRoutes(hazards: Hazards, opts: HazardRouteOptions = {}): RoutePlugin {
  return (app, { accounts }) => routes(app, hazards, accounts, opts)
}

function routes(app: Parameters<RoutePlugin>[0], hazards: Hazards, accounts: AccountStore, opts: HazardRouteOptions): void {
  const audit = (req: FastifyRequest, action: string, target: string, detail: Record<string, unknown>) =>
    accounts.audit({ actor: callerOf(req), action, target, detail, ip: req.ip })
  const forbidden = (req: FastifyRequest, reply: FastifyReply, action: Action, auditAs: string, target: string) => {
    const p = callerOf(req)
    if (can(p.role, action)) return false
    audit(req, `${auditAs}.denied`, target, { reason: 'role' })
    void reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} may not ${action.replace('.', ' ')}`))
    return true
  }

  app.get<{ Querystring: ListQuery }>('/api/hazards', { schema: { querystring: ListQuery } }, (req) => {
    const list = hazards.list(queryOf(req.query), callerOf(req))
    return { now: hazards.now(), count: list.length, hazards: list }
  })

  for (const format of ['xlsx', 'csv'] as const) {
    app.get<{ Querystring: ListQuery }>(`/api/hazards.${format}`, { schema: { querystring: ListQuery } }, async (req, reply) => {
      const p = callerOf(req)
      const list = hazards.list({ ...queryOf(req.query), limit: req.query.limit ?? MAX_LIST }, p)
      audit(req, 'hazard.export', format, { count: list.length, query: req.query })
      const date = dateCst(hazards.now())
      void reply.header('content-disposition', attachment(`${HAZARD_SHEET}-${date}.${format}`, `hazards-${date}.${format}`)).header('cache-control', 'no-store')
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(hazardsCsv(list))
      return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(await hazardsXlsx(list))
    })
  }

  app.get<{ Params: Static<typeof IdParams> }>('/api/hazards/:id', { schema: { params: IdParams, querystring: NoQuery } }, (req, reply) => {
    const h = hazards.get(req.params.id, callerOf(req))
    if (!h) return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownHazard, `no hazard with id ${req.params.id}`))
    return h
  })

  app.post<{ Body: Static<typeof RegisterBody> }>('/api/hazards', {
    schema: { body: RegisterBody, querystring: NoQuery }, validatorCompiler: strictValidator,
  }, (req, reply) => {
    const p = callerOf(req)
    const b = req.body
    if (forbidden(req, reply, 'hazard.register', 'hazard.register', b.elevatorId)) return reply
    const r = hazards.register({
      elevatorId: b.elevatorId, description: b.description, grade: b.grade, foundBy: 'manual',
      ...(b.owner ? { owner: b.owner } : {}), ...(b.deadline !== undefined ? { deadline: b.deadline } : {}),
    }, actorOf(p), p)
    if (!r.ok) {
      audit(req, 'hazard.register.denied', b.elevatorId, { reason: r.status === 404 ? 'unknown' : 'invalid', why: r.reason })
      return refusal(reply, r, HttpErrorCode.UnknownElevator)
    }
    audit(req, 'hazard.register', r.value.id, { elevatorId: b.elevatorId, number: r.value.number, grade: b.grade })
    req.log.info({ hazard: r.value.id, user: p.username }, 'hazard registered by hand')
    return { hazard: r.value }
  })

  app.post<{ Params: Static<typeof IdParams>; Body: ChangeBody }>('/api/hazards/:id/changes', {
    schema: { params: IdParams, body: ChangeBody, querystring: NoQuery }, validatorCompiler: strictValidator,
  }, (req, reply) => {
    const p = callerOf(req)
    const { id } = req.params
    const change = changeOf(req.body)
    const action = `hazard.${req.body.kind}`
    if (Array.isArray(change)) return badBody(reply, change)
    // scope first: a hazard out of scope is not admitted to exist, whatever the role
    if (!hazards.get(id, p)) {
      audit(req, `${action}.denied`, id, { reason: 'unknown' })
      return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownHazard, `no hazard with id ${id}`))
    }
    if (forbidden(req, reply, 'hazard.manage', action, id)) return reply
    const r = hazards.change(id, change, actorOf(p), p)
    if (!r.ok) {
      audit(req, `${action}.denied`, id, { reason: r.status === 409 ? 'conflict' : r.status === 404 ? 'unknown' : 'invalid', why: r.reason })
      return refusal(reply, r, HttpErrorCode.UnknownHazard)
    }
    audit(req, action, id, { ...change, state: r.value.state })
    return { hazard: r.value }
  })

  // the broker serves photos through the patrol routes (broker/http/patrol-routes.ts), which see patrols' too
  if (opts.servePhotos !== false) app.get<{ Params: Static<typeof IdParams> }>('/api/photos/:id', { schema: { params: IdParams, querystring: NoQuery } }, (req, reply) => {
    const p = callerOf(req)
    const { id } = req.params
    const seen = hazards.photoVisible(id, p) || (opts.photoVisible?.(id, p) ?? false)
    const photo = seen ? hazards.photoBytes(id) : null
    if (!photo) return reply.code(404).send(errorBody(404, HttpErrorCode.UnknownPhoto, `no photo with id ${id}`))
    return reply.type(photo.type).header('cache-control', 'private, max-age=86400').header('x-content-type-options', 'nosniff').send(photo.bytes)
  })
}
