// One physical Modbus link (a TCP connection or an RS-485 port) shared by every unit on it: one
// request on the wire at a time, timeouts we enforce ourselves, liveness judged from answers and
// transport events (never from `isOpen`), reconnects with exponential backoff and jitter.
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Area } from '../../protocol/index.ts'
import type { LinkConfig } from '../config.ts'
import { backoffDelay } from '../../core/backoff.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import { Deadline } from './deadline.ts'
import { invalidRead, isRtuFramed, openClient, type Client, type Reply } from './transport.ts'

export interface LinkCounters {
  requests: number        // frames sent
  responses: number       // normal answers
  exceptions: number      // exception answers (the unit is alive, the request was refused)
  timeouts: number        // no answer within the request timeout
  frameErrors: number     // CRC, length, unit or function mismatch
  lateReplies: number     // answers that came after their request had timed out (or match none), then discarded
  staleBytes: number      // bytes purged from an RTU receive buffer before a request
  linkLost: number        // times a connected link was torn down
  reconnects: number      // successful connects after the first
  connectFailures: number // failed connection attempts
}

export interface LinkOptions {
  /** Tear a TCP link down when N requests in a row, spanning N × timeout, got no answer. Default 3. */
  deadAfter?: number
  connectTimeoutMs?: number
  /** RTU: after a unit timed out, wait this long before asking it again (default: the timeout). */
  staleGuardMs?: number
  random?: () => number
}

export interface LinkEvents { up: []; down: [GatewayError] }

interface Job {
  unitId: number; area: Area; address: number; count: number; timeoutMs: number
  resolve: (data: number[] | boolean[]) => void
  reject: (err: GatewayError) => void
}

/** A job taken from the queue: waiting out the pause between frames, then on the wire. */
interface Exchange {
  readonly job: Job
  done: boolean
  pause: NodeJS.Timeout | undefined
}

/**
 * Delay before reconnect number `attempt` (0 first): never under minMs, and already the first one
 * spreads over [minMs, 2·minMs], because the links of a building usually drop together.
 */
export function linkReconnectDelay(attempt: number, reconnect: { minMs: number; maxMs: number }, random?: () => number): number {
  return backoffDelay(attempt + 1, { ...reconnect, aboveMin: true }, random)
}

export class ModbusLink extends EventEmitter<LinkEvents> {
  readonly counters: LinkCounters = {
    requests: 0, responses: 0, exceptions: 0, timeouts: 0, frameErrors: 0, lateReplies: 0, staleBytes: 0,
    linkLost: 0, reconnects: 0, connectFailures: 0,
  }
  private readonly log: Logger
  private state: 'idle' | 'connecting' | 'up' | 'waiting' | 'stopped' = 'idle'
  private client: Client | undefined
  // Bumped whenever a client is retired, so its late events are recognised and ignored.
  private generation = 0
  private connecting: Promise<void> | undefined
  private reconnectTimer: NodeJS.Timeout | undefined
  private attempt = 0
  private everConnected = false
  private stopping: Promise<void> | undefined
  private readonly queue: Job[] = []
  private current: Exchange | undefined
  // The timeout of the request on the wire: one timer for all of them (see deadline.ts).
  private readonly deadline = new Deadline(() => this.timedOut())
  private pumpScheduled = false
  private lastFrameEndAt = 0
  private lastAliveAt = 0
  private consecutiveTimeouts = 0
  private readonly timedOutUnits = new Set<number>()
  // Units that ever answered on this link: only their silence says something about the link.
  private readonly answeredUnits = new Set<number>()
  private readonly quietUntil = new Map<number, number>()
  private purgeWarned = false

  constructor(readonly cfg: LinkConfig, log: Logger, private readonly opts: LinkOptions = {}) {
    super()
    this.log = log
  }

  get id(): string { return this.cfg.id }
  get connected(): boolean { return this.state === 'up' }

  start(): void {
    if (this.state !== 'idle') return
    this.connect()
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping
    this.state = 'stopped'
    this.generation++
    clearTimeout(this.reconnectTimer)
    this.failAll(new GatewayError(GatewayErrorCode.LinkStopped, 'link stopped', { link: this.id }))
    this.deadline.stop()
    const client = this.client
    this.client = undefined
    this.stopping = (async () => {
      await this.connecting
      if (client) await client.close()
    })()
    return this.stopping
  }

  read(unitId: number, area: 'coil' | 'discrete', address: number, count: number, timeoutMs?: number): Promise<boolean[]>
  read(unitId: number, area: 'holding' | 'input', address: number, count: number, timeoutMs?: number): Promise<number[]>
  read(unitId: number, area: Area, address: number, count: number, timeoutMs?: number): Promise<number[] | boolean[]>
  read(unitId: number, area: Area, address: number, count: number, timeoutMs = this.cfg.timeoutMs): Promise<number[] | boolean[]> {
    const bad = invalidRead(this.cfg.transport, unitId, area, address, count, timeoutMs)
    if (bad) return Promise.reject(new GatewayError(GatewayErrorCode.ModbusRequest, bad, { link: this.id, unitId, area, address, count }))
    const down = this.notUp(unitId)
    if (down) return Promise.reject(down)
    // Outside the queue, so only this unit waits: see onTimeout.
    const quiet = this.quietUntil.size === 0 ? 0 : (this.quietUntil.get(unitId) ?? 0) - Date.now()
    if (quiet > 0) {
      return new Promise((resolve) => setTimeout(resolve, quiet)).then(() => {
        const stillDown = this.notUp(unitId)
        if (stillDown) throw stillDown
        return this.enqueue(unitId, area, address, count, timeoutMs)
      })
    }
    return this.enqueue(unitId, area, address, count, timeoutMs)
  }

