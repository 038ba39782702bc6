// The gateway's durable publishing path: send() writes to the outbox, the outbox commits at the
// end of its commit window, and committed rows go to the broker over MQTT QoS 1; PUBACK deletes them.
//
// Replay vs. mqtt.js's own resend: each connection is a fresh mqtt.js client (reconnectPeriod 0,
// in-memory store) that is thrown away when its socket closes, and we publish only while a
// connection is up. So mqtt.js never queues while offline and never resends the previous
// connection's unacknowledged PUBLISHes; those rows are still in the outbox and come back in
// the paced backlog replay, once. The outbox is the only queue and it survives restarts, which
// mqtt.js's store does not. For QoS 1 a resend under a new packet id is the same delivery
// guarantee as a resend under the old one ([MQTT-4.3.2]: at least once, duplicates possible;
// the broker drops duplicates by seq).
import mqtt, { type IConnackPacket } from 'mqtt'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import type { DropReason, MessageKind, Outbox, OutboxMessage, OutboxRow, WriteState } from './outbox.ts'
import { Latency, type LatencySummary } from './latency.ts'
import { clientOptions, mqttReconnectDelay, readTls, safeUrl, type MqttConfig, type TlsFiles, type WillMessage } from './mqtt-options.ts'
import { LogThrottle } from '../../core/rate-limit.ts'
import { Session, type ConnectMessage, type DeliveryCounters } from './session.ts'

export interface PublisherOptions {
  mqtt: MqttConfig
  /** defaults to mqtt.clientId, then gatewayId */
  clientId?: string | undefined
  gatewayId?: string | undefined
  outbox: Outbox
  outboxConfig: Pick<GatewayConfig['outbox'], 'replayPerSecond'>
  /** retained, QoS 1: the gateway status topic with {"v":1,"state":"offline"} */
  will: WillMessage
  /** published on every (re)connect before anything else */
  onConnect?: () => ConnectMessage[]
  /** rewrites a backlog payload before it is replayed (the gateway marks reason "replay") */
  toReplay?: (payload: string) => string
  /** publish → PUBACK latency of every acknowledged row, e.g. for a histogram */
  onAcked?: (latencyMs: number) => void
  /** unacknowledged rows per connection; MQTT packet ids allow 65535 */
  maxInFlight?: number
  /** for graceful stop: how long to wait for outstanding PUBACKs */
  stopTimeoutMs?: number
  random?: () => number
}

export interface PublishMessage extends OutboxMessage { kind: MessageKind }

export interface PublisherStats extends DeliveryCounters {
  connected: boolean
  reconnects: number
  depth: number
  bytes: number
  pending: number
  inFlight: number
  replaying: boolean
  drops: Record<DropReason, number>
  overBound: number
  /** can the outbox store (gateway/outbox/outbox.ts); not ok = live messages go out unstored */
  writeState: WriteState
  bypassed: number
  writeErrors: number
  latencyMs: LatencySummary | null
}

const KINDS: readonly string[] = ['change', 'heartbeat', 'availability'] satisfies MessageKind[]
// a connection that stayed up this long resets the backoff
const STABLE_MS = 10_000

export class Publisher {
  private readonly o: PublisherOptions
  private readonly log: Logger
  private readonly counters: DeliveryCounters = { published: 0, acked: 0, replayed: 0, publishErrors: 0 }
  private readonly latency = new Latency()
  private readonly connectErrorLog = new LogThrottle(60_000)
  private readonly onCommitted = (rows: OutboxRow[]) => this.session?.live(rows)
  private session: Session | undefined
  private tls: TlsFiles | undefined
  private started = false
  private stopping: Promise<void> | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  private connectedAt = 0
  private everConnected = false
  private reconnects = 0

  constructor(opts: PublisherOptions, log: Logger) {
    this.o = opts
    this.log = log
  }

  get clientId(): string {
    const id = this.o.clientId ?? this.o.mqtt.clientId ?? this.o.gatewayId
    if (!id) throw new GatewayError(GatewayErrorCode.Mqtt, 'no MQTT client id: set mqtt.clientId or the gateway id', {})
    return id
  }

  /** Opens the first connection. Throws LW_ERR_OUTBOX / LW_ERR_MQTT on a closed outbox, unreadable TLS files, a bad URL. */
  start(): void {
    if (this.started) return
    if (!this.o.outbox.isOpen) throw new GatewayError(GatewayErrorCode.Outbox, 'outbox is not open', { path: this.o.outbox.path })
    this.tls = readTls(this.o.mqtt.tls)
    this.started = true
    this.stopping = undefined
    this.o.outbox.on('committed', this.onCommitted)
    this.o.outbox.onBypass((messages) => this.bypass(messages))
    try {
      this.connect()
    } catch (err) {
      this.started = false
      this.o.outbox.off('committed', this.onCommitted)
      this.o.outbox.onBypass(undefined)
      throw new GatewayError(GatewayErrorCode.Mqtt, `cannot connect to ${safeUrl(this.o.mqtt.url)}: ${(err as Error).message}`, { url: safeUrl(this.o.mqtt.url) }, err)
    }
  }

