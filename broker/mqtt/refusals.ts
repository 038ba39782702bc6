// Refused connects, publishes and subscribes: counted per client and reason for the metrics,
// logged at most once per interval per client.
import type { Logger } from 'pino'
import { LogThrottle, capKey } from '../../core/rate-limit.ts'

export type Counts = Record<string, number>
export interface RefusalStats {
  /** reason → count; usernames are the client's claim, so connects are not broken down by them */
  connect: Counts
  /** client (username, or client id when anonymous) → reason → count */
  publish: Record<string, Counts>
  subscribe: Record<string, Counts>
}

const MAX_CLIENTS = 10_000
const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s)

export class Refusals {
  private readonly connects = new Map<string, number>()
  private readonly tables = { publish: new Map<string, Map<string, number>>(), subscribe: new Map<string, Map<string, number>>() }
  private readonly limit: LogThrottle

  constructor(private readonly log: Logger, intervalMs: number, now: () => number) {
    this.limit = new LogThrottle(intervalMs, now, MAX_CLIENTS)
  }

  /** `knownUser`: the username is configured, so it may key the log limit (unknown ones share one). */
  connect(reason: string, data: { clientId: string; username: string | undefined; knownUser: boolean; remote: string | undefined; claimed?: number }): void {
    this.connects.set(reason, (this.connects.get(reason) ?? 0) + 1)
    const suppressed = this.limit.take(`connect\0${reason}\0${data.knownUser ? data.username : ''}`)
    // what a refused client claims is logged clipped: it can be up to 64 KiB each
    const fields = { clientId: clip(data.clientId), username: data.username === undefined ? undefined : clip(data.username), remote: data.remote, claimed: data.claimed }
    if (suppressed !== null) this.log.warn({ ...fields, reason, suppressed }, 'connection refused')
  }

  refuse(action: 'publish' | 'subscribe', client: string, reason: string, topic: string): void {
    const table = this.tables[action]
    const key = capKey(table, client, MAX_CLIENTS)
    let counts = table.get(key)
    if (!counts) table.set(key, (counts = new Map()))
    counts.set(reason, (counts.get(reason) ?? 0) + 1)
    const suppressed = this.limit.take(`${action}\0${key}`)
    if (suppressed !== null) this.log.warn({ client, reason, topic: clip(topic), suppressed }, action === 'publish' ? 'publish refused' : 'subscribe refused')
  }

  stats(): RefusalStats {
    const nested = (t: Map<string, Map<string, number>>) => Object.fromEntries([...t].map(([c, m]) => [c, Object.fromEntries(m)]))
    return { connect: Object.fromEntries(this.connects), publish: nested(this.tables.publish), subscribe: nested(this.tables.subscribe) }
  }
}
