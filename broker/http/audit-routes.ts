// The audit log over HTTP, for the roles that may read it (broker/accounts/roles.ts: admin,
// bureau): JSON, and CSV for a spreadsheet. Oldest first; page on with `after` = the last id.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { MAX_AUDIT, type AccountStore, type AuditEntry } from '../accounts/store.ts'
import { can } from '../accounts/roles.ts'
import { errorBody, HttpErrorCode } from './errors.ts'

const AuditQuery = Type.Object({
  since: Type.Optional(Type.Integer({ minimum: 0, description: 'entries at or after this time, ms since epoch' })),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'entries after this id' })),
  limit: Type.Integer({ minimum: 1, maximum: MAX_AUDIT, default: 1000 }),
}, { additionalProperties: false })
type AuditQuery = Static<typeof AuditQuery>

const COLUMNS = ['id', 'at', 'time', 'actor', 'actorName', 'role', 'via', 'action', 'target', 'detail', 'ip'] as const

// the byte order mark makes Excel read the file as UTF-8, so Chinese names survive
const BOM = '\uFEFF'

/** One CSV field (RFC 4180 quoting); a leading = + - @ is defused so a spreadsheet shows text, not a formula. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function auditCsv(entries: readonly AuditEntry[]): string {
  const rows = entries.map((e) => COLUMNS.map((c) => csvField(c === 'time' ? new Date(e.at).toISOString() : e[c])).join(','))
  return BOM + [COLUMNS.join(','), ...rows].join('\r\n') + '\r\n'
}

export function registerAudit(app: FastifyInstance, accounts: AccountStore): void {
  const read = (req: FastifyRequest<{ Querystring: AuditQuery }>, reply: FastifyReply): AuditEntry[] | undefined => {
    const p = req.principal
    if (!p || !can(p.role, 'audit.read')) {
      reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, 'only admin and bureau users may read the audit log'))
      return undefined
    }
    const { since, after, limit } = req.query
    return accounts.auditLog({ ...(since !== undefined ? { since } : {}), ...(after !== undefined ? { afterId: after } : {}), limit })
  }

  app.get<{ Querystring: AuditQuery }>('/api/audit', { schema: { querystring: AuditQuery } }, (req, reply) => {
    const entries = read(req, reply)
    if (!entries) return reply
    return { count: entries.length, entries }
  })

  app.get<{ Querystring: AuditQuery }>('/api/audit.csv', { schema: { querystring: AuditQuery } }, (req, reply) => {
    const entries = read(req, reply)
    if (!entries) return reply
    // taking a copy of the log is itself worth a line in it
    accounts.audit({ actor: req.principal!, action: 'audit.export', detail: { rows: entries.length, ...req.query }, ip: req.ip })
    return reply.type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="liftwatch-audit.csv"')
      .header('cache-control', 'no-store')
      .send(auditCsv(entries))
  })
}
