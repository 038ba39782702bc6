// 运行异常趋势 (docs/domain.md#fault-catalogue, warning): door opening and closing time, trip time per floor and reopen
// rate drift from the elevator's own learned baseline, sustained beyond 4 MAD. Each metric is
// observed in event time from the telemetry's transitions; the drift score is the median of the
// recent observations against the median and MAD of a learned window (detectors/runtime/baseline.ts).
import { Type, type Static } from '@sinclair/typebox'
import type { DoorState, Telemetry } from '../protocol/index.ts'
import { BaselineWindows, type DriftStats } from './runtime/baseline.ts'
import { modesSetting, staleSetting } from './runtime/condition.ts'
import { elevatorOf, type Elevator, type Machine, type Step } from './runtime/lifecycle.ts'
import { machineDetector } from './runtime/driver.ts'
import { fingerprintOf, isRecord, type Learned } from './runtime/learned.ts'
import type { AlarmSignal, DetectorInput, Dispatch } from './runtime/types.ts'
import { F, type LinkState } from './runtime/link.ts'

const configSchema = Type.Object({
  threshold: Type.Number({ exclusiveMinimum: 0, default: 4, description: 'drift of the recent median from the baseline median, in MADs (× 1.4826)' }),
  minObservations: Type.Integer({ minimum: 1, default: 50, description: 'learned observations of a metric before its baseline counts (at most baselineSize)' }),
  baselineSize: Type.Integer({ minimum: 1, maximum: 1024, default: 64, description: 'learned observations kept per metric (the baseline window)' }),
  recentSize: Type.Integer({ minimum: 1, maximum: 255, default: 9, description: 'latest observations per metric whose median is judged' }),
  sustainedEvaluations: Type.Integer({ minimum: 1, default: 5, description: 'consecutive judgements beyond the threshold before it is an alarm' }),
  sustainMs: Type.Integer({ minimum: 0, default: 3_600_000, description: 'and for at least this long since the first of them' }),
  learnEveryMs: Type.Integer({ minimum: 0, default: 1_800_000, description: 'at most one observation per metric learned this often, so the baseline spans days on a busy car too' }),
  learnBelow: Type.Number({ minimum: 0, default: 2, description: 'a metric learns only while its drift is within this (MADs), so a drift is not learned away' }),
  reopenBlockCycles: Type.Integer({ minimum: 1, default: 20, description: 'door cycles per reopen-rate observation' }),
  minMadDoorMs: Type.Number({ exclusiveMinimum: 0, default: 100, description: 'MAD floor of the door times: half the gateway polling period' }),
  minMadTripPerFloorMs: Type.Number({ exclusiveMinimum: 0, default: 100, description: 'MAD floor of the trip time per floor' }),
  minMadReopenRate: Type.Number({ exclusiveMinimum: 0, default: 0.05, description: 'MAD floor of the reopen rate (reopens per cycle)' }),
  minMadFraction: Type.Number({ minimum: 0, maximum: 1, default: 0.05, description: 'MAD floor as a fraction of the baseline median (storey heights and passengers vary the times)' }),
  staleAfterMs: staleSetting(),
  modes: modesSetting(['normal'], 'service modes the baselines learn and judge in (technicians and fire service move doors and cars as they must)'),
}, { additionalProperties: false })
export type AnomalyConfig = Static<typeof configSchema>

/**
 * The metrics, in their storage order; values are stored as integers of `unit` × `scale`. Trip
 * time per floor is learned per trip length: acceleration and levelling weigh on a one-floor trip
 * far more than on a long one (1 floor ≈ 3.7 s, 7 floors ≈ 2.0 s per floor on the simulated
 * car), so one window over all trips would read a change in the traffic as drift.
 */
