// Elevators, alarms and actors for the response tests.
import type { Actor, AlarmFacts, ElevatorFacts } from '../../response/index.ts'
import { T0 } from './harness.ts'

export const MAIN_TOWN = '330922100' // the main island town (30-minute arrival)
export const FERRY_ISLAND = '330922203' // an outer island reached by ferry

export const lift = (township = MAIN_TOWN, n = 1): ElevatorFacts => ({
  elevatorId: `3309223110202308${String(n).padStart(4, '0')}`, region: '330922', township, maintenance: 'mu-east', property: 'pm-harbour',
})

let seq = 0
export function alarm(atMs: number, over: Partial<AlarmFacts> = {}, e: ElevatorFacts = lift()): AlarmFacts {
  return { id: `a${++seq}`, type: 'entrapment', severity: 'critical', elevatorId: e.elevatorId, raisedAt: T0 + atMs - 20_000, detectedAt: T0 + atMs, drill: false, ...over }
}

export const TECH: Actor = { userId: 'u-tech', name: '王师傅', via: 'link', role: 'maintenance' }
export const DESK: Actor = { userId: 'u-desk', name: '96333 值班员', via: 'desk', role: 'desk' }
export const STEWARD: Actor = { name: '李阿姨', via: 'link', role: 'steward' }
