// The broker's own LiveView over a real registry and the real alarm store on ':memory:', fed the
// way the broker feeds it: ingest's accepted inputs, and alarms after the store recorded them.
import type { Observable } from 'rxjs'
import { catalogueEntry, registrationCode, type AlarmEvent, type AlarmType, type Telemetry } from '../../../protocol/index.ts'
import { AlarmStore, type Severity, type StoredAlarm } from '../../../broker/alarms/store.ts'
import type { BrokerView, LiveEvent } from '../../../broker/http/broker-view.ts'
import { LiveView } from '../../../broker/live-view.ts'
import { parseRegistry, type ElevatorRecord } from '../../../broker/registry/registry.ts'
import type { Principal } from '../../../broker/accounts/scope.ts'

const REGION = '330922'
const ESTATES = ['阳光花园', '东港小区', '西屏新村', '望松公寓', '南城嘉园', '古市商厦', '县人民医院', '松阳中学']
export const METRICS_TEXT = '# HELP liftwatch_broker_up test view\n# TYPE liftwatch_broker_up gauge\nliftwatch_broker_up 1\n'

/** A principal as broker/http/auth.ts makes one, for the view's own tests: admin of everything unless told. */
export const principal = (over: Partial<Principal> = {}): Principal => ({
  userId: 1, username: 'test-admin', name: '测试管理员', role: 'admin', scope: { all: true }, via: 'session', ...over,
})

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

export interface FleetOptions {
  /** how many of the fleet report online with a first sample (default all) */
  online?: number
  keepUntilAcked?: Severity[]
  metrics?: () => Promise<string>
  /** scope fields (township, village, maintenance, property) of the k-th elevator (0-based) */
  place?: (k: number) => Partial<ElevatorRecord>
}

export interface LiveFleet {
  view: LiveView
  store: AlarmStore
  ids: string[]
  /** health checks the view reports; a test may fail one */
  checks: Record<string, boolean>
  /** the clock acknowledgements are stamped with; a test may set it */
  now: () => number
  state(elevatorId: string, msg: Telemetry): void
  availability(elevatorId: string, state: 'online' | 'offline'): void
  /** what the broker does with a lifecycle event: record it, then tell the view what is stored */
  alarm(a: AlarmEvent): StoredAlarm
  stop(): void
}

/** A registered fleet of n elevators, the first `online` of them online with a first sample. */
export function liveFleet(n: number, opts: FleetOptions = {}): LiveFleet {
  const ids = Array.from({ length: n }, (_, k) => regCode(k + 1))
  const records: ElevatorRecord[] = ids.map((id, k) => {
    const i = k + 1
    const estate = ESTATES[i % ESTATES.length]!
    return {
      id, registrationCode: id, rescueCode: String(50000 + i), region: REGION,
      building: `${estate}${1 + (Math.floor(i / 8) % 12)}幢${1 + (Math.floor(i / 96) % 3)}号梯`, address: `浙江省丽水市松阳县西屏街道${estate}`,
      landings: 30, ratedSpeed: 1.75, gatewayId: `gw-${String(1 + Math.floor(i / 8)).padStart(3, '0')}`,
      ...opts.place?.(k),
    }
  })
  const registry = parseRegistry({ elevators: records })
  const store = new AlarmStore(':memory:')
  store.start()
  const checks: Record<string, boolean> = { mqtt: true, store: true }
  const health = () => ({ ok: Object.values(checks).every(Boolean), checks: { ...checks } })
  const fleet: LiveFleet = {
    view: new LiveView(registry, store, opts.metrics ?? (async () => METRICS_TEXT), health, opts.keepUntilAcked, () => fleet.now()),
    store, ids, checks,
    now: () => Date.now(),
    state(elevatorId, msg) {
      const e = registry.elevator(elevatorId)!
      fleet.view.onInput({ kind: 'telemetry', elevatorId, region: e.region, gatewayId: e.gatewayId, ts: msg.ts, msg })
    },
    availability(elevatorId, state) {
      const e = registry.elevator(elevatorId)!
      fleet.view.onInput({ kind: 'availability', elevatorId, region: e.region, gatewayId: e.gatewayId, ts: Date.now(), state })
    },
    alarm(a) {
      const stored = store.record(a)
      fleet.view.onAlarm(stored)
      return stored
    },
    stop() {
      fleet.view.stop()
      store.stop()
    },
  }
  ids.forEach((id, k) => {
    if (k < (opts.online ?? n)) {
      fleet.availability(id, 'online')
      fleet.state(id, telemetry({ floor: String(1 + ((k + 1) % 18)), floorIndex: (k + 1) % 18, direction: (['up', 'down', 'none'] as const)[(k + 1) % 3], moving: (k + 1) % 3 !== 2 }))
    } else {
      fleet.availability(id, 'offline')
    }
  })
  return fleet
}

/** The same view with another live stream: for a BrokerView whose stream failed. */
export const withLive = (view: BrokerView, live$: Observable<LiveEvent>): BrokerView => ({
  live$, keepUntilAcked: view.keepUntilAcked,
  elevators: (p) => view.elevators(p), alarms: (q, p) => view.alarms(q, p), ack: (id, by, note) => view.ack(id, by, note),
  alarm: (id, p) => view.alarm(id, p), visibleTo: (e, p) => view.visibleTo(e, p),
  metrics: () => view.metrics(), health: () => view.health(),
})