  private enqueue(unitId: number, area: Area, address: number, count: number, timeoutMs: number): Promise<number[] | boolean[]> {
    return new Promise<number[] | boolean[]>((resolve, reject) => {
      this.queue.push({ unitId, area, address, count, timeoutMs, resolve, reject })
      this.pump()
    })
  }

  private notUp(unitId: number): GatewayError | undefined {
    if (this.state === 'stopped') return new GatewayError(GatewayErrorCode.LinkStopped, 'link stopped', { link: this.id, unitId })
    if (this.state !== 'up') return new GatewayError(GatewayErrorCode.LinkDown, 'link not connected', { link: this.id, unitId })
    return undefined
  }

  private connect(): void {
    this.state = 'connecting'
    const gen = ++this.generation
    const connectTimeoutMs = this.opts.connectTimeoutMs ?? Math.max(3000, 2 * this.cfg.timeoutMs)
    this.connecting = openClient(this.cfg, connectTimeoutMs, {
      lost: (err) => this.onTransportEvent(gen, err),
      unmatched: (frame) => {
        if (gen !== this.generation) return
        this.counters.lateReplies++
        this.log.debug(frame, 'answer matches no waiting request; discarded')
      },
    }).then(
      (client) => (gen === this.generation ? this.up(client) : client.close()),
      (err: unknown) => {
        if (gen !== this.generation) return
        this.counters.connectFailures++
        this.log.warn({ err, attempt: this.attempt }, 'link connect failed')
        this.scheduleReconnect()
      },
    ).catch((err: unknown) => this.log.error({ err }, 'link up handler threw'))
  }

  private up(client: Client): void {
    this.client = client
    this.state = 'up'
    this.lastAliveAt = this.lastFrameEndAt = Date.now()
    this.consecutiveTimeouts = 0
    this.timedOutUnits.clear()
    this.quietUntil.clear()
    if (this.everConnected) this.counters.reconnects++
    this.everConnected = true
    this.log.info({ attempt: this.attempt }, 'link connected')
    this.emit('up')
    this.pump()
  }

