// 运行中安全回路断路, GB/T fault code 01 (docs/domain.md#fault-catalogue): the safety chain opens during a trip; raised
// at once, cleared when the chain closes again. An open chain drops the brake, so the sample
// that shows it open often shows the car already stopped: whether it opened during a trip is
// decided when it opens, from the trip seen just before, and remembered while it stays open.
import { Type, type Static } from '@sinclair/typebox'
import type { Mode, Telemetry } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { F } from './runtime/link.ts'
import { onTrip } from './runtime/stop.ts'

const configSchema = Type.Object({
  tripGraceMs: Type.Integer({
    minimum: 0, default: 2_000,
    description: 'a chain found open this soon after the last sample on a trip opened during it (the stop and the open chain may be read a poll apart)',
  }),
  staleAfterMs: staleSetting(),
  // the car-top and pit stop switches are in the chain: a technician opens it on purpose; an
  // earthquake switch may open it by design; out of service nobody rides
  modes: modesSetting(['normal', 'fire', 'fireman', 'emergency_power'], 'service modes in which the chain opening during a trip is an alarm'),
}, { additionalProperties: false })
type Config = Static<typeof configSchema>

interface TripSample { readonly at: number; readonly speed: number | null; readonly direction: Telemetry['direction']; readonly position: number | null }

interface Memo {
  /** the last live sample on a trip */
  readonly trip: TripSample | null
  /** the chain is open: since when, in what mode, and the trip it interrupted (null = not on a trip) */
  readonly open: { readonly at: number; readonly mode: Mode; readonly trip: TripSample | null } | null
}

const sample = (t: Telemetry): TripSample => ({ at: t.ts, speed: t.speed, direction: t.direction, position: t.position })

// The last sample on a trip before `t` is the previous one when that was on a trip: samples of a
// trip that change neither the trip nor the chain are not stepped (dispatch), so the memo's trip
// is brought up to date from the previous sample when the trip ends or the chain opens.
function next(m: Memo, t: Telemetry, prev: Telemetry | null, cfg: Config): Memo {
  const before = prev !== null && onTrip(prev) ? sample(prev) : m.trip
  const trip = onTrip(t) ? sample(t) : before
  if (t.safetyCircuit) return { trip, open: null }
  if (m.open) return { trip, open: m.open }
  const interrupted = before !== null && t.ts - before.at <= cfg.tripGraceMs ? before : null
  return { trip, open: { at: t.ts, mode: t.mode, trip: onTrip(t) ? sample(t) : interrupted } }
}

export const safetyCircuitOpen = conditionDetector({
  id: 'safety-circuit-open',
  type: 'safety_circuit_open',
  configSchema,
  reads: F.trip | F.safetyCircuit,
  memo: { initial: { trip: null, open: null } as Memo, next },
  holds: (t, memo, cfg) => {
    const open = memo.open
    // an opening in inspection is the technician's stop switch, even if the mode changes after
    if (!open?.trip || !cfg.modes.includes(open.mode)) return null
    return {
      holdMs: 0,
      since: open.at,
      evidence: {
        openedAt: open.at, tripSpeed: open.trip.speed, direction: open.trip.direction, tripPosition: open.trip.position,
        position: t.position, moving: t.moving, doorZone: t.doorZone, upLimit: t.upLimit, downLimit: t.downLimit, faultCode: t.faultCode,
      },
    }
  },
  clearedEvidence: (t) => ({ safetyCircuit: t.safetyCircuit, floor: t.floor, mode: t.mode }),
})
