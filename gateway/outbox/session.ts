// One MQTT connection's delivery: which outbox rows it has sent, which wait for PUBACK, and the
// paced replay of the backlog. A new connection gets a new Session (and a new mqtt.js client).
//
// Rows with id ≤ liveFrom (committed before this connection's CONNACK) are the backlog; they are
// replayed in id order at replayPerSecond. Rows committed later are live and go out at once.
// Both cursors only move forward, so each row is published at most once per connection.
import type { MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import type { Outbox, OutboxRow } from './outbox.ts'
import type { Latency } from './latency.ts'
import { LogThrottle, TokenBucket } from '../../core/rate-limit.ts'

export interface ConnectMessage { topic: string; payload: string; retain: boolean }
export interface DeliveryCounters { published: number; acked: number; replayed: number; publishErrors: number }

export interface SessionDeps {
  outbox: Outbox
  log: Logger
  toReplay: (payload: string) => string
  replayPerSecond: number
  maxInFlight: number
  counters: DeliveryCounters
  latency: Latency
  onAcked?: ((latencyMs: number) => void) | undefined
}

const TICK_MS = 50
const PAGE = 256

export class Session {
  readonly client: MqttClient
  readonly inFlight = new Map<number, number>() // row id → when published (performance.now)
  // topics whose retained state this connection already set (connect messages, live rows)
  private readonly retainedSent = new Set<string>()
  ready = false
  lastError: Error | undefined
  private readonly d: SessionDeps
  private liveFrom = 0
  private liveCursor = 0
  private liveStalled = false
  private replayCursor = 0
  private replayTimer: NodeJS.Timeout | undefined
  private replayStarted = 0
  private replayCount = 0
  private readonly replayPace: TokenBucket
  private drained: (() => void)[] = []
  private readonly errorLog = new LogThrottle(10_000)

  constructor(client: MqttClient, deps: SessionDeps) {
    this.client = client
    this.d = deps
    // a burst of two ticks: a stalled window does not build up a flood
    const perTick = (deps.replayPerSecond * TICK_MS) / 1000
    this.replayPace = new TokenBucket(deps.replayPerSecond, Math.max(1, 2 * perTick))
  }

  get replaying(): boolean { return this.replayTimer !== undefined }

  /** At CONNACK: fix the backlog boundary, send the connect messages first, start the replay. */
  begin(connectMessages: ConnectMessage[]): void {
    // rows added while we were down are committed now, so they fall into the backlog
    this.d.outbox.flush()
    this.liveFrom = this.liveCursor = this.d.outbox.lastId
    // MQTT keeps the order of QoS 1 messages on one connection ([MQTT-4.6.0-2]): these arrive first
    for (const m of connectMessages) {
      if (m.retain) this.retainedSent.add(m.topic)
      this.client.publish(m.topic, m.payload, { qos: 1, retain: m.retain }, (err) => {
        if (err) this.d.log.warn({ err, topic: m.topic }, 'connect message not acknowledged')
      })
    }
    this.ready = true
    this.replayStarted = performance.now()
    this.replayPace.reset(Math.max(1, (this.d.replayPerSecond * TICK_MS) / 1000))
    this.replayTimer = setInterval(() => this.replayTick(), TICK_MS)
    this.replayTick()
  }

  /** Rows just committed: published at once unless the in-flight window is full. */
  live(rows: OutboxRow[]): void {
    if (!this.ready) return
    for (const row of rows) {
      if (row.id <= this.liveCursor) continue
      if (this.liveStalled || this.inFlight.size >= this.d.maxInFlight) {
        // the rest is read back from the outbox, in order, as PUBACKs free the window
        this.liveStalled = true
        return
      }
      this.publish(row, false)
      this.liveCursor = row.id
    }
  }

  /**
   * Messages the outbox could not store (its disk full) or that are about it (the status): QoS 1,
   * no row behind them, so a connection lost before the PUBACK loses them — counted, logged.
   */
  direct(messages: readonly ConnectMessage[]): void {
    for (const m of messages) {
      if (m.retain) this.retainedSent.add(m.topic)
      this.d.counters.published++
      this.client.publish(m.topic, m.payload, { qos: 1, retain: m.retain }, (err) => {
        if (!err) {
          this.d.counters.acked++
          return
        }
        this.d.counters.publishErrors++
        const suppressed = this.errorLog.take()
        if (suppressed !== null) this.d.log.warn({ err, topic: m.topic, suppressed }, 'unstored message not delivered')
      })
    }
  }

  /** Stops sending; in-flight rows stay in the outbox for the next connection. */
  end(): void {
    this.ready = false
    this.stopReplay()
  }

  /** Graceful end: the offline status ourselves (DISCONNECT suppresses the will), PUBACKs awaited. */
  async close(will: { topic: string; payload: string }, timeoutMs: number): Promise<void> {
    const wasReady = this.ready
    this.end()
    let clean = false
    if (wasReady) {
      const status = this.client.publishAsync(will.topic, will.payload, { qos: 1, retain: true })
      const drained = new Promise<void>((resolve) => (this.inFlight.size === 0 ? resolve() : this.drained.push(resolve)))
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs) })
      clean = await Promise.race([Promise.all([status, drained]).then(() => true), timeout]).catch((err: unknown) => {
        this.d.log.warn({ err }, 'offline status not acknowledged')
        return false
      })
      clearTimeout(timer)
    }
    // force only when PUBACKs are still outstanding: mqtt.js would wait for them forever
    await new Promise<void>((resolve) => this.client.end(!clean, {}, () => resolve()))
  }

  private publish(row: OutboxRow, replay: boolean): void {
    let payload = row.payload
    let retain = row.retain
    if (!replay && retain) this.retainedSent.add(row.topic)
    // Live rows overtake the backlog. A replayed retained row that is no longer its topic's
    // latest state goes out as history only, or it would set the broker's retained state back.
    if (replay && retain) retain = !this.retainedSent.has(row.topic) && !this.d.outbox.hasNewerRetained(row.topic, row.id)
    if (replay) {
      try {
        payload = this.d.toReplay(row.payload)
      } catch (err) {
        this.d.log.warn({ err, id: row.id, topic: row.topic }, 'toReplay failed: replaying the payload as written')
      }
    }
    this.inFlight.set(row.id, performance.now())
    this.d.counters.published++
    if (replay) this.d.counters.replayed++
    this.client.publish(row.topic, payload, { qos: 1, retain }, (err) => this.puback(row.id, err))
  }

  private puback(id: number, err: Error | undefined): void {
    const sentAt = this.inFlight.get(id)
    this.inFlight.delete(id)
    if (err) {
      // the row stays in the outbox: the next connection replays it
      this.d.counters.publishErrors++
      const suppressed = this.errorLog.take()
      if (suppressed !== null) this.d.log.warn({ err, id, suppressed: this.errorLog.take() }, 'publish failed')
    } else {
      // a PUBACK is the broker's word whichever connection carried it
      this.d.outbox.ack(id)
      this.d.counters.acked++
      if (sentAt !== undefined) {
        const ms = performance.now() - sentAt
        this.d.latency.record(ms)
        this.d.onAcked?.(ms)
      }
    }
    if (this.liveStalled) this.pumpLive()
    if (this.inFlight.size === 0) for (const resolve of this.drained.splice(0)) resolve()
  }

  private pumpLive(): void {
    while (this.ready && this.liveStalled) {
      const room = this.d.maxInFlight - this.inFlight.size
      if (room <= 0) return
      const rows = this.d.outbox.read(this.liveCursor, Number.MAX_SAFE_INTEGER, Math.min(room, PAGE))
      if (rows.length === 0) {
        this.liveStalled = false
        return
      }
      for (const row of rows) {
        this.publish(row, false)
        this.liveCursor = row.id
      }
    }
  }

  private replayTick(): void {
    if (!this.ready) return
    const now = performance.now()
    // live rows have the window first; the backlog gets what is left
    const n = Math.min(this.replayPace.available(), this.d.maxInFlight - this.inFlight.size, PAGE)
    if (n <= 0) return
    const rows = this.d.outbox.read(this.replayCursor, this.liveFrom, n)
    if (rows.length === 0) {
      this.stopReplay()
      if (this.replayCount > 0) {
        this.d.log.info({ replayed: this.replayCount, ms: Math.round(now - this.replayStarted) }, 'backlog replayed')
      }
      return
    }
    for (const row of rows) {
      this.publish(row, true)
      this.replayCursor = row.id
    }
    this.replayCount += rows.length
    this.replayPace.take(rows.length)
  }

  private stopReplay(): void {
    clearInterval(this.replayTimer)
    this.replayTimer = undefined
  }
}