export const METRICS = [
  { name: 'doorOpening', unit: 'ms', scale: 1, trips: null },
  { name: 'doorClosing', unit: 'ms', scale: 1, trips: null },
  { name: 'tripPerFloor', unit: 'ms/floor', scale: 1, trips: '1 floor' },
  { name: 'tripPerFloor', unit: 'ms/floor', scale: 1, trips: '2–3 floors' },
  { name: 'tripPerFloor', unit: 'ms/floor', scale: 1, trips: '4+ floors' },
  { name: 'reopenRate', unit: 'reopens/cycle', scale: 1000, trips: null },
] as const
const [OPENING, CLOSING, TRIP, REOPEN] = [0, 1, 2, 5]
const tripMetric = (floors: number) => TRIP + (floors >= 4 ? 2 : floors >= 2 ? 1 : 0)

// per metric in `track`: last score (NaN = not judged), streak of judgements beyond, since, last learned at, flagged
const SCORE = 0
const STREAK = 1
const SINCE = 2
const LEARNED = 3
const FLAGGED = 4
const TRACK = 5

/** The door movement being timed: only full strokes from a rest position count. */
type Move = 0 | 1 | 2
const Move = { None: 0, Opening: 1, Closing: 2 } as const

/**
 * Mutable, one per subscription: this machine sees every telemetry message (200k msg/s through
 * all detectors on one core), so a heartbeat costs a few comparisons and no allocation.
 */
export interface AnomalyState {
  elevator: Elevator | null
  raised: boolean
  /** ts of the last live telemetry */
  lastTs: number | null
  /** an offline report since it: what comes next follows a gap */
  offline: boolean
  door: DoorState | null
  moving: boolean | null
  floorIndex: number
  move: Move
  moveAt: number
  /** ts the trip began and the landing it left; null = not timing a trip */
  tripAt: number | null
  tripFrom: number
  cycles: number
  reopens: number
  readonly windows: BaselineWindows
  readonly track: Float64Array
}

