// After the detectors: signals become AlarmEvents. Identity is elevator + type: one alarm is
// raised per key and updated while active; a clear is held a while, and a condition that comes
// back within the hold continues the same alarm, marked `flapping`, instead of raising a new one
// every cycle (ISA-18.2's chattering alarm). After a clear the key opens a new alarm.
import { Type, type Static } from '@sinclair/typebox'
import type { SchedulerLike, Subscription } from 'rxjs'
import { ALARM_TYPES, catalogueEntry, type AlarmEvent, type AlarmType } from '../../protocol/index.ts'
import type { AlarmSignal } from './types.ts'

const Hold = {
  clearHoldMs: Type.Integer({ minimum: 0, description: 'a clear is held this long; a raise within it continues the alarm as flapping' }),
  flappingHoldMs: Type.Integer({ minimum: 0, description: 'the hold once an alarm is flapping' }),
}
export const LifecycleConfigSchema = Type.Object({
  clearHoldMs: Type.Integer({ ...Hold.clearHoldMs, default: 30_000 }),
  flappingHoldMs: Type.Integer({ ...Hold.flappingHoldMs, default: 300_000 }),
  types: Type.Optional(Type.Partial(Type.Object(Object.fromEntries(ALARM_TYPES.map((t) => [t, Type.Partial(Type.Object(Hold), { additionalProperties: false })])),
    { additionalProperties: false }), { description: 'per alarm type' })),
}, { additionalProperties: false })
export type LifecycleConfig = Static<typeof LifecycleConfigSchema>
export const LIFECYCLE_DEFAULTS: LifecycleConfig = { clearHoldMs: 30_000, flappingHoldMs: 300_000 }

export const alarmKey = (elevatorId: string, type: AlarmType, scope: AlarmSignal['scope'] = 'elevator'): string =>
  scope === 'gateway' ? `gateway:${elevatorId}:${type}` : `${elevatorId}:${type}`

/** What apply() did with a signal: for the runtime's counters. */
export type Applied = 'raised' | 'updated' | 'clearing' | 'cleared' | 'ignored'

export interface LifecycleOptions {
  readonly newId: () => string
  readonly scheduler: SchedulerLike
  readonly emit: (e: AlarmEvent) => void
  readonly config?: LifecycleConfig
}

interface Open {
  event: AlarmEvent
  /** detectors holding it raised (a profile can map a controller code to a type another detector raises too) */
  sources: Set<string>
  /** a clear being held: its event time and the timer that will publish it */
  clearing: { at: number; evidence: Record<string, unknown>; timer: Subscription } | null
}

export class AlarmLifecycle {
  private readonly open = new Map<string, Open>()
  private readonly byElevator = new Map<string, Set<AlarmType>>()
  /** keys taken over from before a restart, until they clear */
  private readonly restored = new Set<string>()
  private readonly config: LifecycleConfig

  constructor(private readonly opts: LifecycleOptions) {
    this.config = opts.config ?? LIFECYCLE_DEFAULTS
  }

  /** Takes over alarms still active from before (the alarm store after a broker restart). */
  restore(events: readonly AlarmEvent[]): void {
    for (const e of events) {
      if (e.state !== 'raised') continue
      // exactly the protocol's fields: a stored row may carry more (acknowledgement)
      const { v, id, key, type, code, severity, state, elevatorId, region, raisedAt, clearedAt, evidence, drill } = e
      const event: AlarmEvent = { v, id, key, type, code, severity, state, elevatorId, region, raisedAt, clearedAt, evidence, drill }
      for (const k of ['scope', 'gatewayId', 'elevators', 'flapping', 'late', 'ongoing', 'detectedAt', 'gatewayRaisedAt', 'updatedAt'] as const) if (e[k] !== undefined) Object.assign(event, { [k]: e[k] })
      this.track(event)
      this.restored.add(key)
    }
  }

  apply(s: AlarmSignal): Applied {
    const key = alarmKey(s.elevatorId, s.type, s.scope)
    const current = this.open.get(key)
    if (s.state === 'raised') {
      if (!current) return this.raise(key, s)
      if (s.source !== undefined) current.sources.add(s.source)
      const e = current.event
      const earlier = s.at < e.raisedAt
      if (current.clearing && s.at > current.clearing.at) {
        // the condition came back before its clear was published: the same alarm, flapping
        current.clearing.timer.unsubscribe()
        current.clearing = null
        const flaps = ((e.evidence.flaps as number | undefined) ?? 0) + 1
        this.track({ ...e, flapping: true, updatedAt: this.now(), evidence: { ...e.evidence, ...s.evidence, flaps } })
        // subscribers hear when it starts flapping; later cycles are counted, and told with the clear
        if (!e.flapping) this.emitOpen(key)
        return 'updated'
      }
      if (!earlier && !s.groups && !s.evidenceUpdate) return 'ignored'
      // history replayed after an outage shows the true start; or new evidence while active
      this.track({
        ...e, raisedAt: Math.min(e.raisedAt, s.at), updatedAt: this.now(),
        evidence: { ...e.evidence, ...s.evidence }, ...(earlier && s.late ? { late: true } : {}), ...(s.groups ? { elevators: s.groups } : {}),
        ...(earlier && s.late && s.ongoing !== undefined ? { ongoing: s.ongoing } : {}),
        ...(earlier && s.gatewayAt !== undefined ? { gatewayRaisedAt: Math.round(s.gatewayAt) } : {}),
      })
      this.emitOpen(key)
      return 'updated'
    }
    if (!current || current.clearing) return 'ignored'
    if (s.source !== undefined) current.sources.delete(s.source)
    if (current.sources.size > 0) return 'ignored'
    const hold = this.holdFor(current.event)
    if (hold === 0) {
      this.close(key, s.at, s.evidence)
      return 'cleared'
    }
    current.clearing = {
      at: s.at, evidence: s.evidence,
      timer: this.opts.scheduler.schedule(() => this.close(key, s.at, s.evidence), hold),
    }
    return 'clearing'
  }

