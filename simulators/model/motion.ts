// Car kinematics: the trapezoidal trip profile, re-levelling, rope stretch, hunting and drift.
import {
  HUNT_AMPLITUDE, LEVELLING_SPEED, RELEVEL_SPEED, SINK_RATE, UCM_DISTANCE,
} from './constants.ts'

export interface Kinematics {
  readonly position: number
  readonly velocity: number
}

export interface TravelResult extends Kinematics {
  readonly arrived: boolean
}

/**
 * One tick towards `height`: accelerate up to `vmax`, then follow the braking curve so the car
 * stops level at the target whatever dt is. The curve is the discrete one, d = v²/2a + v·dt/2,
 * so each tick sheds about a·dt of speed right to the end (√(2ad) would brake harder there).
 */
export function travelStep(k: Kinematics, height: number, vmax: number, accel: number, dt: number): TravelResult {
  const distance = Math.abs(height - k.position)
  if (distance < 1e-9) return { position: height, velocity: 0, arrived: true }
  const sign = Math.sign(height - k.position)
  const along = k.velocity * sign
  if (along < 0) {
    // moving away from the target (a mode change reversed it): brake to a halt first
    const slower = along + accel * dt
    const velocity = slower >= 0 ? 0 : slower * sign
    return { position: k.position + velocity * dt, velocity, arrived: false }
  }
  const half = (accel * dt) / 2
  const braking = Math.sqrt(half * half + 2 * accel * distance) - half
  const desired = Math.max(LEVELLING_SPEED, Math.min(vmax, braking))
  const speed = Math.min(desired, along + accel * dt)
  if (speed * dt >= distance) return { position: height, velocity: 0, arrived: true }
  return { position: k.position + sign * speed * dt, velocity: sign * speed, arrived: false }
}

/** Runaway trip: the drive hunts around the landing at levelling speed and never settles. */
export function huntStep(k: Kinematics, height: number, dt: number): Kinematics {
  let sign = k.velocity < 0 ? -1 : 1
  if (k.position + sign * LEVELLING_SPEED * dt > height + HUNT_AMPLITUDE) sign = -1
  else if (k.position + sign * LEVELLING_SPEED * dt < height - HUNT_AMPLITUDE) sign = 1
  return { position: k.position + sign * LEVELLING_SPEED * dt, velocity: sign * LEVELLING_SPEED }
}

/** Re-levelling run towards `height`; stops when level to half a millimetre. */
export function relevelStep(position: number, height: number, dt: number): { position: number; done: boolean } {
  const error = height - position
  if (Math.abs(error) <= 0.0005) return { position, done: true }
  const move = Math.sign(error) * Math.min(RELEVEL_SPEED * dt, Math.abs(error))
  return { position: position + move, done: false }
}

/** Rope stretch taken this tick: metres down (negative = up) and what is left. */
export function sinkStep(sink: number, dt: number): { drop: number; sink: number } {
  if (sink === 0) return { drop: 0, sink: 0 }
  const drop = Math.sign(sink) * Math.min(Math.abs(sink), SINK_RATE * dt)
  const rest = sink - drop
  return { drop, sink: Math.abs(rest) < 1e-9 ? 0 : rest }
}

/** Brake fails to hold: drift until the UCMP device arrests the car. */
export function driftStep(position: number, from: number, speed: number, bottom: number, top: number, dt: number): number {
  const next = Math.min(from + UCM_DISTANCE, Math.max(from - UCM_DISTANCE, position + speed * dt))
  return Math.min(top, Math.max(bottom, next))
}
