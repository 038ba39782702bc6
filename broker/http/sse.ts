// Server-sent events for /api/events. One subscription to view.live$ fans out to every client.
// Each event is serialised once. A client whose socket stops draining gets a bounded backlog:
// state and availability are coalesced per elevator, incidents per incident (latest wins), alarms queue up to
// maxBacklog, then the client is dropped and counted; so a slow reader costs bounded memory.
// A short replay ring lets a reconnecting client resume from its Last-Event-ID.
// Every stream belongs to a principal: each event goes only where its scope covers it (cut, for a
// gateway alarm, to the elevators in scope), and one user holds at most maxPerUser streams.
import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Observable, Subscription } from 'rxjs'
import type { HttpMetrics } from './metrics.ts'
import type { LiveEvent } from './broker-view.ts'
import type { Principal } from '../accounts/scope.ts'

export interface SseOptions {
  /** comment line sent to idle clients so proxies and NATs keep the connection */
  heartbeatMs: number
  /** alarms waiting for one slow client before it is dropped */
  maxBacklog: number
  /** a client that has not drained for this long is dropped */
  maxStallMs: number
  /** events kept for Last-Event-ID resume */
  replay: number
  maxClients: number
  /** streams one user (all its sessions and tokens) may hold at once */
  maxPerUser: number
  /** reconnection delay advised to EventSource */
  retryMs: number
}

export const defaultSseOptions: Readonly<SseOptions> = Object.freeze({
  heartbeatMs: 15_000, maxBacklog: 1000, maxStallMs: 60_000, replay: 4096, maxClients: 500, maxPerUser: 4, retryMs: 2000,
})

/**
 * One published event. Its id, coalescing key and serialisation are made when a stream first
 * needs them: with no stream open, publishing an event costs no string at all.
 */
class Entry {
  private text: string | undefined
  /** undefined: not yet made; null: the event has none (an alarm, an ack) */
  private coalesce: string | null | undefined

  constructor(private readonly stream: string, readonly seq: number, readonly event: LiveEvent) {}

  get id(): string { return `${this.stream}:${this.seq}` }
  /** alarms (and acks) are never skipped: each keeps a key of its own */
  get strict(): boolean { return this.coalesceKey() === null }
  get key(): string { return this.coalesceKey() ?? `#${this.seq}` }
  private coalesceKey(): string | null {
    if (this.coalesce === undefined) this.coalesce = coalesceKey(this.event) ?? null
    return this.coalesce
  }
  get chunk(): string { return (this.text ??= chunkOf(this.id, this.event)) }
  /** the same event as one principal sees it (a cut gateway alarm): serialised apart */
  as(event: LiveEvent): Entry { return event === this.event ? this : new Entry(this.stream, this.seq, event) }
}

/** the event as a principal may see it (BrokerView.visibleTo); undefined: not for it */
export type EventFilter = (e: LiveEvent, p: Principal) => LiveEvent | undefined

/** why a stream is refused before it opens */
export type Refusal = 'unauthenticated' | 'full' | 'user-full'

interface Client {
  raw: ServerResponse
  principal: Principal
  /** insertion order = id order: a coalesced entry is deleted and re-added at the end */
  pending: Map<string, Entry>
  strict: number
  behindSince: number
  closed: boolean
}

export type CloseReason = 'client' | 'shutdown' | 'slow' | 'stalled' | 'logout'

// Latest-wins key for events a slow client may skip; alarms are never skipped. An incident event
// carries the whole summary, so a newer one of the same incident replaces an older one.
function coalesceKey(e: LiveEvent): string | undefined {
  if (e.kind === 'state') return `s:${e.elevatorId}`
  if (e.kind === 'availability') return `a:${e.elevatorId}`
  if (e.kind === 'incident') return `i:${e.incident.id}`
  return undefined
}

export class EventHub {
  /** distinguishes this process's ids from a previous run's after a restart */
  readonly stream = Date.now().toString(36)
  private seq = 0
  private readonly ring: (Entry | undefined)[]
  /** per coalescing key, its newest entry in the ring */
  private readonly latest = new Map<string, Entry>()
  private readonly clients = new Set<Client>()
  private sub: Subscription | undefined
  private timer: NodeJS.Timeout | undefined
  private failed = false
  private filter: EventFilter = () => undefined
  private readonly perUser = new Map<number, number>()

