// The HTTP composition root: health, metrics, the JSON API, the event stream and the live page.
// build() wires and opens nothing; the broker's main.ts calls listen().
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { Registry } from 'prom-client'
import { describeProblems, errorBody, HttpErrorCode } from './errors.ts'
import { HttpMetrics } from './metrics.ts'
import { registerApi } from './routes.ts'
import { defaultSseOptions, EventHub, type SseOptions } from './sse.ts'
import { registerStatic } from './static.ts'
import type { BrokerView } from './broker-view.ts'
import type { AccountStore } from '../accounts/store.ts'
import { registerAuth, STREAM_SWEEP_MS, sweepStreams } from './auth.ts'
import { registerLogin } from './login.ts'
import type { LockoutPolicy } from './lockout.ts'
import type { IncidentService } from '../incidents/types.ts'
import { registerIncidents } from './incident-routes.ts'
import { registerRespond } from './respond-routes.ts'

/** What a part's routes get (the records of broker/records/ register theirs this way). */
export interface RouteDeps {
  accounts: AccountStore
  view: BrokerView
  /** the HTTP metrics registry, for a part's counters */
  metrics: Registry
  uiDir: string
}
export type RoutePlugin = (app: FastifyInstance, deps: RouteDeps) => void

export interface BuildOptions {
  view: BrokerView
  /** more routes, registered after the API and before the static assets */
  routes?: readonly RoutePlugin[]
  /** users, sessions, tokens and the audit log */
  accounts: AccountStore
  log: Logger
  /** live page assets; default broker/ui; false serves no page */
  uiDir?: string | false
  /**
   * Registry for the HTTP metrics. Pass the one view.metrics() renders; without it the HTTP
   * metrics live on a registry of their own that /metrics appends to view.metrics().
   */
  registry?: Registry
  sse?: Partial<SseOptions>
  http?: HttpSecurity
  /** the response chain: the incidents API and the responder links (docs/api.md#incidents) */
  incidents?: IncidentService
  /** the incident service's clock (its scheduler's now), for the `now` its answers carry; default Date.now */
  incidentsNow?: () => number
}

/** The HTTP side of logins (broker/config.ts `http`): TLS, the answered host, the demo's auto-login. */
export interface HttpSecurity {
  /** PEM certificate chain and key: serve HTTPS, and the session cookie gets Secure */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined
  /** https://lifts.example.gov.cn: the only Host answered; https also makes the cookie Secure (a TLS proxy) */
  publicOrigin?: string | undefined
  /** the listen address, for the Host check when there is no publicOrigin */
  listenHost?: string | undefined
  autoLogin?: { username: string } | undefined
  lockout?: LockoutPolicy | undefined
  loginsPerMinute?: number | undefined
  /** the account store's clock, for the lockout and session touches (tests) */
  now?: (() => number) | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the /api/events fan-out, for main.ts and tests (stats, closeAll) */
    liveEvents: EventHub
  }
}

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url))

export function build(opts: BuildOptions): FastifyInstance {
  const { view, accounts } = opts
  const { log } = opts
  const sec = opts.http ?? {}
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger, // pino's Logger is wider than fastify's view of it
    // unknown query parameters fail validation instead of being dropped; report every problem
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    // a responder link's token (broker/incidents/links.ts) is one path parameter of up to ~2,100 characters
    routerOptions: { maxParamLength: 2200 },
    ...(sec.tls ? { https: { cert: sec.tls.cert, key: sec.tls.key } } : {}),
  }) as unknown as FastifyInstance // the https server type is the same to every route
  // JSON bodies only: text/plain (fastify's other default) is 415, as docs/api.md says
  app.removeContentTypeParser('text/plain')
  const metrics = new HttpMetrics(opts.registry ?? new Registry())
  const secure = Boolean(sec.tls) || sec.publicOrigin?.startsWith('https:') === true
  // first: its onRoute hook marks the public routes, its onRequest hook guards all of them
  registerAuth(app, { accounts, secure, publicOrigin: sec.publicOrigin, listenHost: sec.listenHost, autoLogin: sec.autoLogin, ...(sec.now ? { now: sec.now } : {}) })
  const ownRegistry = opts.registry ? undefined : metrics.registry
  const hub = new EventHub(Object.freeze({ ...defaultSseOptions, ...opts.sse }), metrics, log.child({ route: '/api/events' }))
  app.decorate('liveEvents', hub)

  app.addHook('onReady', async () => hub.start(view.live$, (e, p) => view.visibleTo(e, p)))
  let sweep: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    sweep = setInterval(() => {
      try {
        sweepStreams(hub, accounts)
      } catch (err) {
        log.error({ err }, 'event stream session sweep failed')
      }
    }, STREAM_SWEEP_MS)
    sweep.unref()
  })
  // end streams before the server waits for open connections to finish
  app.addHook('preClose', async () => {
    clearInterval(sweep)
    hub.stop()
  })
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({ route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) })
  })

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation) {
      const part = err.validationContext === 'querystring' ? 'query' : err.validationContext ?? 'request'
      const schema = req.routeOptions.schema?.[err.validationContext ?? 'querystring'] as { properties?: Record<string, unknown> } | undefined
      const problems = describeProblems(err.validation, Object.keys(schema?.properties ?? {}), part)
      const code = part === 'query' ? HttpErrorCode.BadQuery : HttpErrorCode.BadRequest
      return reply.code(400).send(errorBody(400, code, `bad ${part}: ${problems.join('; ')}`, problems))
    }
    // fastify's own refusals: a body that is not JSON, too large, of an unknown content type
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      // 429: @fastify/rate-limit's refusal; it has set retry-after
      const code = err.statusCode === 429 ? HttpErrorCode.TooManyRequests : HttpErrorCode.BadRequest
      return reply.code(err.statusCode).send(errorBody(err.statusCode, code, err.message))
    }
    req.log.error({ err }, 'request failed')
    return reply.code(500).send(errorBody(500, HttpErrorCode.Internal, 'internal error; see the broker log'))
  })
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, `no route ${req.method} ${req.url.split('?')[0]}`))
  })

  app.get('/healthz', { logLevel: 'warn' }, (_req, reply) => {
    const h = view.health()
    const checks = { ...h.checks, events: hub.healthy }
    const ok = h.ok && hub.healthy
    return reply.code(ok ? 200 : 503).send({ ok, checks })
  })

  app.get('/metrics', { logLevel: 'warn' }, async (_req, reply) => {
    const parts = [await view.metrics()]
    if (ownRegistry) parts.push(await ownRegistry.metrics())
    return reply.type(Registry.PROMETHEUS_CONTENT_TYPE).send(parts.map((p) => p.trimEnd()).join('\n') + '\n')
  })

  registerLogin(app, { accounts, metrics, secure, lockout: sec.lockout, loginsPerMinute: sec.loginsPerMinute, now: sec.now })
  registerApi(app, view, hub, opts.accounts)
  if (opts.incidents) {
    const now = opts.incidentsNow ?? Date.now
    registerIncidents(app, opts.incidents, accounts, { sees: (id, p) => view.elevators(p).some((e) => e.elevatorId === id), now })
    registerRespond(app, { incidents: opts.incidents, accounts, registry: metrics.registry, uiDir: opts.uiDir || DEFAULT_UI_DIR, now })
  }
  for (const register of opts.routes ?? []) register(app, { accounts, view, metrics: metrics.registry, uiDir: opts.uiDir || DEFAULT_UI_DIR })
  if (opts.uiDir !== false) registerStatic(app, opts.uiDir ?? DEFAULT_UI_DIR)
  return app
}