export function anomalyMachine(cfg: AnomalyConfig, raised: boolean): Machine<AnomalyState> {
  const modes = new Set<string>(cfg.modes)
  const minObs = Math.min(cfg.minObservations, cfg.baselineSize)
  const minMad = METRICS.map((m) => m.scale * (m.name === 'reopenRate' ? cfg.minMadReopenRate
    : m.name === 'tripPerFloor' ? cfg.minMadTripPerFloorMs : cfg.minMadDoorMs))

  const fresh = (): AnomalyState => {
    const track = new Float64Array(METRICS.length * TRACK)
    for (let m = 0; m < METRICS.length; m++) {
      track[m * TRACK + SCORE] = NaN
      track[m * TRACK + LEARNED] = -Infinity
    }
    return {
      elevator: null, raised, lastTs: null, offline: false, door: null, moving: null, floorIndex: 0,
      move: Move.None, moveAt: 0, tripAt: null, tripFrom: 0, cycles: 0, reopens: 0,
      windows: new BaselineWindows(METRICS.length, cfg.baselineSize, cfg.recentSize), track,
    }
  }

  const evidence = (m: number, st: DriftStats, s: AnomalyState, ts: number): Record<string, unknown> => {
    const { name, unit, scale, trips } = METRICS[m]!
    const k = m * TRACK
    return {
      metric: name, ...(trips ? { trips } : {}), unit, baselineMedian: st.baselineMedian / scale, mad: st.mad / scale, recentMedian: st.recentMedian / scale,
      score: Math.round(st.score * 100) / 100, threshold: cfg.threshold, baselineCount: st.baselineCount, recentCount: cfg.recentSize,
      evaluations: s.track[k + STREAK], since: s.track[k + STREAK]! > 0 ? s.track[k + SINCE] : null, detectedAt: ts,
      drifting: [...new Set(METRICS.filter((_, j) => s.track[j * TRACK + FLAGGED] === 1).map((x) => x.name))],
    }
  }

  /** One completed observation of metric `m`: learn, judge, and raise or clear. */
  const observe = (s: AnomalyState, m: number, value: number, ts: number): AlarmSignal[] => {
    const tr = s.track
    const k = m * TRACK
    const score = tr[k + SCORE]!
    const calm = Number.isNaN(score) || Math.abs(score) <= cfg.learnBelow
    if (s.windows.push(m, value * METRICS[m]!.scale, calm && ts - tr[k + LEARNED]! >= cfg.learnEveryMs)) tr[k + LEARNED] = ts
    if (s.windows.baselineCount(m) < minObs || s.windows.recentCount(m) < cfg.recentSize) return []
    const st = s.windows.stats(m, minMad[m]!, cfg.minMadFraction)!
    tr[k + SCORE] = st.score
    if (Math.abs(st.score) > cfg.threshold) {
      if (tr[k + STREAK] === 0) tr[k + SINCE] = ts
      tr[k + STREAK] = tr[k + STREAK]! + 1
    } else {
      tr[k + STREAK] = 0
    }
    tr[k + FLAGGED] = tr[k + STREAK]! >= cfg.sustainedEvaluations && ts - tr[k + SINCE]! >= cfg.sustainMs ? 1 : 0
    const any = METRICS.some((_, j) => tr[j * TRACK + FLAGGED] === 1)
    if (!s.elevator || any === s.raised) return []
    s.raised = any
    return [{
      ...s.elevator, type: 'anomaly', state: any ? 'raised' : 'cleared', at: any ? tr[k + SINCE]! : ts,
      evidence: evidence(m, st, s, ts),
    }]
  }

  /** A door transition seen on fresh data in a watched mode. */
  const doorChanged = (s: AnomalyState, from: DoorState | null, to: DoorState, ts: number): AlarmSignal[] => {
    let out: AlarmSignal[] = []
    if (from === 'opening' && to === 'open' && s.move === Move.Opening) out = observe(s, OPENING, ts - s.moveAt, ts)
    if (from === 'closing' && to === 'opening') s.reopens++
    if (from === 'closing' && to === 'closed') {
      if (s.move === Move.Closing) out = observe(s, CLOSING, ts - s.moveAt, ts)
      if (++s.cycles >= cfg.reopenBlockCycles) {
        out = out.concat(observe(s, REOPEN, s.reopens / s.cycles, ts))
        s.cycles = 0
        s.reopens = 0
      }
    }
    // a reopened door's next opening starts part-way: not a full stroke
    s.move = from === 'closed' && to === 'opening' ? Move.Opening : from === 'open' && to === 'closing' ? Move.Closing : Move.None
    s.moveAt = ts
    return out
  }

  const movingChanged = (s: AnomalyState, t: Telemetry, ts: number): AlarmSignal[] => {
    if (t.moving) {
      if (s.moving === false) {
        s.tripAt = ts
        s.tripFrom = s.floorIndex
      }
      return []
    }
    if (s.tripAt === null) return []
    // re-levelling stays at its landing (0 floors); a stop outside the door zone is no normal trip
    const floors = Math.abs(t.floorIndex - s.tripFrom)
    const out = floors >= 1 && t.doorZone ? observe(s, tripMetric(floors), (ts - s.tripAt) / floors, ts) : []
    s.tripAt = null
    return out
  }

  const telemetry = (s: AnomalyState, i: Extract<DetectorInput, { kind: 'telemetry' }>, link: LinkState | undefined): Step<AnomalyState> => {
    const t = i.msg
    // the runtime's link knows the sample before this one even when this machine was not given it
    const lastTs = link ? link.prevAt : s.lastTs
    // a transition after a gap, or outside the watched modes, times nothing
    const ok = !s.offline && lastTs !== null && i.ts - lastTs < cfg.staleAfterMs && modes.has(t.mode)
    if (link) s.floorIndex = link.prev?.floorIndex ?? 0
    s.elevator ??= elevatorOf(i)
    s.lastTs = i.ts
    s.offline = false
    if (!ok) {
      s.move = Move.None
      s.tripAt = null
    }
    let out: AlarmSignal[] | null = null
    if (t.door !== s.door) {
      if (ok) out = doorChanged(s, s.door, t.door, i.ts)
      s.door = t.door
    }
    if (t.moving !== s.moving) {
      if (ok) out = (out ?? []).concat(movingChanged(s, t, i.ts))
      s.moving = t.moving
    }
    s.floorIndex = t.floorIndex
    return out && out.length > 0 ? { state: s, signals: out } : { state: s }
  }

  return {
    // a getter: every subscription starts from its own state
    get initial() { return fresh() },
    learned: anomalyLearned(cfg),
    input(s, i, _now, link) {
      if (i.kind === 'telemetry') return telemetry(s, i, link)
      s.elevator ??= elevatorOf(i)
      if (i.state === 'offline') {
        s.offline = true
        s.move = Move.None
        s.tripAt = null
      }
      return { state: s }
    },
    wake: (s) => ({ state: s }),
  }
}

