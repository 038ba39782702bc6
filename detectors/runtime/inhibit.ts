// Inhibition (docs/domain.md#from-signals-to-alarms): one gateway alarm inhibits its elevators' alarms.
// A gateway going offline makes every elevator behind it lose communication at once; the
// monitoring centre should see one alarm about the gateway, naming its elevators, not one per
// elevator. Elevators that lose communication for their own reasons keep their own alarms; so
// does an elevator still unreachable once its gateway is back (detectors/communication-lost.ts
// raises it again with its own cause): it leaves the group, and the gateway alarm clears with
// the last member.
import type { SchedulerLike, Subscription } from 'rxjs'
import type { AlarmEvent, AlarmType } from '../../protocol/index.ts'
import type { AlarmSignal } from './types.ts'

interface GatewayGroup {
  readonly region: string
  readonly members: Set<string>
  /** event time the gateway went offline (the first member's) */
  readonly at: number
  /** the gateway alarm has been passed on */
  raised: boolean
  /** members changed since the last signal: one signal per scheduler turn, not one per elevator */
  dirty: boolean
}

export class GatewayInhibition {
  private readonly groups = new Map<string, GatewayGroup>()
  /** elevator → its gateway, while its communication_lost is folded into the gateway's alarm */
  private readonly folded = new Map<string, string>()
  private flushing: Subscription | null = null

  constructor(private readonly scheduler: SchedulerLike, private readonly emit: (s: AlarmSignal) => void) {}

  /** Rebuilds the groups from gateway alarms still active (the alarm store after a restart). */
  restore(events: readonly AlarmEvent[]): void {
    for (const e of events) {
      if (e.state !== 'raised' || e.scope !== 'gateway' || !e.gatewayId) continue
      const g: GatewayGroup = { region: e.region, members: new Set(e.elevators ?? []), at: e.raisedAt, raised: true, dirty: false }
      this.groups.set(e.gatewayId, g)
      for (const id of g.members) this.folded.set(id, e.gatewayId)
    }
  }

  /** communication_lost is active for an elevator through its gateway's alarm. */
  activeTypes(elevatorId: string): AlarmType[] {
    return this.folded.has(elevatorId) ? ['communication_lost'] : []
  }

  /** Passes a detector signal on, or folds it into its gateway's alarm. */
  apply(s: AlarmSignal): void {
    if (s.type !== 'communication_lost' || s.scope === 'gateway') return this.emit(s)
    if (s.state === 'raised') {
      const gatewayId = s.evidence.gatewayId
      if (s.evidence.cause !== 'gateway' || typeof gatewayId !== 'string') {
        const back = s.evidence.gatewayOnlineAt
        this.leave(s.elevatorId, typeof back === 'number' ? back : s.at, { recovery: 'gateway online' })
        return this.emit(s)
      }
      let g = this.groups.get(gatewayId)
      if (!g) this.groups.set(gatewayId, (g = { region: s.region, members: new Set(), at: s.at, raised: false, dirty: false }))
      g.members.add(s.elevatorId)
      g.dirty = true
      this.folded.set(s.elevatorId, gatewayId)
      // the gateway's status is fanned out to its elevators one after another: signal once they all have
      this.flushing ??= this.scheduler.schedule(() => this.flush(), 0)
      return
    }
    if (!this.folded.has(s.elevatorId)) return this.emit(s)
    this.leave(s.elevatorId, s.at, { recovery: s.evidence.recovery ?? 'unknown' })
  }

  stop(): void {
    this.flushing?.unsubscribe()
  }

  /** An elevator's communication_lost is no longer its gateway's; the gateway alarm clears with the last one. */
  private leave(elevatorId: string, at: number, evidence: Record<string, unknown>): void {
    const gatewayId = this.folded.get(elevatorId)
    if (gatewayId === undefined) return
    this.folded.delete(elevatorId)
    const g = this.groups.get(gatewayId)
    if (!g) return
    g.members.delete(elevatorId)
    if (g.members.size > 0) return
    this.groups.delete(gatewayId)
    if (g.raised) this.emit({ elevatorId: gatewayId, region: g.region, type: 'communication_lost', state: 'cleared', at, scope: 'gateway', evidence })
  }

  private flush(): void {
    this.flushing = null
    for (const [gatewayId, g] of this.groups) {
      if (!g.dirty) continue
      g.dirty = false
      this.emit({
        elevatorId: gatewayId, region: g.region, type: 'communication_lost', state: 'raised', at: g.at, scope: 'gateway',
        evidence: { cause: 'gateway', gatewayId, elevatorCount: g.members.size }, groups: [...g.members].sort(), ...(g.raised ? { evidenceUpdate: true } : {}),
      })
      g.raised = true
    }
  }
}