  /** Publishes the offline status, waits briefly for outstanding PUBACKs, disconnects. Idempotent. */
  stop(): Promise<void> {
    if (!this.started) return this.stopping ?? Promise.resolve()
    this.stopping ??= (async () => {
      clearTimeout(this.retryTimer)
      this.retryTimer = undefined
      this.o.outbox.off('committed', this.onCommitted)
      this.o.outbox.onBypass(undefined)
      const s = this.session
      if (s) await s.close(this.o.will, this.o.stopTimeoutMs ?? 2000)
      this.session = undefined
      this.started = false
      // acks of the last PUBACKs
      if (this.o.outbox.isOpen) this.o.outbox.flush()
      this.log.info(this.stats(), 'publisher stopped')
    })()
    return this.stopping
  }

  /** Durable first: the outbox commits it at the end of its commit window, then it is published. */
  send(msg: PublishMessage): void {
    if (!KINDS.includes(msg.kind)) throw new GatewayError(GatewayErrorCode.Mqtt, `unknown message kind "${msg.kind}"`, { topic: msg.topic })
    // a topic the broker refuses would sit in the outbox forever: refuse it here ([MQTT-3.3.2-2])
    if (msg.topic.length === 0 || /[+#\0]/.test(msg.topic)) {
      throw new GatewayError(GatewayErrorCode.Mqtt, `invalid publish topic "${msg.topic}"`, { topic: msg.topic })
    }
    this.o.outbox.add({ topic: msg.topic, payload: msg.payload, retain: msg.retain, kind: msg.kind })
  }

  /** Publishes at once on the live connection, not stored (a status update); false when not connected. */
  announce(m: ConnectMessage): boolean {
    return this.bypass([m])
  }

  stats(): PublisherStats {
    const o = this.o.outbox.stats()
    const s = this.session
    return {
      connected: s?.ready ?? false,
      reconnects: this.reconnects,
      depth: o.depth, bytes: o.bytes, pending: o.pending,
      inFlight: s?.inFlight.size ?? 0,
      ...this.counters,
      replaying: s?.replaying ?? false,
      drops: o.drops, overBound: o.overBound,
      writeState: o.writeState, bypassed: o.bypassed, writeErrors: o.writeErrors,
      latencyMs: this.latency.summary(),
    }
  }

  /** What the outbox cannot store goes out on the live connection, if there is one. */
  private bypass(messages: readonly ConnectMessage[]): boolean {
    const s = this.session
    if (!s?.ready || this.stopping) return false
    s.direct(messages)
    return true
  }

  private connect(): void {
    const clientId = this.clientId
    const client = mqtt.connect(this.o.mqtt.url, clientOptions(this.o.mqtt, clientId, this.o.will, this.tls))
    const s = new Session(client, {
      outbox: this.o.outbox,
      log: this.log,
      toReplay: this.o.toReplay ?? ((p) => p),
      replayPerSecond: this.o.outboxConfig.replayPerSecond,
      maxInFlight: this.o.maxInFlight ?? 1000,
      counters: this.counters,
      latency: this.latency,
      onAcked: this.o.onAcked,
    })
    this.session = s
    client.on('connect', (connack) => this.connected(s, connack))
    client.on('close', () => this.closed(s))
    client.on('error', (err) => this.failed(s, err))
  }

  private connected(s: Session, connack: IConnackPacket): void {
    if (s !== this.session || this.stopping) return
    this.connectedAt = performance.now()
    if (this.everConnected) this.reconnects++
    this.everConnected = true
    const { depth } = this.o.outbox.stats()
    this.log.info({ url: safeUrl(this.o.mqtt.url), clientId: this.clientId, sessionPresent: connack.sessionPresent, depth }, 'mqtt connected')
    s.begin(this.connectMessages())
  }

  private closed(s: Session): void {
    if (s !== this.session) return
    const wasUp = s.ready
    s.end()
    if (this.stopping) return
    // discard this client: mqtt.js must not resend its unacknowledged PUBLISHes on a later
    // connection, the backlog replay does (see the top of this file)
    s.client.end(true)
    this.session = undefined
    const upMs = performance.now() - this.connectedAt
    if (wasUp) this.log.warn({ err: s.lastError, inFlight: s.inFlight.size, upMs: Math.round(upMs) }, 'mqtt connection lost')
    this.failures = wasUp && upMs >= STABLE_MS ? 1 : this.failures + 1
    const delayMs = mqttReconnectDelay(this.failures, this.o.mqtt.reconnect, this.o.random)
    this.log.debug({ delayMs, attempt: this.failures }, 'mqtt reconnect scheduled')
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.reconnect()
    }, delayMs)
  }

  private reconnect(): void {
    if (!this.started || this.stopping) return
    try {
      this.connect()
    } catch (err) {
      // mqtt.connect throws only on options it cannot use; keep trying rather than stop publishing
      this.log.error({ err, url: safeUrl(this.o.mqtt.url) }, 'mqtt connect failed')
      this.session = undefined
      this.failures++
      this.retryTimer = setTimeout(() => this.reconnect(), this.o.mqtt.reconnect.maxMs)
    }
  }

  private failed(s: Session, err: Error): void {
    if (s !== this.session) {
      this.log.debug({ err }, 'mqtt error on a closed connection')
      return
    }
    // on an established connection the error comes with the 'mqtt connection lost' line
    s.lastError = err
    if (s.ready) return
    const suppressed = this.connectErrorLog.take()
    if (suppressed !== null) {
      this.log.warn({ err, url: safeUrl(this.o.mqtt.url), attempt: this.failures, suppressed }, 'mqtt connection failed')
    }
  }

  private connectMessages(): ConnectMessage[] {
    try {
      return this.o.onConnect?.() ?? []
    } catch (err) {
      this.log.error({ err }, 'onConnect hook failed: connecting without its messages')
      return []
    }
  }
}