/** Snapshot format: the windows as stored, the judgement track (null for NaN and −∞), the reopen block. */
interface AnomalySnapshot { windows: number[]; track: (number | null)[]; cycles: number; reopens: number }

/**
 * The baselines survive a restart (runtime/learned.ts) with the judgement under way, so a drift
 * being sustained is neither forgotten nor started again. Dropped when the window sizes, the reopen
 * block or the watched modes change: what was learned would mean something else.
 */
function anomalyLearned(cfg: AnomalyConfig): Learned<AnomalyState> {
  let l = learnedByConfig.get(cfg)
  if (!l) learnedByConfig.set(cfg, (l = learnedFor(cfg)))
  return l
}
// one per configuration, not per elevator
const learnedByConfig = new WeakMap<AnomalyConfig, Learned<AnomalyState>>()

function learnedFor(cfg: AnomalyConfig): Learned<AnomalyState> {
  return {
    version: 1,
    fingerprint: fingerprintOf(cfg, ['baselineSize', 'recentSize', 'reopenBlockCycles', 'modes']),
    snapshot: (s): AnomalySnapshot | null => (s.windows.empty ? null : {
      windows: Array.from(s.windows.data),
      track: Array.from(s.track, (x) => (Number.isFinite(x) ? x : null)),
      cycles: s.cycles, reopens: s.reopens,
    }),
    restore: (s, d) => {
      if (!isRecord(d) || !Array.isArray(d.track) || d.track.length !== s.track.length) return null
      const track = d.track as unknown[]
      if (!track.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x)))) return null
      const { cycles, reopens } = d
      if (!Number.isInteger(cycles) || !Number.isInteger(reopens) || (cycles as number) < 0 || (reopens as number) < 0) return null
      if (!s.windows.load(d.windows)) return null
      for (let j = 0; j < track.length; j++) {
        const x = track[j] as number | null
        // null was NaN (not judged) in SCORE, −∞ (never learned) in LEARNED, and is never stored elsewhere
        s.track[j] = x ?? (j % TRACK === LEARNED ? -Infinity : NaN)
      }
      s.cycles = cycles as number
      s.reopens = reopens as number
      return s
    },
  }
}

// the machine's closures hold no elevator's data (each state is its own): one per configuration
const machines = new WeakMap<AnomalyConfig, [Machine<AnomalyState> | undefined, Machine<AnomalyState> | undefined]>()
function machineFor(cfg: AnomalyConfig, raised: boolean): Machine<AnomalyState> {
  let pair = machines.get(cfg)
  if (!pair) machines.set(cfg, (pair = [undefined, undefined]))
  return (pair[raised ? 1 : 0] ??= anomalyMachine(cfg, raised))
}

const dispatches = new WeakMap<AnomalyConfig, Dispatch>()
function dispatchFor(cfg: AnomalyConfig): Dispatch {
  let d = dispatches.get(cfg)
  // transitions of the door and of motion are what it times; an offline report since the last sample voids the next
  if (!d) dispatches.set(cfg, (d = { reads: F.door | F.moving | F.mode, gapMs: cfg.staleAfterMs, idle: (s: unknown) => !(s as AnomalyState).offline }))
  return d
}

export const anomaly = machineDetector({
  id: 'anomaly',
  types: ['anomaly'],
  configSchema,
  machine: (cfg, ctx) => ({
    machine: machineFor(cfg, ctx.active.includes('anomaly')),
    // its state changes in place, so it cannot fork a copy for replayed history; a trend needs none
    replay: false,
    dispatch: dispatchFor(cfg),
  }),
})