  private scheduleReconnect(): void {
    this.state = 'waiting'
    const delayMs = linkReconnectDelay(this.attempt++, this.cfg.reconnect, this.opts.random)
    this.log.debug({ delayMs, attempt: this.attempt }, 'link reconnect scheduled')
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs)
  }

  private onTransportEvent(gen: number, err: Error): void {
    if (gen !== this.generation || this.state !== 'up') {
      this.log.debug({ err }, 'event from a retired transport')
      return
    }
    this.lost(new GatewayError(GatewayErrorCode.LinkDown, 'transport failed', { link: this.id }, err))
  }

  /** Retires the connected client, fails every waiting request and reconnects after a backoff. */
  private lost(reason: GatewayError): void {
    if (this.state !== 'up') return
    this.counters.linkLost++
    this.log.warn({ err: reason }, 'link lost')
    const client = this.client
    this.client = undefined
    this.generation++
    this.failAll(reason)
    if (client) void client.close()
    this.scheduleReconnect()
    this.emit('down', reason)
  }

  private failAll(err: GatewayError): void {
    if (this.current) this.settle(this.current, err)
    for (const job of this.queue.splice(0)) job.reject(err)
  }

  private pump(): void {
    if (this.current || this.state !== 'up') return
    const job = this.queue.shift()
    if (!job) return
    const ex: Exchange = { job, done: false, pause: undefined }
    this.current = ex
    const client = this.client!
    // The link's pause between frames (RS-485 turnaround, slow converters).
    const wait = this.lastFrameEndAt + this.cfg.pauseMs - Date.now()
    if (wait > 0) ex.pause = setTimeout(() => this.send(ex, client), wait)
    else this.send(ex, client)
  }

  // Next job after this turn's I/O callbacks, once however many settled in it. With nothing
  // queued there is nothing to do: the next read() pumps itself.
  private pumpSoon(): void {
    if (this.pumpScheduled || this.queue.length === 0) return
    this.pumpScheduled = true
    setImmediate(this.pumpLater)
  }

  private readonly pumpLater = (): void => {
    this.pumpScheduled = false
    this.pump()
  }

  private send(ex: Exchange, client: Client): void {
    if (ex.done) return
    ex.pause = undefined
    const { job } = ex
    this.purge(client)
    this.counters.requests++
    this.deadline.set(job.timeoutMs)
    try {
      client.read(job.unitId, job.area, job.address, job.count, (reply) => {
        if (ex.done) {
          this.counters.lateReplies++
          this.log.debug({ unitId: job.unitId, area: job.area, address: job.address, kind: reply.kind }, 'late reply discarded')
        } else this.onReply(ex, reply)
      })
    } catch (err) {
      this.settle(ex, this.err(GatewayErrorCode.LinkDown, 'write failed', job, err))
      this.lost(new GatewayError(GatewayErrorCode.LinkDown, 'write failed', { link: this.id }, err))
    }
  }

  private settle(ex: Exchange, err: GatewayError | undefined, data?: number[] | boolean[]): boolean {
    if (ex.done) return false
    ex.done = true
    clearTimeout(ex.pause)
    if (this.current === ex) {
      this.current = undefined
      this.deadline.clear()
    }
    this.lastFrameEndAt = Date.now()
    if (err) ex.job.reject(err)
    else ex.job.resolve(data!)
    this.pumpSoon()
    return true
  }

  private timedOut(): void {
    const ex = this.current
    if (ex && this.settle(ex, this.err(GatewayErrorCode.ModbusTimeout, 'no answer', ex.job))) this.onTimeout(ex.job)
  }

  private onReply(ex: Exchange, reply: Reply): void {
    const { job } = ex
    if (reply.kind === 'closed') {
      this.settle(ex, this.err(GatewayErrorCode.LinkDown, 'transport closed', job, reply.err))
      this.lost(new GatewayError(GatewayErrorCode.LinkDown, 'transport closed', { link: this.id }, reply.err))
      return
    }
    if (reply.kind === 'frame' || (reply.kind === 'data' && reply.data.length < job.count)) {
      this.counters.frameErrors++
      this.settle(ex, this.err(GatewayErrorCode.ModbusFrame, 'answer rejected', job, reply.kind === 'frame' ? reply.err : undefined))
      return
    }
    this.alive(job.unitId)
    if (reply.kind === 'exception') {
      this.counters.exceptions++
      this.settle(ex, this.err(GatewayErrorCode.ModbusException, `exception ${reply.code}`, job, undefined, { exceptionCode: reply.code }))
      return
    }
    this.counters.responses++
    // Bits come padded to whole bytes (§6.1): keep the ones asked for.
    this.settle(ex, undefined, reply.data.length === job.count ? reply.data : reply.data.slice(0, job.count))
  }

  private alive(unitId: number): void {
    this.answeredUnits.add(unitId)
    this.lastAliveAt = Date.now()
    this.consecutiveTimeouts = 0
    this.timedOutUnits.clear()
    this.attempt = 0
  }

  private onTimeout(job: Job): void {
    this.counters.timeouts++
    this.consecutiveTimeouts++
    this.timedOutUnits.add(job.unitId)
    // RTU frames have no transaction id (Modbus over Serial Line V1.02 §2.5.1): a late answer from
    // this unit would pass as the answer to our next identical request to it, so it gets a quiet
    // interval first. Other units need none: their answers carry another address.
    if (isRtuFramed(this.cfg.transport)) this.quietUntil.set(job.unitId, Date.now() + (this.opts.staleGuardMs ?? job.timeoutMs))
    if (this.looksDead()) {
      this.lost(new GatewayError(GatewayErrorCode.LinkDown, 'no unit on the link answers', {
        link: this.id, timeouts: this.consecutiveTimeouts, silentMs: Date.now() - this.lastAliveAt, units: [...this.timedOutUnits],
      }))
    }
  }

  // A half-open TCP connection answers nothing. Reconnect when every request for N × timeout timed
  // out and the silent units include two that answered before (one, on a single-unit link): one
  // silent unit is that unit's problem, and ids that never answered (a dead unit since boot, a
  // scan) say nothing about the link. A serial port is not reopened for silence: that would not
  // mend a cut bus, and the OS reports a vanished port by closing it.
  private looksDead(): boolean {
    if (this.cfg.transport === 'rtu' || this.answeredUnits.size === 0) return false
    const n = this.opts.deadAfter ?? 3
    if (this.consecutiveTimeouts < n || Date.now() - this.lastAliveAt < n * this.cfg.timeoutMs) return false
    let evidence = 0
    for (const u of this.timedOutUnits) if (this.answeredUnits.has(u)) evidence++
    return evidence >= Math.min(2, this.answeredUnits.size)
  }

  private purge(client: Client): void {
    if (!isRtuFramed(this.cfg.transport)) return
    const dropped = client.purge()
    if (dropped === undefined) {
      if (!this.purgeWarned) this.log.warn({ transport: this.cfg.transport }, 'cannot purge the receive buffer; late replies may be misread')
      this.purgeWarned = true
    } else if (dropped > 0) {
      this.counters.staleBytes += dropped
      this.log.debug({ bytes: dropped }, 'stale bytes purged')
    }
  }

  private err(code: GatewayErrorCode, message: string, job: Job, cause?: unknown, extra: Record<string, unknown> = {}): GatewayError {
    const { unitId, area, address, count } = job
    return new GatewayError(code, message, { link: this.id, unitId, area, address, count, ...extra }, cause)
  }
}
