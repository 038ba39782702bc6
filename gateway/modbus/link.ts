// One physical Modbus link (a TCP connection or an RS-485 port) shared by every unit on it: one
// request on the wire at a time, timeouts we enforce ourselves, liveness judged from answers and
// transport events (never from `isOpen`), reconnects with exponential backoff and jitter.
import { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { Area } from '../../protocol/index.ts'
import type { LinkConfig } from '../config.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import { closeClient, invalidRead, isRtuFramed, openClient, purgeReceived, sendRead, type Client, type Reply } from './transport.ts'

export interface LinkCounters {
  requests: number        // frames sent
  responses: number       // normal answers
  exceptions: number      // exception answers (the unit is alive, the request was refused)
  timeouts: number        // no answer within the request timeout
  frameErrors: number     // CRC, length, unit or function mismatch
  lateReplies: number     // answers that came after their request had timed out, then discarded
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

/** Exponential backoff with jitter, within [minMs, min(maxMs, minMs × 2^(attempt+1))]. */
export function backoffDelay(attempt: number, r: { minMs: number; maxMs: number }, random: () => number = Math.random): number {
  const cap = Math.min(r.maxMs, r.minMs * 2 ** (attempt + 1))
  return r.minMs + random() * Math.max(0, cap - r.minMs)
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
  private inflight: ((err: GatewayError) => void) | undefined
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
    this.log = log.child({ component: 'modbus-link', link: cfg.id })
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
    const client = this.client
    this.client = undefined
    this.stopping = (async () => {
      await this.connecting
      if (client) await closeClient(client, this.cfg.transport)
    })()
    return this.stopping
  }

  read(unitId: number, area: 'coil' | 'discrete', address: number, count: number, timeoutMs?: number): Promise<boolean[]>
  read(unitId: number, area: 'holding' | 'input', address: number, count: number, timeoutMs?: number): Promise<number[]>
  read(unitId: number, area: Area, address: number, count: number, timeoutMs?: number): Promise<number[] | boolean[]>
  async read(unitId: number, area: Area, address: number, count: number, timeoutMs = this.cfg.timeoutMs): Promise<number[] | boolean[]> {
    const bad = invalidRead(this.cfg.transport, unitId, area, address, count, timeoutMs)
    if (bad) throw new GatewayError(GatewayErrorCode.ModbusRequest, bad, { link: this.id, unitId, area, address, count })
    this.checkUp(unitId)
    // Outside the queue, so only this unit waits: see onTimeout.
    const quiet = (this.quietUntil.get(unitId) ?? 0) - Date.now()
    if (quiet > 0) {
      await new Promise((resolve) => setTimeout(resolve, quiet))
      this.checkUp(unitId)
    }
    return await new Promise<number[] | boolean[]>((resolve, reject) => {
      this.queue.push({ unitId, area, address, count, timeoutMs, resolve, reject })
      this.pump()
    })
  }

  private checkUp(unitId: number): void {
    if (this.state === 'stopped') throw new GatewayError(GatewayErrorCode.LinkStopped, 'link stopped', { link: this.id, unitId })
    if (this.state !== 'up') throw new GatewayError(GatewayErrorCode.LinkDown, 'link not connected', { link: this.id, unitId })
  }

  private connect(): void {
    this.state = 'connecting'
    const gen = ++this.generation
    const connectTimeoutMs = this.opts.connectTimeoutMs ?? Math.max(3000, 2 * this.cfg.timeoutMs)
    this.connecting = openClient(this.cfg, connectTimeoutMs, (err) => this.onTransportEvent(gen, err)).then(
      (client) => (gen === this.generation ? this.up(client) : closeClient(client, this.cfg.transport)),
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
    const delayMs = Math.round(backoffDelay(this.attempt++, this.cfg.reconnect, this.opts.random))
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
    if (client) void closeClient(client, this.cfg.transport)
    this.scheduleReconnect()
    this.emit('down', reason)
  }

  private failAll(err: GatewayError): void {
    this.inflight?.(err)
    for (const job of this.queue.splice(0)) job.reject(err)
  }

  private pump(): void {
    if (this.inflight || this.state !== 'up') return
    const job = this.queue.shift()
    if (!job) return
    let done = false
    let timer: NodeJS.Timeout | undefined
    const settle = (err: GatewayError | undefined, data?: number[] | boolean[]): boolean => {
      if (done) return false
      done = true
      clearTimeout(timer)
      this.inflight = undefined
      this.lastFrameEndAt = Date.now()
      if (err) job.reject(err)
      else job.resolve(data!)
      setImmediate(() => this.pump())
      return true
    }
    this.inflight = (err) => settle(err)
    const send = (client: Client): void => {
      if (done) return
      this.purge(client)
      this.counters.requests++
      timer = setTimeout(() => { if (settle(this.err(GatewayErrorCode.ModbusTimeout, 'no answer', job))) this.onTimeout(job) }, job.timeoutMs)
      try {
        sendRead(client, job.unitId, job.area, job.address, job.count, (reply) => {
          if (done) {
            this.counters.lateReplies++
            this.log.debug({ unitId: job.unitId, area: job.area, address: job.address, kind: reply.kind }, 'late reply discarded')
          } else this.onReply(job, reply, settle)
        })
      } catch (err) {
        settle(this.err(GatewayErrorCode.LinkDown, 'write failed', job, err))
        this.lost(new GatewayError(GatewayErrorCode.LinkDown, 'write failed', { link: this.id }, err))
      }
    }
    // The link's pause between frames (RS-485 turnaround, slow converters).
    const client = this.client!
    const wait = this.lastFrameEndAt + this.cfg.pauseMs - Date.now()
    if (wait > 0) timer = setTimeout(() => send(client), wait)
    else send(client)
  }

  private onReply(job: Job, reply: Reply, settle: (err: GatewayError | undefined, data?: number[] | boolean[]) => boolean): void {
    if (reply.kind === 'closed') {
      settle(this.err(GatewayErrorCode.LinkDown, 'transport closed', job, reply.err))
      this.lost(new GatewayError(GatewayErrorCode.LinkDown, 'transport closed', { link: this.id }, reply.err))
      return
    }
    if (reply.kind === 'frame' || (reply.kind === 'data' && reply.data.length < job.count)) {
      this.counters.frameErrors++
      settle(this.err(GatewayErrorCode.ModbusFrame, 'answer rejected', job, reply.kind === 'frame' ? reply.err : undefined))
      return
    }
    this.alive(job.unitId)
    if (reply.kind === 'exception') {
      this.counters.exceptions++
      settle(this.err(GatewayErrorCode.ModbusException, `exception ${reply.code}`, job, undefined, { exceptionCode: reply.code }))
      return
    }
    this.counters.responses++
    // Bits come padded to whole bytes (§6.1): keep the ones asked for.
    settle(undefined, reply.data.slice(0, job.count))
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
    const dropped = purgeReceived(client)
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
