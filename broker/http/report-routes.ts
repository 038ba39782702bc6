// Inspections and drills due, risk grades and the monthly reports (broker/records/due.ts, risk.ts,
// report.ts): GET /api/due (every role, cut to its scope), GET /api/risk and GET
// /api/reports/monthly (report.read). A township user's report is their township's whatever region
// they ask for inside it; a region outside the scope is refused. Every export goes to the audit log.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { can } from '../accounts/roles.ts'
import type { Principal } from '../accounts/scope.ts'
import type { AccountStore } from '../accounts/store.ts'
import type { DueDates } from '../records/due.ts'
import { monthlyReport, periodBounds, type ReportSources } from '../records/report.ts'
import { reportXlsx } from '../records/report-xlsx.ts'
import { riskRows } from '../records/risk.ts'
import type { RecordsDeps } from '../records/types.ts'
import type { RoutePlugin } from './app.ts'
import { errorBody, HttpErrorCode } from './errors.ts'
import { callerOf } from './auth.ts'

const REGION = '^(\\d{6}|\\d{9}|\\d{12})$'
const NoQuery = Type.Object({}, { additionalProperties: false })
const RiskQuery = Type.Object({ township: Type.Optional(Type.String({ pattern: '^\\d{9}$' })) }, { additionalProperties: false })
const ReportQuery = Type.Object({
  month: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM, China Standard Time' }),
  region: Type.Optional(Type.String({ pattern: REGION })),
  format: Type.Unsafe<'json' | 'xlsx'>({ type: 'string', enum: ['json', 'xlsx'], default: 'json' }),
}, { additionalProperties: false })

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'


/** The region a principal's report covers: the narrower of the asked one and the scope; null when they do not meet. */
export function reportRegion(p: Principal, asked: string | undefined, fallback: string): string | null {
  if ('org' in p.scope) return null
  if ('all' in p.scope) return asked ?? fallback
  const mine = p.scope.region
  if (asked === undefined || asked.startsWith(mine)) return asked ?? mine
  return mine.startsWith(asked) ? mine : null
}

/** What a report reads, for one principal: the KPIs through the incident service, as GET /api/kpis. */
export function reportSources(deps: RecordsDeps, principal: Principal): ReportSources {
  const names = new Map<string, string>()
  for (const o of deps.parties().file.organisations) if (o.kind === 'township' && o.township) names.set(o.township, o.name)
  return {
    registry: deps.registry, db: deps.db, alarms: deps.alarms, principal, now: deps.scheduler.now(),
    kpis: (by, from, to, region) => deps.incidents.kpis(by, { from, to, region }, principal),
    townshipName: (code) => names.get(code),
  }
}

export function registerRecordsReportRoutes(deps: RecordsDeps, due: DueDates): RoutePlugin {
  return (app, { accounts }) => {
    const refuse = (req: FastifyRequest, reply: FastifyReply, accts: AccountStore, action: string, target: string, why: string) => {
      const p = callerOf(req)
      accts.audit({ actor: p, action: `${action}.denied`, target, detail: { reason: why }, ip: req.ip })
      return reply.code(403).send(errorBody(403, HttpErrorCode.Forbidden, `role ${p.role} with scope may not read ${target}: ${why}`))
    }

    app.get('/api/due', { schema: { querystring: NoQuery } }, (req) => {
      const p = callerOf(req)
      return { now: deps.scheduler.now(), inspections: due.inspections(p), drills: due.drills(p) }
    })

    app.get<{ Querystring: Static<typeof RiskQuery> }>('/api/risk', { schema: { querystring: RiskQuery } }, (req, reply) => {
      const p = callerOf(req)
      if (!can(p.role, 'report.read')) return refuse(req, reply, accounts, 'report.risk', 'risk', 'role')
      const rows = riskRows({ registry: deps.registry, db: deps.db, alarms: deps.alarms }, p, deps.scheduler.now(), req.query.township)
      return { now: deps.scheduler.now(), count: rows.length, rows }
    })

    app.get<{ Querystring: Static<typeof ReportQuery> }>('/api/reports/monthly', { schema: { querystring: ReportQuery } }, async (req, reply) => {
      const p = callerOf(req)
      const { month, format } = req.query
      const target = `${month}/${req.query.region ?? ''}`
      if (!can(p.role, 'report.read')) return refuse(req, reply, accounts, 'report.monthly', target, 'role')
      const region = reportRegion(p, req.query.region, deps.registry.elevators[0]?.region ?? '')
      if (region === null) return refuse(req, reply, accounts, 'report.monthly', target, 'scope')
      if (!periodBounds(month)) return reply.code(400).send(errorBody(400, HttpErrorCode.BadQuery, `month ${month}: YYYY-MM`))
      const report = monthlyReport({ month, region }, reportSources(deps, p))
      accounts.audit({ actor: p, action: 'report.monthly', target: `${month}/${region}`, detail: { format }, ip: req.ip })
      if (format === 'json') return report
      const body = await reportXlsx(report)
      return reply.type(XLSX).header('content-disposition', `attachment; filename="report-${region}-${month}.xlsx"`).send(body)
    })
  }
}
