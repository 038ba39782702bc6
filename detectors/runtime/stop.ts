// What a stop is, once for every detector (docs/domain.md#fault-catalogue): the car stands
// still, or re-levels — moves at ≤ 0.3 m/s inside the door zone of the landing it stopped at —
// for less than 10 s at a time. A car hunting at a landing (re-levelling every few seconds) is
// one stop, so a count that runs through a stop (entrapment, door_open_fault) does not restart
// on each re-level. A slow move that runs on past 10 s is no re-level: the car is on a trip.
// And how a run began (nextDeparture), which decides whose a door open on it is.
import type { Telemetry } from '../../protocol/index.ts'

/** m/s: slower than this inside the door zone may be re-levelling (GB/T fault code 05's exemption) */
export const RELEVEL_MAX_SPEED = 0.3
/** ms: a re-level is over well within this; a slow move that lasts longer is a trip */
export const RELEVEL_MAX_MS = 10_000

/** One sample alone: moving, and not slowly inside the door zone as re-levelling does. */
export const onTrip = (t: Telemetry): boolean => t.moving && !(t.doorZone && (t.speed ?? 0) <= RELEVEL_MAX_SPEED)

/** Where the car is between trips, advanced by every live sample (`nextStop`). */
export interface Stop {
  /** ts the car came to this stop; null = on a trip, or not seen yet */
  readonly since: number | null
  /** floorIndex it stopped at: a re-level stays there */
  readonly floorIndex: number
  /** ts the re-level under way began; null = standing still */
  readonly relevelFrom: number | null
  /** ts the trip under way began (when a re-level it grew out of began); null = stopped */
  readonly tripFrom: number | null
}

export const NOT_SEEN: Stop = { since: null, floorIndex: -1, relevelFrom: null, tripFrom: null }

export const stopped = (s: Stop): boolean => s.since !== null

/** Advances `s` by live sample `t`; `prev` is the last live sample, to see gaps in the data by. */
export function nextStop(s: Stop, t: Telemetry, prev: Telemetry | null, staleAfterMs: number): Stop {
  // across a gap in the data the car may have run unseen: what it does now starts afresh
  const gap = prev === null || t.ts - prev.ts >= staleAfterMs
  if (!t.moving) {
    if (gap || s.since === null) return { since: t.ts, floorIndex: t.floorIndex, relevelFrom: null, tripFrom: null }
    return s.relevelFrom === null ? s : { ...s, relevelFrom: null }
  }
  if (onTrip(t)) {
    if (!gap && s.since === null && s.tripFrom !== null) return s
    return { since: null, floorIndex: t.floorIndex, relevelFrom: null, tripFrom: gap ? t.ts : s.relevelFrom ?? t.ts }
  }
  // slow inside the door zone: first seen so, a re-level has the benefit of the doubt
  if (gap) return { since: t.ts, floorIndex: t.floorIndex, relevelFrom: t.ts, tripFrom: null }
  // on a trip it is the final approach, still the trip
  if (s.since === null) return s.tripFrom === null ? { ...s, tripFrom: t.ts } : s
  const from = s.relevelFrom ?? t.ts
  if (t.floorIndex !== s.floorIndex || t.ts - from >= RELEVEL_MAX_MS) return { since: null, floorIndex: t.floorIndex, relevelFrom: null, tripFrom: from }
  return from === s.relevelFrom ? s : { ...s, relevelFrom: from }
}

/**
 * How the run under way began, for the two detectors that split a moving car with its door not
 * closed between them (one event, one alarm): door_open_while_running owns a run that set off
 * with the door closed, unintended_movement every other.
 */
export interface Departure {
  /** the door was closed when this run began, or has been since */
  readonly wasClosed: boolean
  /** ts the door was first seen not closed on this run, on a trip outside the door zone */
  readonly openedAt: number | null
}

export const DEPARTURE_UNSEEN: Departure = { wasClosed: false, openedAt: null }

/** Advances `m` by live sample `t`; `holdMs` is door_open_while_running's debounce. */
export function nextDeparture(m: Departure, t: Telemetry, prev: Telemetry | null, staleAfterMs: number, holdMs: number): Departure {
  // stopped: what the door does now is what the next run starts from
  if (!t.moving) return { wasClosed: t.door === 'closed', openedAt: null }
  if (t.door === 'closed') return m.wasClosed && m.openedAt === null ? m : { wasClosed: true, openedAt: null }
  // across a gap in the data this may be another run, unless the door was already open long enough before it
  const due = prev !== null && m.openedAt !== null && prev.ts - m.openedAt >= holdMs
  if ((!prev || t.ts - prev.ts >= staleAfterMs) && !due) return DEPARTURE_UNSEEN
  if (t.door === 'unknown' || !m.wasClosed || m.openedAt !== null) return m
  return onTrip(t) && !t.doorZone ? { ...m, openedAt: t.ts } : m
}