  /** The alarms active now (a clear being held is still active). */
  active(): AlarmEvent[] {
    return [...this.open.values()].map((o) => o.event)
  }

  /** The types a fresh detector instance should treat as raised: active and not being cleared. */
  activeTypes(elevatorId: string): AlarmType[] {
    return [...(this.byElevator.get(elevatorId) ?? [])].filter((t) => !this.open.get(alarmKey(elevatorId, t))?.clearing)
  }

  /** Cancels held clears; the alarms stay active in the store and are cleared after a restart. */
  stop(): void {
    for (const o of this.open.values()) o.clearing?.timer.unsubscribe()
  }

  private raise(key: string, s: AlarmSignal): Applied {
    const entry = catalogueEntry(s.type)
    const event: AlarmEvent = {
      v: 1, id: this.opts.newId(), key, type: s.type, code: entry.code, severity: entry.severity, state: 'raised',
      elevatorId: s.elevatorId, region: s.region, raisedAt: s.at, clearedAt: null, evidence: s.evidence, drill: false,
      ...(s.scope === 'gateway' ? { scope: 'gateway' as const, gatewayId: s.elevatorId } : {}),
      ...(s.groups ? { elevators: s.groups } : {}),
      ...(s.late ? { late: true } : {}),
      ...(s.late && s.ongoing !== undefined ? { ongoing: s.ongoing } : {}),
      // the broker's clock now: the moment the broker knew, whatever the gateway's clock said
      detectedAt: Math.round(this.now()),
      ...(s.gatewayAt === undefined ? {} : { gatewayRaisedAt: Math.round(s.gatewayAt) }),
    }
    this.track(event)
    if (s.source !== undefined) this.open.get(key)!.sources.add(s.source)
    this.opts.emit(event)
    return 'raised'
  }

  private close(key: string, at: number, evidence: Record<string, unknown>): void {
    const current = this.open.get(key)
    if (!current) return
    const e = current.event
    this.open.delete(key)
    // said in the clear's evidence: judged on fresh data from an alarm the previous run left active
    if (this.restored.delete(key)) evidence = { ...evidence, afterRestart: true }
    const types = this.byElevator.get(e.elevatorId)
    types?.delete(e.type)
    if (types?.size === 0) this.byElevator.delete(e.elevatorId)
    this.opts.emit({ ...e, state: 'cleared', clearedAt: Math.max(at, e.raisedAt), evidence: { ...e.evidence, cleared: evidence } })
  }

  private emitOpen(key: string): void {
    this.opts.emit(this.open.get(key)!.event)
  }

  private holdFor(e: AlarmEvent): number {
    // an alarm from before a restart that fresh data shows over is over: held, a new occurrence
    // right after the restart would continue it as flapping instead of raising an alarm of its own
    if (this.restored.has(e.key)) return 0
    const own = this.config.types?.[e.type]
    return e.flapping ? own?.flappingHoldMs ?? this.config.flappingHoldMs : own?.clearHoldMs ?? this.config.clearHoldMs
  }

  private now(): number {
    return this.opts.scheduler.now()
  }

  private track(e: AlarmEvent): void {
    const o = this.open.get(e.key)
    if (o) o.event = e
    else this.open.set(e.key, { event: e, sources: new Set(), clearing: null })
    if (e.scope === 'gateway') return
    const types = this.byElevator.get(e.elevatorId) ?? new Set<AlarmType>()
    types.add(e.type)
    this.byElevator.set(e.elevatorId, types)
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
function base32(n: number, width: number): string {
  let out = ''
  for (let i = 0; i < width; i++) {
    out = CROCKFORD[n % 32]! + out
    n = Math.floor(n / 32)
  }
  return out
}

/**
 * ULID-shaped ids without randomness: 10 characters of milliseconds, 6 of a counter within the
 * millisecond. Sortable by creation; unique within a process and across restarts while the clock
 * moves forward. The clock never steps back here, so a clock correction cannot repeat an id.
 */
export function alarmIds(clock: () => number): () => string {
  let last = -1
  let counter = 0
  return () => {
    const t = Math.max(Math.floor(clock()), last)
    counter = t === last ? counter + 1 : 0
    last = t
    return base32(t, 10) + base32(counter, 6)
  }
}