  constructor(private readonly opts: SseOptions, private readonly metrics: HttpMetrics, private readonly log: Logger) {
    this.ring = new Array<Entry | undefined>(Math.max(1, opts.replay))
  }

  get lastId(): string { return `${this.stream}:${this.seq}` }
  get healthy(): boolean { return this.sub !== undefined && !this.failed }

  /** `filter` decides per stream what its principal sees; nothing passes without one */
  start(live$: Observable<LiveEvent>, filter: EventFilter): void {
    if (this.sub) return
    this.filter = filter
    this.sub = live$.subscribe({
      next: (e) => this.publish(e),
      error: (err: unknown) => { this.failed = true; this.log.error({ err }, 'live event stream failed') },
      complete: () => { this.failed = true; this.log.warn('live event stream completed') },
    })
    this.timer = setInterval(() => this.tick(), this.opts.heartbeatMs)
    this.timer.unref()
  }

  stop(): void {
    this.sub?.unsubscribe()
    clearInterval(this.timer)
    this.closeAll('shutdown')
  }

  stats(): { clients: number; pending: number[]; lastId: string } {
    return { clients: this.clients.size, pending: [...this.clients].map((c) => c.pending.size), lastId: this.lastId }
  }

  closeAll(reason: CloseReason): void {
    for (const c of [...this.clients]) this.close(c, reason)
  }

  /** Ends the streams of one session, token or user (logout, a disabled user): they see nothing more. */
  closeFor(who: { sessionId?: string; tokenId?: number; userId?: number }): number {
    const ended = [...this.clients].filter(({ principal: p }) =>
      (who.sessionId !== undefined && p.sessionId === who.sessionId) || (who.tokenId !== undefined && p.tokenId === who.tokenId) ||
      (who.userId !== undefined && p.userId === who.userId))
    for (const c of ended) this.close(c, 'logout')
    return ended.length
  }

  /** The principals of the open streams (one per stream), for broker/http/auth.ts's session sweep. */
  principals(): Principal[] {
    return [...this.clients].map((c) => c.principal)
  }

  get full(): boolean { return this.clients.size >= this.opts.maxClients }

  /** Whether a stream for `principal` would be refused, and why; undefined: it may open. */
  refusal(principal: Principal | null | undefined): Refusal | undefined {
    if (!principal) return 'unauthenticated'
    if ((this.perUser.get(principal.userId) ?? 0) >= this.opts.maxPerUser) return 'user-full'
    return this.full ? 'full' : undefined
  }

