// What the response chain puts on the wire and reads from it: the IncidentEvent published on
// lift/v1/{region}/{elevatorId}/incident (docs/protocol.md#topics; no person is named there), and
// where the car stopped, told in every message, from the elevator's last telemetry.
import { incidentTopic, type IncidentEvent, type Telemetry } from '../../protocol/index.ts'
import type { Elevator } from '../registry/registry.ts'
import type { IncidentSummary } from './types.ts'

export function incidentMessage(s: IncidentSummary, now: number): { topic: string; payload: string } {
  const e: IncidentEvent = {
    v: 1, id: s.id, elevatorId: s.elevatorId, region: s.region, state: s.state, source: s.source, drill: s.drill,
    ...(s.alarmType ? { alarmType: s.alarmType as IncidentEvent['alarmType'] } : {}),
    trappedAt: s.trappedAt, alarmAt: s.alarmAt,
    ...(s.respondedAt !== undefined ? { respondedAt: s.respondedAt } : {}),
    ...(s.arrivedAt !== undefined ? { arrivedAt: s.arrivedAt } : {}),
    ...(s.releasedAt !== undefined ? { releasedAt: s.releasedAt } : {}),
    ...(s.closedAt !== undefined ? { closedAt: s.closedAt } : {}),
    updatedAt: now,
  }
  return { topic: incidentTopic(s.region, s.elevatorId), payload: JSON.stringify(e) }
}

/**
 * `3 层，平层` when the car stands in the door zone of a landing; `3 层与 4 层之间` when it does not
 * (a passenger trapped between floors), from the landing below and the position if known.
 */
export function whereCarStopped(t: Telemetry | undefined, e: Elevator | undefined): string | undefined {
  if (!t) return undefined
  if (t.doorZone) return `${t.floor} 层，平层 / at floor ${t.floor}, level`
  const labels = e?.landings
  const next = labels && t.floorIndex + 1 < labels.length ? labels[t.floorIndex + 1] : undefined
  return next !== undefined
    ? `${t.floor} 层与 ${next} 层之间 / between floors ${t.floor} and ${next}`
    : `${t.floor} 层附近，不在平层区 / near floor ${t.floor}, outside the door zone`
}
