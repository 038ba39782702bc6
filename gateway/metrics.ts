// Prometheus metrics of one gateway, on a registry of its own (never the process-global one).
import { createServer, type Server } from 'node:http'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** A count the hot path bumps as a plain number (`tally.n++`); see TallyCounter. */
export interface Tally { n: number }

/**
 * A counter for what happens on every poll: prom-client hashes the label set on each labelled
 * inc() (the children labels() returns too), so each label set gets a plain Tally instead, and
 * the counter takes in what the tallies gained when it is scraped.
 */
export class TallyCounter<L extends string> {
  readonly counter: Counter<L>
  private readonly tallies = new Map<string, { labels: Record<L, string>; tally: Tally; exported: number }>()

  constructor(cfg: { name: string; help: string; labelNames: readonly L[]; registry: Registry }) {
    const tallies = this.tallies
    this.counter = new Counter({
      name: cfg.name, help: cfg.help, labelNames: cfg.labelNames, registers: [cfg.registry],
      collect() {
        for (const t of tallies.values()) {
          if (t.tally.n === t.exported) continue
          this.inc(t.labels, t.tally.n - t.exported)
          t.exported = t.tally.n
        }
      },
    })
  }

  /** The tally of one label set, the same object on every call. */
  tally(labels: Record<L, string>): Tally {
    const key = JSON.stringify(labels)
    let t = this.tallies.get(key)
    if (!t) this.tallies.set(key, (t = { labels, tally: { n: 0 }, exported: 0 }))
    return t.tally
  }
}

export class GatewayMetrics {
  readonly registry = new Registry()
  readonly polls = new TallyCounter({ name: 'liftwatch_gateway_polls_total', help: 'polls per elevator by result', labelNames: ['elevator', 'result'], registry: this.registry })
  readonly failures = new Counter({ name: 'liftwatch_gateway_poll_failures_total', help: 'failed polls per elevator by error code', labelNames: ['elevator', 'code'], registers: [this.registry] })
  readonly pointErrors = new Counter({ name: 'liftwatch_gateway_point_errors_total', help: 'points that could not be read', labelNames: ['elevator', 'point'], registers: [this.registry] })
  readonly pollDuration = new Histogram({ name: 'liftwatch_gateway_poll_duration_seconds', help: 'time to read one elevator', buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] })
  readonly invalidTelemetry = new Counter({ name: 'liftwatch_gateway_telemetry_invalid_total', help: 'telemetry the v1 contract rejects, never published, by elevator and first failing field', labelNames: ['elevator', 'field'], registers: [this.registry] })
  readonly messages = new TallyCounter({ name: 'liftwatch_gateway_messages_total', help: 'messages produced by kind', labelNames: ['kind'], registry: this.registry })
  readonly available = new Gauge({ name: 'liftwatch_gateway_elevator_online', help: '1 when the controller answers', labelNames: ['elevator'], registers: [this.registry] })
  readonly publishLatency = new Histogram({ name: 'liftwatch_gateway_publish_latency_seconds', help: 'outbox write to PUBACK', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30], registers: [this.registry] })

  /** Gauges read from their owners at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()) } })
  }
}

/** Serves GET /metrics as Prometheus text. Resolves with the bound port. */
export async function serveMetrics(metrics: GatewayMetrics, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && req.url !== '/')) {
      res.writeHead(404).end()
      return
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return { server, port: (server.address() as { port: number }).port }
}
