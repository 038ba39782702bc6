// Ingest: every publish a client makes, validated against the v1 contract and the registry,
// deduplicated by (elevator, boot, seq), and turned into the detector runtime's input
// (detectors/runtime/types.ts). Bad input is counted per gateway and logged at most once per interval per
// gateway; the broker keeps serving everyone else (docs/architecture.md#conventions, rule 10).
// Detectors get broker time: each gateway's ts corrected by its measured clock offset (clock.ts),
// and a gateway's live messages are ordered by (boot, seq), not by what its clock says.
import type { Observable } from 'rxjs'
import type { Logger } from 'pino'
import { formatProblems, parseTopic, validators, type ParsedTopic, type Problem } from '../../protocol/index.ts'
import type { DetectorInput } from '../../detectors/runtime/types.ts'
import type { Elevator, Registry } from '../registry/registry.ts'
import { DEFAULT_INGEST_CONFIG, type IngestConfig } from './config.ts'
import { LogThrottle, capKey } from '../../core/rate-limit.ts'
import { SeqTracker } from './sequence.ts'
import { GatewayClocks } from './clock.ts'
import { Emitter } from './emitter.ts'

export interface InboundMessage {
  topic: string
  payload: Buffer
  /** the publisher's authenticated gateway identity; undefined for anonymous clients and external feeds */
  gatewayId?: string | undefined
  clientId?: string | null | undefined
}

/**
 * `late`: valid and new, but older than what the detectors already saw for that elevator (an
 * outbox replay after an outage): it goes to `telemetry$` for the sinks, and to `events$` only
 * when it says it is a replay (the detectors evaluate replayed history apart from live state).
 */
export type IngestVerdict = 'accepted' | 'late' | 'duplicate' | 'invalid' | 'unknown-elevator' | 'ignored'

/** Whether a broker should retain and forward a message ingest gave this verdict. */
export const isForwarded = (v: IngestVerdict): boolean => v === 'accepted' || v === 'late'

export type TelemetryInput = Extract<DetectorInput, { kind: 'telemetry' }>
/**
 * One object per accepted sample, for the detectors and the sinks alike: `ts` and `msg.ts` are
 * broker time (the gateway's ts corrected by its clock offset), `gatewayTs` what the gateway said
 * (what the sinks store); `receivedAt` the broker's receipt.
 */
export interface AcceptedTelemetry extends TelemetryInput { gatewayTs: number; late: boolean; receivedAt: number }

/**
 * `accepted` includes `late`; the others were dropped. `skewed`: live messages whose ts was off
 * our clock by more than `clockSkewMs` (corrected); `retimed`: live messages whose ts disagreed
 * with the gateway's measured offset, timed by their receipt instead; `clockSteps`: steps of the
 * gateway's clock adopted; `tooOld`: replays dated beyond `maxAgeSeconds`, kept from the
 * detectors; `clockOffsetSeconds`: how far its clock is ahead of ours (− = behind).
 */
export interface GatewayIngestStats {
  accepted: number; late: number; invalid: number; duplicates: number; gaps: number; unknownElevator: number
  skewed: number; retimed: number; clockSteps: number; tooOld: number; clockOffsetSeconds?: number
}
export interface IngestStats { gateways: Record<string, GatewayIngestStats>; unknownElevatorIds: string[] }

export interface IngestOptions {
  registry: Registry
  log: Logger
  config?: IngestConfig
  /**
   * The broker's clock: each message's receipt time (a gateway status, whose payload has no ts,
   * is timed by it), what gateway clocks are measured against, and the log throttles' clock.
   */
  now?: () => number
}

const MAX_UNKNOWN_LISTED = 100
const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s)

export class Ingest {
  /** detector input: live telemetry and availability in ts order per elevator, replayed telemetry (reason replay) as it comes, gateway status fanned out per elevator */
  readonly events$: Observable<DetectorInput>
  /** every accepted telemetry message, late ones included, for the sinks */
  readonly telemetry$: Observable<AcceptedTelemetry>
  private readonly events = new Emitter<DetectorInput>()
  private readonly telemetry = new Emitter<AcceptedTelemetry>()
  private readonly registry: Registry
  private readonly log: Logger
  private readonly config: IngestConfig
  private readonly now: () => number
  private readonly seqs: SeqTracker
  private readonly invalidLog: LogThrottle
  private readonly unknownLog: LogThrottle
  private readonly counters = new Map<string, GatewayIngestStats>()
  /** per elevator: the newest (broker) time handed to the detectors */
  private readonly elevatorTs = new Map<string, number>()
  private readonly clocks: GatewayClocks
  private readonly skewLog: LogThrottle
  private readonly timeLog: LogThrottle
  private readonly unknownIds = new Set<string>()
  private readonly pendingUnknown = new Map<string, string>()
  private stopped = false

