// An in-memory BrokerView the tests feed directly: the HTTP layer's own input interface, not a
// stand-in for a peer. State is updated before live$ emits, as BrokerView requires.
import { Subject } from 'rxjs'
import { catalogueEntry, registrationCode, type AlarmEvent, type AlarmType, type Telemetry } from '../../../protocol/index.ts'
import type { AlarmQuery, AlarmView, BrokerView, ElevatorView, LiveEvent, Severity } from '../../../broker/http/broker-view.ts'
import { ackStateOf, unackedView } from '../../../broker/alarms/store.ts'

const RANK: Record<Severity, number> = { critical: 0, major: 1, minor: 2, warning: 3 }

type Registration = Omit<ElevatorView, 'availability' | 'last' | 'activeAlarms'>

export class MemoryView implements BrokerView {
  private readonly subject = new Subject<LiveEvent>()
  readonly live$ = this.subject.asObservable()
  private readonly regs = new Map<string, Registration>()
  private readonly avail = new Map<string, 'online' | 'offline'>()
  private readonly last = new Map<string, Telemetry>()
  private readonly history: AlarmView[] = []
  keepUntilAcked: Severity[] = ['critical']
  /** the clock ack() stamps with */
  now = (): number => Date.now()
  checks: Record<string, boolean> = { mqtt: true, store: true }
  metricsText = '# HELP liftwatch_broker_up test view\n# TYPE liftwatch_broker_up gauge\nliftwatch_broker_up 1\n'
  lastQuery: AlarmQuery | undefined

  register(r: Registration): void { this.regs.set(r.elevatorId, r) }

  state(elevatorId: string, telemetry: Telemetry): void {
    this.last.set(elevatorId, telemetry)
    this.subject.next({ kind: 'state', elevatorId, telemetry })
  }

  availability(elevatorId: string, state: 'online' | 'offline'): void {
    this.avail.set(elevatorId, state)
    this.subject.next({ kind: 'availability', elevatorId, state })
  }

  /** Records like the alarm store: updates an active alarm, keeps a cleared one, keeps the ack. */
  alarm(a: AlarmEvent): void {
    const i = this.history.findIndex((h) => h.id === a.id)
    const prev = this.history[i]
    let stored: AlarmView
    if (!prev) this.history.push(stored = unackedView(a))
    else if (prev.state === 'cleared') stored = prev
    else {
      stored = { ...a, ackedAt: prev.ackedAt, ackedBy: prev.ackedBy, ackState: ackStateOf({ state: a.state, ackedAt: prev.ackedAt }) }
      this.history[i] = stored
    }
    this.subject.next({ kind: 'alarm', alarm: stored })
  }

  ack(id: string, by: string): AlarmView | null {
    const i = this.history.findIndex((h) => h.id === id)
    const prev = this.history[i]
    if (!prev) return null
    if (prev.ackedAt !== null) return prev
    const acked = { ...prev, ackedAt: this.now(), ackedBy: by, ackState: ackStateOf({ state: prev.state, ackedAt: 1 }) }
    this.history[i] = acked
    this.subject.next({ kind: 'ack', alarm: acked })
    return acked
  }

  fail(err: Error): void { this.subject.error(err) }

  elevators(): ElevatorView[] {
    return [...this.regs.values()].map((r) => ({
      ...r,
      availability: this.avail.get(r.elevatorId) ?? 'unknown',
      ...(this.last.has(r.elevatorId) ? { last: this.last.get(r.elevatorId) } : {}),
      activeAlarms: this.history.filter((a) => a.elevatorId === r.elevatorId && a.state === 'raised')
        .map(({ ackedAt: _at, ackedBy: _by, ackState: _state, ...event }) => event),
    }))
  }

  alarms(q: AlarmQuery): AlarmView[] {
    this.lastQuery = q
    const visible = (a: AlarmView) => a.state === 'raised' || (a.ackedAt === null && this.keepUntilAcked.includes(a.severity))
    return this.history
      .filter((a) => (q.state !== 'active' || a.state === 'raised') && (q.state !== 'visible' || visible(a)) && (!q.elevatorId || a.elevatorId === q.elevatorId))
      .sort((x, y) => (q.state === 'visible' ? RANK[x.severity] - RANK[y.severity] : 0) || y.raisedAt - x.raisedAt)
      .slice(0, q.limit ?? Infinity)
  }

  async metrics(): Promise<string> { return this.metricsText }

  health(): { ok: boolean; checks: Record<string, boolean> } {
    return { ok: Object.values(this.checks).every(Boolean), checks: { ...this.checks } }
  }
}

const REGION = '330922'

export const regCode = (n: number): string => registrationCode('3110', REGION, '201806', n)

export const telemetry = (over: Partial<Telemetry> = {}): Telemetry => ({
  v: 1, ts: Date.now(), seq: 0, boot: 'b-1', gateway: 'gw-01', reason: 'change',
  floor: '1', floorIndex: 0, position: 0, speed: 0, direction: 'none', moving: false,
  door: 'closed', doorZone: true, occupied: null, load: null, alarmButton: false,
  safetyCircuit: true, mode: 'normal', power: 'mains', upLimit: false, downLimit: false, faultCode: 0,
  ...over,
})

let alarmSeq = 0
export function alarmEvent(elevatorId: string, type: AlarmType, over: Partial<AlarmEvent> = {}): AlarmEvent {
  const e = catalogueEntry(type)
  return {
    v: 1, id: `al-${++alarmSeq}`, key: `${elevatorId}:${type}`, type, code: e.code, severity: e.severity,
    state: 'raised', elevatorId, region: REGION, raisedAt: Date.now(), clearedAt: null,
    evidence: {}, drill: false, ...over,
  }
}

const ESTATES = ['阳光花园', '东港小区', '西屏新村', '望松公寓', '南城嘉园', '古市商厦', '县人民医院', '松阳中学']

/** A registered fleet of n elevators; the first `online` of them online with a first sample. */
export function fleet(view: MemoryView, n: number, online = n): string[] {
  const ids: string[] = []
  for (let i = 1; i <= n; i++) {
    const id = regCode(i)
    const estate = ESTATES[i % ESTATES.length]!
    view.register({
      elevatorId: id, region: REGION, registrationCode: id, rescueCode: String(50000 + i),
      building: `${estate}${1 + (Math.floor(i / 8) % 12)}幢${1 + (Math.floor(i / 96) % 3)}号梯`, address: `浙江省丽水市松阳县西屏街道${estate}`,
      gatewayId: `gw-${String(1 + Math.floor(i / 8)).padStart(3, '0')}`,
    })
    if (i <= online) {
      view.availability(id, 'online')
      view.state(id, telemetry({ floor: String(1 + (i % 18)), floorIndex: i % 18, direction: (['up', 'down', 'none'] as const)[i % 3], moving: i % 3 !== 2 }))
    } else {
      view.availability(id, 'offline')
    }
    ids.push(id)
  }
  return ids
}
