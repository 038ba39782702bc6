// From decoded points to the v1 controller state. Profiles that map every field (liftwatch-ref)
// pass straight through; retrofit I/O profiles give raw signals the gateway turns into fields.
import { ControllerStateSchema, type ControllerState, type DoorState, type PointValue, type Profile, type SpeedSign } from '../protocol/index.ts'

export interface Landing { label: string; height: number }

type Points = Readonly<Record<string, PointValue>>

// What deriveState reads besides the telemetry fields themselves: retrofit contact signals.
export const RAW_SIGNALS = ['doorClosed', 'doorOpenLimit', 'runUp', 'runDown', 'inspection', 'mainsPresent'] as const
export const TELEMETRY_FIELDS = Object.keys(ControllerStateSchema.properties)

/** The profile with only the points telemetry needs: parameters and counters are not polled. */
export function pollingProfile(profile: Profile): Profile {
  const wanted = new Set<string>([...TELEMETRY_FIELDS, ...RAW_SIGNALS])
  return { ...profile, points: Object.fromEntries(Object.entries(profile.points).filter(([name]) => wanted.has(name))) }
}
const bool = (v: PointValue | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined)
const num = (v: PointValue | undefined): number | null | undefined => (typeof v === 'number' || v === null ? v : undefined)
const str = (v: PointValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

// a car creeping slower than this (m/s) from position differences is sensor noise, not a trip
const MOVING_SPEED = 0.03

function nearestLanding(landings: readonly Landing[], position: number): number {
  let best = 0
  for (let i = 1; i < landings.length; i++) {
    if (Math.abs(landings[i]!.height - position) < Math.abs(landings[best]!.height - position)) best = i
  }
  return best
}

/** Door state from door-closed and door-open-limit contacts, using the last state for the travel in between. */
function doorFrom(p: Points, prev: DoorState | undefined): DoorState {
  const closed = bool(p.doorClosed)
  const open = bool(p.doorOpenLimit)
  if (closed === undefined && open === undefined) return 'unknown'
  if (closed) return 'closed'
  if (open) return 'open'
  if (prev === 'closed' || prev === 'opening') return 'opening'
  if (prev === 'open' || prev === 'closing') return 'closing'
  return 'unknown'
}

export interface DeriveContext {
  landings?: readonly Landing[]
  prev?: { state: ControllerState; ts: number }
  /** what a negative speed means; undefined when the profile's speed cannot be negative */
  speedSign?: SpeedSign
}

const SIGNED_TYPES = new Set(['i16', 'i32', 'f32'])

/** How the profile's speed point reads its sign: its `sign`, down-negative when it says none. */
export function speedSignOf(profile: Profile): SpeedSign | undefined {
  const p = profile.points.speed
  return p && SIGNED_TYPES.has(p.type) ? p.sign ?? 'down-negative' : undefined
}

/** The direction a signed speed gives, if any. */
function directionFromSign(speed: number | null | undefined, sign: SpeedSign | undefined): 'up' | 'down' | undefined {
  if (!speed || sign === undefined || sign === 'abs') return undefined
  return (speed < 0) === (sign === 'down-negative') ? 'down' : 'up'
}

export function deriveState(p: Points, ts: number, ctx: DeriveContext = {}): ControllerState {
  const prev = ctx.prev
  const position = num(p.position) ?? null
  const signed = num(p.speed)
  // the contract's speed is a magnitude: the sign is the direction (or nothing, with sign: abs)
  let speed = typeof signed === 'number' ? Math.abs(signed) : signed
  if (speed === undefined) {
    // no speed signal: from the change in position since the last sample
    const dt = prev ? (ts - prev.ts) / 1000 : 0
    speed = position !== null && prev?.state.position != null && dt > 0
      ? Math.round((Math.abs(position - prev.state.position) / dt) * 100) / 100
      : position === null ? null : 0
  }
  const runUp = bool(p.runUp), runDown = bool(p.runDown)
  const moving = bool(p.moving) ?? (runUp || runDown || (speed !== null && speed >= MOVING_SPEED))
  let direction = str(p.direction) as ControllerState['direction'] | undefined
  if (!direction) {
    const bySign = moving ? directionFromSign(signed, ctx.speedSign) : undefined
    if (runUp) direction = 'up'
    else if (runDown) direction = 'down'
    else if (bySign) direction = bySign
    else if (moving && position !== null && prev?.state.position != null && position !== prev.state.position) {
      direction = position > prev.state.position ? 'up' : 'down'
    } else if (moving && prev?.state.moving && prev.state.direction !== 'none') {
      // a trip does not turn round between two samples that read the same position
      direction = prev.state.direction
    } else direction = 'none'
  }
  let floorIndex = num(p.floorIndex) ?? undefined
  let floor = str(p.floor)
  if (floorIndex == null && position !== null && ctx.landings?.length) floorIndex = nearestLanding(ctx.landings, position)
  if (!floor && floorIndex != null) floor = ctx.landings?.[floorIndex]?.label ?? String(floorIndex + 1)
  const inspection = bool(p.inspection)
  const mains = bool(p.mainsPresent)
  return {
    floor: floor || '?',
    floorIndex: floorIndex ?? 0,
    position,
    speed,
    direction,
    moving,
    door: (str(p.door) as DoorState | undefined) ?? doorFrom(p, prev?.state.door),
    doorZone: bool(p.doorZone) ?? false,
    occupied: p.occupied === undefined ? null : bool(p.occupied) ?? null,
    load: num(p.load) ?? null,
    alarmButton: bool(p.alarmButton) ?? false,
    // without a safety-chain signal there is no evidence it opened
    safetyCircuit: bool(p.safetyCircuit) ?? true,
    mode: (str(p.mode) as ControllerState['mode'] | undefined) ?? (inspection ? 'inspection' : 'normal'),
    power: (str(p.power) as ControllerState['power'] | undefined) ?? (mains === false ? 'off' : 'mains'),
    upLimit: bool(p.upLimit) ?? false,
    downLimit: bool(p.downLimit) ?? false,
    faultCode: num(p.faultCode) ?? 0,
  }
}

export interface Deadband { position: number; speed: number; load: number }

/** Whether `next` is worth a message now: any discrete change, or a number past its deadband. */
export function changed(prev: ControllerState, next: ControllerState, band: Deadband): boolean {
  for (const k in next) {
    const key = k as keyof ControllerState
    const a = prev[key], b = next[key]
    if (a === b) continue
    if ((key === 'position' || key === 'speed' || key === 'load') && typeof a === 'number' && typeof b === 'number') {
      // stopping is always news, however small the last speed was
      if (key === 'speed' && (a === 0 || b === 0)) return true
      if (Math.abs(a - b) >= band[key]) return true
      continue
    }
    return true
  }
  return false
}