  constructor(opts: IngestOptions) {
    this.registry = opts.registry
    this.log = opts.log
    this.config = opts.config ?? DEFAULT_INGEST_CONFIG
    this.now = opts.now ?? Date.now
    this.seqs = new SeqTracker(this.config.seqWindow)
    this.invalidLog = new LogThrottle(this.config.logIntervalSeconds * 1000, this.now, this.config.maxGateways)
    this.unknownLog = new LogThrottle(this.config.logIntervalSeconds * 1000, this.now)
    this.skewLog = new LogThrottle(this.config.logIntervalSeconds * 1000, this.now, this.config.maxGateways)
    this.timeLog = new LogThrottle(this.config.logIntervalSeconds * 1000, this.now, this.config.maxGateways)
    this.clocks = new GatewayClocks({
      skewMs: this.config.clockSkewMs, toleranceMs: this.config.clockToleranceMs, stepConfirmations: this.config.clockStepConfirmations,
    }, this.config.maxGateways)
    this.events$ = this.events.observable
    this.telemetry$ = this.telemetry.observable
  }

  /** Synchronous; never throws for bad input. The verdict lets a broker drop what ingest dropped. */
  handle(m: InboundMessage): IngestVerdict {
    if (this.stopped) return 'ignored'
    const topic = parseTopic(m.topic)
    // alarms go broker → subscribers; a feed subscribed to lift/v1/# sees them too
    if (topic?.kind === 'alarm' || topic?.kind === 'gateway-alarm' || topic?.kind === 'incident') return 'ignored'
    if (!topic) return this.invalid(this.keyOf(m, null), m, { path: '(topic)', message: 'not a v1 telemetry, availability or status topic' })
    const max = this.config.maxPayloadBytes
    if (m.payload.length > max) return this.invalid(this.keyOf(m, topic), m, { path: '(payload)', message: `${m.payload.length} bytes, over the ${max}-byte limit` })
    let data: unknown
    try {
      data = JSON.parse(m.payload.toString('utf8'))
    } catch (err) {
      return this.invalid(this.keyOf(m, topic), m, { path: '(payload)', message: `not JSON (${(err as Error).message})` })
    }
    if (topic.kind === 'status') return this.onStatus(topic.gatewayId, data, m)
    return topic.kind === 'telemetry' ? this.onTelemetry(topic, data, m) : this.onAvailability(topic, data, m)
  }

  stats(): IngestStats {
    return {
      gateways: Object.fromEntries([...this.counters].map(([k, c]) => {
        const offset = this.clocks.offset(k)
        return [k, offset === undefined ? { ...c } : { ...c, clockOffsetSeconds: Math.round(offset) / 1000 }]
      })),
      unknownElevatorIds: [...this.unknownIds],
    }
  }

