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

export interface BuildOptions {
  view: BrokerView
  log: Logger
  /** live page assets; default broker/ui; false serves no page */
  uiDir?: string | false
  /**
   * Registry for the HTTP metrics. Pass the one view.metrics() renders; without it the HTTP
   * metrics live on a registry of their own that /metrics appends to view.metrics().
   */
  registry?: Registry
  sse?: Partial<SseOptions>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** the /api/events fan-out, for main.ts and tests (stats, closeAll) */
    liveEvents: EventHub
  }
}

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url))

export function build(opts: BuildOptions): FastifyInstance {
  const { view } = opts
  const { log } = opts
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger, // pino's Logger is wider than fastify's view of it
    // unknown query parameters fail validation instead of being dropped; report every problem
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
  })
  const metrics = new HttpMetrics(opts.registry ?? new Registry())
  const ownRegistry = opts.registry ? undefined : metrics.registry
  const hub = new EventHub(Object.freeze({ ...defaultSseOptions, ...opts.sse }), metrics, log.child({ route: '/api/events' }))
  app.decorate('liveEvents', hub)

  app.addHook('onReady', async () => hub.start(view.live$))
  // end streams before the server waits for open connections to finish
  app.addHook('preClose', async () => hub.stop())
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
      return reply.code(err.statusCode).send(errorBody(err.statusCode, HttpErrorCode.BadRequest, err.message))
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

  registerApi(app, view, hub)
  if (opts.uiDir !== false) registerStatic(app, opts.uiDir ?? DEFAULT_UI_DIR)
  return app
}