  /**
   * Takes over a response whose headers are not yet written. `lastEventId` may be undefined.
   * Callers check refusal() first to answer properly; a stream without a principal is still
   * refused here with a bare 401, so an anonymous client never holds a slot.
   */
  attach(raw: ServerResponse, lastEventId: string | undefined, principal: Principal | null | undefined): void {
    const refused = this.refusal(principal)
    if (refused || !principal) {
      raw.writeHead(refused === 'unauthenticated' ? 401 : refused === 'user-full' ? 429 : 503, { 'content-type': 'text/plain; charset=utf-8' })
      raw.end(refused ?? 'unauthenticated')
      return
    }
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no', // nginx: do not buffer the stream
    })
    raw.socket?.setNoDelay(true)
    const c: Client = { raw, principal, pending: new Map(), strict: 0, behindSince: 0, closed: false }
    this.clients.add(c)
    this.perUser.set(principal.userId, (this.perUser.get(principal.userId) ?? 0) + 1)
    this.metrics.sseClients.set(this.clients.size)
    raw.on('close', () => this.close(c, 'client'))
    const hello = { stream: this.stream, lastId: this.lastId, now: Date.now(), heartbeatMs: this.opts.heartbeatMs }
    this.write(c, `retry: ${this.opts.retryMs}\nevent: hello\ndata: ${JSON.stringify(hello)}\n\n`)
    if (lastEventId !== undefined && lastEventId !== '') this.resume(c, lastEventId)
  }

  private resume(c: Client, lastEventId: string): void {
    const m = /^([0-9a-z]+):([0-9]+)$/.exec(lastEventId)
    const from = m && m[1] === this.stream ? Number(m[2]) : NaN
    const oldest = this.seq - Math.min(this.seq, this.ring.length) // last seq the ring no longer holds
    if (!(from >= oldest && from <= this.seq)) {
      // a different process, a future id or one the ring has forgotten: the client must reload
      this.metrics.sseResets.inc()
      this.write(c, `event: reset\ndata: ${JSON.stringify({ lastId: this.lastId, reason: m ? 'gap' : 'unknown-id' })}\n\n`)
      return
    }
    for (let s = from + 1; s <= this.seq; s++) {
      const e = this.ring[s % this.ring.length]
      if (e) this.deliver(c, e)
    }
  }

  private publish(e: LiveEvent): void {
    const seq = ++this.seq
    const entry = new Entry(this.stream, seq, e)
    const slot = seq % this.ring.length
    const leaving = this.ring[slot]
    if (leaving && !leaving.strict && this.latest.get(leaving.key) === leaving) this.latest.delete(leaving.key)
    this.ring[slot] = entry
    if (!entry.strict) {
      // a resuming client needs only the newest state of an elevator (incident of an incident), as a
      // slow one gets: the older one leaves the ring now, so the ring keeps no more of them than
      // there are elevators, not the last `replay` samples of a busy fleet
      const older = this.latest.get(entry.key)
      if (older && this.ring[older.seq % this.ring.length] === older) this.ring[older.seq % this.ring.length] = undefined
      this.latest.set(entry.key, entry)
    }
    this.metrics.sseEvents.inc({ kind: e.kind })
    for (const c of this.clients) this.deliver(c, entry)
  }

  private deliver(c: Client, whole: Entry): void {
    if (c.closed) return
    const seen = this.filter(whole.event, c.principal)
    if (!seen) return
    // most events pass whole and share one serialisation; a cut gateway alarm gets its own
    const e = whole.as(seen)
    if (c.behindSince === 0) { this.write(c, e.chunk); return }
    if (c.pending.delete(e.key)) this.metrics.sseCoalesced.inc()
    else if (e.strict) c.strict++
    c.pending.set(e.key, e)
    if (c.strict > this.opts.maxBacklog) this.close(c, 'slow')
  }

  private write(c: Client, chunk: string): void {
    if (c.raw.write(chunk)) return
    // the socket buffer is over its high-water mark: queue until it drains
    c.behindSince = Date.now()
    c.raw.once('drain', () => this.flush(c))
  }

  private flush(c: Client): void {
    if (c.closed) return
    c.behindSince = 0
    let buf = ''
    for (const [key, e] of c.pending) {
      c.pending.delete(key)
      if (e.strict) c.strict--
      buf += e.chunk
      if (buf.length >= 65_536) {
        this.write(c, buf)
        buf = ''
        if (c.behindSince !== 0) return
      }
    }
    if (buf) this.write(c, buf)
  }

  private tick(): void {
    const now = Date.now()
    for (const c of [...this.clients]) {
      if (c.behindSince === 0) this.write(c, `: heartbeat ${now}\n\n`)
      else if (now - c.behindSince > this.opts.maxStallMs) this.close(c, 'stalled')
    }
  }

  private close(c: Client, reason: CloseReason): void {
    if (c.closed) return
    c.closed = true
    c.pending.clear()
    this.clients.delete(c)
    const held = (this.perUser.get(c.principal.userId) ?? 1) - 1
    if (held > 0) this.perUser.set(c.principal.userId, held)
    else this.perUser.delete(c.principal.userId)
    this.metrics.sseClients.set(this.clients.size)
    this.metrics.sseClosed.inc({ reason })
    if (reason === 'slow' || reason === 'stalled') {
      this.log.warn({ reason, remote: c.raw.socket?.remoteAddress }, 'event stream client dropped')
      c.raw.destroy()
    } else if (reason === 'shutdown' || reason === 'logout') {
      c.raw.end()
    }
  }
}

// JSON.stringify escapes newlines, so one data: line always suffices
function chunkOf(id: string, e: LiveEvent): string {
  return `id: ${id}\nevent: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`
}