  /** Seconds each gateway's clock is ahead of the broker's (negative: behind), as measured. */
  clockOffsets(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.clocks.offsets()).map(([k, ms]) => [k, Math.round(ms) / 1000]))
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    this.events.complete()
    this.telemetry.complete()
  }

  private onTelemetry(topic: ElevatorTopic, data: unknown, m: InboundMessage): IngestVerdict {
    const v = validators.telemetry(data)
    const key = this.keyOf(m, topic, v.ok ? v.value.gateway : undefined)
    if (!v.ok) return this.invalid(key, m, v.problems)
    const msg = v.value
    const elevator = this.check(topic, msg.gateway, m, key)
    if (typeof elevator === 'string') return elevator
    const c = this.count(key)
    const receivedAt = this.now()
    const replay = msg.reason === 'replay'
    // a live message is fresh whatever its ts says: boots are told apart by when we got them
    const seen = replay ? this.clocks.corrected(msg.gateway, msg.ts, receivedAt) : receivedAt
    const { verdict, missed } = this.seqs.observe(elevator.id, msg.boot, msg.seq, seen)
    c.gaps += missed
    if (verdict === 'duplicate') {
      c.duplicates++
      return 'duplicate'
    }
    let at = seen
    let inOrder: boolean
    let tooOld = false
    if (replay) {
      tooOld = at < receivedAt - this.config.maxAgeSeconds * 1000
      inOrder = !tooOld && this.advance(elevator.id, at)
    } else if (verdict === 'head') {
      // the newest of this gateway boot: in order, at no earlier time than what came before
      at = Math.max(this.liveTime(key, elevator.id, msg.gateway, msg.ts, receivedAt, c), this.elevatorTs.get(elevator.id) ?? -Infinity)
      this.elevatorTs.set(elevator.id, at)
      inOrder = true
    } else {
      // a fill-in behind the head, or a row of an older boot
      at = this.clocks.corrected(msg.gateway, msg.ts, receivedAt)
      inOrder = false
    }
    c.accepted++
    if (!inOrder) c.late++
    // one object for sinks and detectors: the message is ours (parsed above), so its ts becomes
    // broker time in place; the sinks store gatewayTs, what the gateway said
    const gatewayTs = msg.ts
    msg.ts = at
    const input: AcceptedTelemetry = {
      kind: 'telemetry', elevatorId: elevator.id, region: elevator.region, gatewayId: msg.gateway, ts: at, msg, gatewayTs, late: !inOrder, receivedAt,
    }
    this.telemetry.next(input)
    // replayed history goes to the detectors too: they evaluate it in event time, apart from the
    // live state (an entrapment during an outage is raised late, with its true start)
    if (tooOld) this.tooOld(key, c, elevator.id, gatewayTs, receivedAt)
    else if (inOrder || replay) this.events.next(input)
    return inOrder ? 'accepted' : 'late'
  }

  private onAvailability(topic: ElevatorTopic, data: unknown, m: InboundMessage): IngestVerdict {
    const v = validators.availability(data)
    const key = this.keyOf(m, topic, v.ok ? v.value.gateway : undefined)
    if (!v.ok) return this.invalid(key, m, v.problems)
    const msg = v.value
    const elevator = this.check(topic, msg.gateway, m, key)
    if (typeof elevator === 'string') return elevator
    const c = this.count(key)
    c.accepted++
    const receivedAt = this.now()
    if (Math.abs(msg.ts - receivedAt) > this.config.clockSkewMs) c.skewed++
    const at = this.clocks.corrected(msg.gateway, msg.ts, receivedAt)
    if (!this.advance(elevator.id, at)) {
      c.late++
      return 'late'
    }
    this.events.next({
      kind: 'availability', elevatorId: elevator.id, region: elevator.region, gatewayId: msg.gateway, ts: at, state: msg.state,
      ...(msg.reason === undefined ? {} : { reason: msg.reason }),
    })
    return 'accepted'
  }

  private onStatus(gatewayId: string, data: unknown, m: InboundMessage): IngestVerdict {
    const key = m.gatewayId ?? gatewayId
    const v = validators.status(data)
    if (!v.ok) return this.invalid(key, m, v.problems)
    if (m.gatewayId !== undefined && m.gatewayId !== gatewayId) {
      return this.invalid(key, m, { path: '(topic)', message: `status of gateway "${gatewayId}" published by gateway "${m.gatewayId}"` })
    }
    this.count(key).accepted++
    // the status payload has no ts: detectors/runtime/types.ts takes our receipt time
    const ts = this.now()
    for (const e of this.registry.byGateway(gatewayId)) {
      this.events.next({ kind: 'gateway', elevatorId: e.id, region: e.region, gatewayId, ts, state: v.value.state })
    }
    return 'accepted'
  }

  /** The registry entry the message is about, or the verdict that drops it. */
  private check(topic: ElevatorTopic, gateway: string, m: InboundMessage, key: string): Elevator | IngestVerdict {
    if (m.gatewayId !== undefined && gateway !== m.gatewayId) {
      return this.invalid(key, m, { path: 'gateway', message: `"${gateway}" is not the publishing gateway "${m.gatewayId}"` })
    }
    const e = this.registry.elevator(topic.elevatorId)
    if (!e) return this.unknown(key, topic.elevatorId)
    if (e.region !== topic.region) {
      return this.invalid(key, m, { path: '(topic)', message: `region ${topic.region}, but the registry has elevator ${e.id} in ${e.region}` })
    }
    if (e.gatewayId !== gateway) return this.invalid(key, m, { path: 'gateway', message: `elevator ${e.id} is served by gateway "${e.gatewayId}"` })
    return e
  }

  /** Broker time of a live sample, by its gateway's measured clock; counts and logs what was off. */
  private liveTime(key: string, elevatorId: string, gateway: string, ts: number, receivedAt: number, c: GatewayIngestStats): number {
    const t = this.clocks.live(gateway, ts, receivedAt)
    if (t.skewed) {
      c.skewed++
      const suppressed = this.skewLog.take(key)
      if (suppressed !== null) this.log.warn({ gateway: key, offsetMs: Math.round(ts - receivedAt), suppressed }, 'gateway clock off; its ts corrected')
    }
    if (t.stepped) {
      c.clockSteps++
      const suppressed = this.timeLog.take(`${key} step`)
      if (suppressed !== null) this.log.warn({ gateway: key, offsetMs: Math.round(this.clocks.offset(gateway) ?? 0), suppressed }, 'gateway clock stepped; new offset adopted')
    }
    if (t.retimed) {
      c.retimed++
      const suppressed = this.timeLog.take(key)
      if (suppressed !== null) this.log.warn({ gateway: key, elevatorId, ts, receivedAt, suppressed }, 'telemetry ts disagrees with the gateway clock; timed by its receipt')
    }
    return t.at
  }

  private tooOld(key: string, c: GatewayIngestStats, elevatorId: string, ts: number, receivedAt: number): void {
    c.tooOld++
    const suppressed = this.timeLog.take(`${key} old`)
    if (suppressed !== null) this.log.warn({ gateway: key, elevatorId, ts, receivedAt, suppressed }, 'replayed telemetry too old for the detectors')
  }

  /** true when ts is not older than what the detectors saw for this elevator. */
  private advance(elevatorId: string, ts: number): boolean {
    if (ts < (this.elevatorTs.get(elevatorId) ?? -1)) return false
    this.elevatorTs.set(elevatorId, ts)
    return true
  }

  private invalid(key: string, m: InboundMessage, problems: Problem | Problem[]): 'invalid' {
    const list = Array.isArray(problems) ? problems : [problems]
    this.count(key).invalid++
    const suppressed = this.invalidLog.take(key)
    if (suppressed !== null) {
      const first = list[0]!
      this.log.warn({ gateway: key, clientId: m.clientId, topic: clip(m.topic), problem: clip(formatProblems([first])), problems: list.length, suppressed }, 'invalid message dropped')
    }
    return 'invalid'
  }

  private unknown(key: string, elevatorId: string): 'unknown-elevator' {
    this.count(key).unknownElevator++
    if (this.unknownIds.size < MAX_UNKNOWN_LISTED) this.unknownIds.add(elevatorId)
    if (this.pendingUnknown.size < MAX_UNKNOWN_LISTED) this.pendingUnknown.set(elevatorId, key)
    const suppressed = this.unknownLog.take('unknown')
    if (suppressed !== null) {
      this.log.warn({ elevatorIds: [...this.pendingUnknown.keys()], gateways: [...new Set(this.pendingUnknown.values())], suppressed }, 'messages for elevators not in the registry dropped')
      this.pendingUnknown.clear()
    }
    return 'unknown-elevator'
  }

  /** Who to count a message under: the authenticated gateway, else what the topic, registry or payload say. */
  private keyOf(m: InboundMessage, topic: ParsedTopic | null, claimed?: string): string {
    if (m.gatewayId !== undefined) return m.gatewayId
    if (topic?.kind === 'status' || topic?.kind === 'gateway-alarm') return topic.gatewayId
    return claimed ?? (topic ? this.registry.elevator(topic.elevatorId)?.gatewayId : undefined) ?? m.clientId ?? '(unknown)'
  }

  private count(key: string): GatewayIngestStats {
    const k = capKey(this.counters, key, this.config.maxGateways)
    let c = this.counters.get(k)
    if (!c) {
      c = { accepted: 0, late: 0, invalid: 0, duplicates: 0, gaps: 0, unknownElevator: 0, skewed: 0, retimed: 0, clockSteps: 0, tooOld: 0 }
      this.counters.set(k, c)
    }
    return c
  }
}

type ElevatorTopic = Extract<ParsedTopic, { elevatorId: string }>
