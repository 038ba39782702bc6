// MqttHost: aedes on the configured listeners, with users, the ACL, and a hook that sees every
// allowed publish before it is retained or forwarded (ingest). The library never logs; we do,
// from its hooks and events.
import { Aedes, type AedesOptions, type AedesPublishPacket, type AuthErrorCode, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes'
import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import { LogThrottle } from '../../core/rate-limit.ts'
import type { Registry } from '../registry/registry.ts'
import { forwardedPayload, publishRefusal, subscribeRefusal, type Principal } from './acl.ts'
import { TOPIC_ROOT, parseTopic } from '../../protocol/index.ts'
import { Authenticator, ConnectRefusal } from './auth.ts'
import type { MqttHostConfig } from './config.ts'
import { Listeners, type BoundPorts } from './listeners.ts'
import { boundedMemoryPersistence } from './offline-queue.ts'
import { limitPacketSize } from './packet-limit.ts'
import type { PasswordStats } from './passwords.ts'
import { Refusals, type RefusalStats } from './refusals.ts'
import { GatewayConnections } from './status-order.ts'

export type { BoundPorts } from './listeners.ts'

export interface ClientPublish {
  topic: string
  payload: Buffer
  qos: 0 | 1 | 2
  retain: boolean
  /** null: a will the broker publishes for a client of another, dead, broker instance (aedes cluster) */
  clientId: string | null
  /** the publisher's gatewayId when it authenticated as a gateway */
  gatewayId: string | undefined
}

export interface MqttHostOptions {
  config: Readonly<MqttHostConfig>
  registry: Registry
  log: Logger
  /**
   * Every publish the ACL allowed, wills included, before it is retained or forwarded. false
   * drops it: the client still gets its PUBACK, nobody receives it and nothing is retained.
   */
  onPublish?: (msg: ClientPublish) => boolean
  /** only for rate-limiting log lines */
  now?: () => number
  logIntervalMs?: number
  /** for an aedes cluster: shared persistence and emitter */
  aedes?: Pick<AedesOptions, 'id' | 'persistence' | 'mq' | 'heartbeatInterval' | 'drainTimeout' | 'concurrency'>
}

export interface MqttHostStats {
  clients: number
  connectsAccepted: number
  refused: RefusalStats
  /** allowed by the ACL, dropped by onPublish (invalid, duplicate, unknown elevator) */
  dropped: number
  /** onPublish threw (a bug); the message was dropped */
  handlerErrors: number
  /** statuses (last wills) of gateway connections a newer one replaced: dropped (broker/mqtt/status-order.ts) */
  staleStatuses: number
  /** telemetry published with retain: forwarded, not retained */
  retainStripped: number
  /** messages a persistent session's full offline queue let go (oldest first) */
  offlineDropped: number
  /** messages not forwarded to a region-scoped monitor: outside its scope (broker/mqtt/acl.ts) */
  scopeFiltered: number
  passwords: PasswordStats
}

// MQTT 3.1 allows 23 characters; gateway ids are up to 64, and `user:suffix` ids are longer
const MAX_CLIENT_ID_LENGTH = 128
const SERVER_UNAVAILABLE = 3

/**
 * [MQTT-3.3.5-2]: a refused PUBLISH is either acknowledged and discarded or the connection is
 * closed. aedes closes; we acknowledge and discard, as Mosquitto does, so that a gateway with one
 * refused row in its outbox does not reconnect and resend it forever while its other elevators go
 * unreported. aedes hands the very packet object it authorized to publish(), so a mark suffices.
 */
class DiscardingAedes extends Aedes {
  private readonly discarded = new WeakSet<object>()

  discard(packet: PublishPacket): void {
    this.discarded.add(packet)
  }

  override publish(packet: PublishPacket, clientOrDone?: unknown, done?: unknown): void {
    if (!this.discarded.has(packet)) return (super.publish as (...args: unknown[]) => void)(packet, clientOrDone, done)
    const callback = typeof clientOrDone === 'function' ? clientOrDone : done
    if (typeof callback === 'function') callback()
  }
}

export class MqttHost {
  private readonly config: Readonly<MqttHostConfig>
  private readonly registry: Registry
  private readonly log: Logger
  private readonly onPublish: ((msg: ClientPublish) => boolean) | undefined
  private readonly aedesOptions: MqttHostOptions['aedes']
  private readonly auth: Authenticator
  private readonly refusals: Refusals
  private readonly errorLog: LogThrottle
  private readonly principals = new WeakMap<Client, Principal>()
  private readonly willTopics = new WeakMap<Client, string>()
  private readonly connections = new GatewayConnections()
  private broker: DiscardingAedes | undefined
  private listeners: Listeners | undefined
  private stopping: Promise<void> | undefined
  private readonly counters = { connectsAccepted: 0, dropped: 0, handlerErrors: 0, retainStripped: 0, offlineDropped: 0, staleStatuses: 0, scopeFiltered: 0 }
  private onPublishPaused = false

  constructor(opts: MqttHostOptions) {
    this.config = opts.config
    this.registry = opts.registry
    this.log = opts.log
    this.onPublish = opts.onPublish
    this.aedesOptions = opts.aedes
    this.auth = new Authenticator(opts.config.users, opts.config.allowAnonymous, opts.registry)
    this.refusals = new Refusals(this.log, opts.logIntervalMs ?? 60_000, opts.now ?? Date.now)
    this.errorLog = new LogThrottle(opts.logIntervalMs ?? 60_000, opts.now ?? Date.now)
  }

  async start(): Promise<BoundPorts> {
    if (this.broker) throw new Error('MqttHost already started')
    this.stopping = undefined
    this.onPublishPaused = false
    if (!this.config.allowAnonymous && Object.keys(this.config.users).length === 0) this.log.warn('no users and allowAnonymous off: no client can connect')
    const broker = new DiscardingAedes({
      // aedes' default caps its emitter at 100 deliveries in flight and queues the rest; when the
      // queue drains, each next message is emitted from the last one's callback; under the latency
      // bench's load that recursion overflowed the stack and killed the broker, twice
      // (docs/performance.md#alarm-latency-paced). Uncapped, nothing queues there:
      // per-client limits are ours (packet-limit.ts, offline-queue.ts).
      concurrency: 0,
      ...this.aedesOptions,
      // a shared (cluster) persistence brings its own limits
      persistence: this.aedesOptions?.persistence ?? boundedMemoryPersistence(this.config.offlineQueue, () => this.counters.offlineDropped++),
      maxClientsIdLength: MAX_CLIENT_ID_LENGTH,
      preConnect: (client, packet, done) => {
        this.connections.connecting(client)
        if (packet.will) this.willTopics.set(client, packet.will.topic)
        done(null, true)
      },
      authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
      authorizePublish: (client, packet, done) => {
        // one principal lookup per publish for the three checks
        const who = client ? this.principals.get(client) : undefined
        if (!this.allowPublish(client, who, packet) || this.isStale(client, who, packet) || !this.inspect(client, who, packet)) broker.discard(packet)
        else if (packet.retain && isTelemetry(packet.topic)) {
          // a retained sample would be replayed as news to every new subscriber, forever
          packet.retain = false
          this.counters.retainStripped++
        }
        done(null)
      },
      authorizeSubscribe: (client, sub, done) => done(null, this.allowSubscribe(client, sub) ? sub : null),
      authorizeForward: (client, packet) => this.forward(client, packet),
    })
    // persistence failures surface here; without a listener EventEmitter would throw them
    ;(broker as EventEmitter).on('error', (err: Error) => this.log.error({ err }, 'broker failed'))
    broker.on('clientError', (client, err) => this.log.debug({ err, clientId: client.id }, 'client connection failed'))
    broker.on('connectionError', (client, err) => this.log.debug({ err, clientId: client.id }, 'connection failed before CONNECT'))
    await broker.listen()
    const listeners = new Listeners(this.config.listeners, (stream, req) => {
      // aedes hangs its client on the stream; until CONNACK only a CONNECT's worth may arrive
      const client = () => (stream as { client?: Client }).client
      const limit = () => (client()?.connected ? this.config.maxPacketBytes : this.config.maxConnectBytes)
      limitPacketSize(stream, limit, (claimed) => {
        const remote = (stream as { remoteAddress?: string }).remoteAddress ?? req?.socket.remoteAddress
        this.refusals.connect(ConnectRefusal.PacketTooLarge, { clientId: client()?.id ?? '', username: undefined, knownUser: false, remote, claimed })
      })
      broker.handle(stream, req)
    }, this.log)
    this.broker = broker
    this.listeners = listeners
    try {
      const ports = await listeners.start()
      this.log.info({ ports, users: Object.keys(this.config.users).length, allowAnonymous: this.config.allowAnonymous }, 'mqtt host listening')
      return ports
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** Stops accepting, drops every connection, closes the broker. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const { broker, listeners } = this
      // from here on, connections end because we stop: their wills are not news for onPublish
      this.onPublishPaused = true
      this.broker = undefined
      this.listeners = undefined
      await listeners?.stop()
      if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()))
    })()
    return this.stopping
  }

  /** The broker's own publishes (alarms): no ACL, no onPublish. */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1 | 2; retain?: boolean } = {}): Promise<void> {
    const broker = this.broker
    if (!broker) return Promise.reject(new Error('MqttHost is not started'))
    const packet: PublishPacket = { cmd: 'publish', topic, payload, qos: opts.qos ?? 1, retain: opts.retain ?? false, dup: false }
    return new Promise((resolve, reject) => broker.publish(packet, (err?: Error) => (err ? reject(err) : resolve())))
  }

  stats(): MqttHostStats {
    return { clients: this.broker?.connectedClients ?? 0, ...this.counters, refused: this.refusals.stats(), passwords: this.auth.passwordStats() }
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (err: AuthenticateError | null, ok: boolean | null) => void): void {
    const attempt = { clientId: client.id, username, password, willTopic: this.willTopics.get(client) }
    this.auth.authenticate(attempt).then((r) => {
      if (r.ok) {
        this.principals.set(client, r.principal)
        if (r.principal.role === 'gateway' && r.principal.username) this.connections.authenticated(r.principal.username, client)
        this.counters.connectsAccepted++
        return done(null, true)
      }
      const knownUser = username !== undefined && Object.hasOwn(this.config.users, username)
      this.refusals.connect(r.reason, { clientId: client.id, username, knownUser, remote: remoteOf(client) })
      done(refusal(r.reason, r.returnCode), false)
    }, (err: unknown) => {
      this.log.error({ err, clientId: client.id }, 'authentication failed')
      done(refusal('authentication failed', SERVER_UNAVAILABLE), false)
    })
  }

  private allowPublish(client: Client | null, who: Principal | undefined, packet: PublishPacket): boolean {
    // a null client is a will stored for a client of a dead broker instance, checked at its CONNECT
    if (!client) return true
    const reason = who ? publishRefusal(who, packet.topic, this.registry) : 'unauthenticated'
    if (reason) this.refusals.refuse('publish', who?.username ?? client.id, reason, packet.topic)
    return reason === null
  }

  /** A status of a gateway connection that a newer one replaced: its offline would outlive the newer online. */
  private isStale(client: Client | null, who: Principal | undefined, packet: PublishPacket): boolean {
    if (!client || who?.role !== 'gateway' || !who.username || !this.connections.isStale(who.username, client, packet.topic)) return false
    this.counters.staleStatuses++
    this.log.info({ gatewayId: who.username, clientId: client.id }, 'status of a replaced gateway connection dropped')
    return true
  }

  private allowSubscribe(client: Client, sub: Subscription): boolean {
    const who = this.principals.get(client)
    const reason = who ? subscribeRefusal(who, sub.topic, this.registry) : 'unauthenticated'
    // refused: SUBACK 0x80 for this filter [MQTT-3.9.3-1], the connection stays
    if (reason) this.refusals.refuse('subscribe', who?.username ?? client.id, reason, sub.topic)
    return reason === null
  }

  /** The packet as this client may see it: unchanged but for region-scoped monitors. */
  private forward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const scope = this.principals.get(client)?.scope
    if (!scope) return packet
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    const seen = forwardedPayload(scope, packet.topic, payload, this.registry)
    if (seen === null) {
      this.counters.scopeFiltered++
      return null
    }
    // a copy: the same packet object goes on to every other subscriber
    return seen === payload ? packet : { ...packet, payload: seen }
  }

  /** onPublish's verdict; a handler that throws drops the message and is logged as the bug it is. */
  private inspect(client: Client | null, who: Principal | undefined, packet: PublishPacket): boolean {
    if (!this.onPublish || this.onPublishPaused) return true
    let forward: boolean
    try {
      forward = this.onPublish({
        topic: packet.topic,
        payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
        qos: packet.qos,
        retain: packet.retain,
        clientId: client?.id ?? null,
        gatewayId: who?.role === 'gateway' ? who.username! : undefined,
      })
    } catch (err) {
      this.counters.handlerErrors++
      const suppressed = this.errorLog.take('handler')
      if (suppressed !== null) this.log.error({ err, clientId: client?.id, topic: packet.topic, suppressed }, 'publish handler failed')
      return false
    }
    if (!forward) this.counters.dropped++
    return forward
  }
}

const isTelemetry = (topic: string) => topic.startsWith(`${TOPIC_ROOT}/`) && parseTopic(topic)?.kind === 'telemetry'

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: returnCode as AuthErrorCode })
}

function remoteOf(client: Client): string | undefined {
  return (client.conn as { remoteAddress?: string }).remoteAddress ?? client.req?.socket.remoteAddress
}
