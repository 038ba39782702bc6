// Metrics of the HTTP layer: requests and the live event stream. They go on the registry the
// composition root passes in, or on one of their own that /metrics appends to the view's text.
import { Counter, Gauge, type Registry } from 'prom-client'

export class HttpMetrics {
  readonly requests: Counter<'route' | 'status'>
  readonly sseClients: Gauge
  readonly sseEvents: Counter<'kind'>
  readonly sseCoalesced: Counter
  readonly sseClosed: Counter<'reason'>
  readonly sseResets: Counter
  readonly loginFailures: Counter<'reason'>
  readonly loginLockouts: Counter

  constructor(readonly registry: Registry) {
    const registers = [registry]
    this.requests = new Counter({ name: 'liftwatch_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers })
    this.sseClients = new Gauge({ name: 'liftwatch_http_sse_clients', help: 'clients connected to /api/events', registers })
    this.sseEvents = new Counter({ name: 'liftwatch_http_sse_events_total', help: 'live events fanned out to /api/events, by kind', labelNames: ['kind'], registers })
    this.sseCoalesced = new Counter({ name: 'liftwatch_http_sse_coalesced_total', help: 'queued events replaced by a newer one of the same elevator for a client that fell behind', registers })
    this.sseClosed = new Counter({ name: 'liftwatch_http_sse_closed_total', help: 'event streams ended: client (went away), shutdown, slow (backlog full), stalled (no drain in time)', labelNames: ['reason'], registers })
    this.loginFailures = new Counter({ name: 'liftwatch_broker_login_failures_total', help: 'logins refused: password (wrong username or password), locked (the username is in backoff)', labelNames: ['reason'], registers })
    this.loginLockouts = new Counter({ name: 'liftwatch_broker_login_lockouts_total', help: 'failed logins that left the username in backoff (5 failures or more in a row)', registers })
    this.sseResets = new Counter({ name: 'liftwatch_http_sse_resets_total', help: 'resumes that could not be served from the replay buffer (client told to reload)', registers })
  }
}
