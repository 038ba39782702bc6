// What a profile means to this gateway, beyond its shape (protocol/validate.ts): every point name
// is one the gateway reads, with a type that yields what deriveState (gateway/telemetry.ts) takes
// from it. A point the gateway cannot use would otherwise load and be silently ignored.
import { DIRECTIONS, DOOR_STATES, MODES, POWER_STATES, type Point, type Problem, type Profile } from '../protocol/index.ts'
import { RAW_SIGNALS, TELEMETRY_FIELDS } from './telemetry.ts'

type Kind = 'bool' | 'number' | 'label' | readonly string[]

const KINDS: Record<string, Kind> = {
  moving: 'bool', doorZone: 'bool', occupied: 'bool', alarmButton: 'bool', safetyCircuit: 'bool', upLimit: 'bool', downLimit: 'bool',
  position: 'number', speed: 'number', load: 'number', floorIndex: 'number', faultCode: 'number',
  floor: 'label', door: DOOR_STATES, direction: DIRECTIONS, mode: MODES, power: POWER_STATES,
  ...Object.fromEntries(RAW_SIGNALS.map((n) => [n, 'bool'])),
}
/** Controller parameters: shown by `liftwatch probe`, read by `liftwatch commission` (landings), never polled. */
export const PARAMETERS = ['landings', 'ratedSpeed', 'mainLanding', 'tripCount'] as const
/** Every point name the gateway knows. */
export const KNOWN_POINTS: readonly string[] = [...TELEMETRY_FIELDS, ...RAW_SIGNALS, ...PARAMETERS]
for (const name of [...TELEMETRY_FIELDS, ...RAW_SIGNALS]) if (!KINDS[name]) throw new Error(`gateway/profile-check.ts: no kind for ${name}`)

export interface ProfileCheck { errors: Problem[]; warnings: Problem[] }

const NUMERIC = new Set(['u16', 'i16', 'u32', 'i32', 'f32', 'bits'])
const SIGNED = new Set(['i16', 'i32', 'f32'])

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = up
    }
  }
  return row[b.length]!
}

/** The known name a misspelt one most likely means: same letters in another case, or ≤ 2 edits away. */
export function nearestKnown(name: string): string | undefined {
  let best: { name: string; d: number } | undefined
  for (const k of KNOWN_POINTS) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : editDistance(k.toLowerCase(), name.toLowerCase())
    if (d <= 2 && d < name.length / 2 && (!best || d < best.d)) best = { name: k, d }
  }
  return best?.name
}

function kindProblem(name: string, p: Point, kind: Kind): Problem | undefined {
  const at = (k: string) => `points.${name}.${k}`
  if (kind === 'bool') {
    if (p.type === 'bool' || p.type === 'bit') return undefined
    return { path: at('type'), message: `${name} is true/false: use bit (a register bit) or bool (a coil or discrete input), not ${p.type}${p.type === 'bits' ? ' (bits decodes to a number, which the gateway ignores)' : ''}` }
  }
  if (kind === 'number') {
    if (p.enum) return { path: at('enum'), message: `${name} is a number: an enum turns it into text, which the gateway ignores` }
    if (!NUMERIC.has(p.type)) return { path: at('type'), message: `${name} is a number: use u16, i16, u32, i32, f32 or bits, not ${p.type}` }
    return undefined
  }
  if (kind === 'label') {
    return p.type === 'string' || p.enum ? undefined : { path: at('type'), message: `${name} is the label shown in the car: use string (or an enum); a landing number is floorIndex` }
  }
  if (p.type === 'string') return undefined
  if (!p.enum) return { path: at('enum'), message: `${name} needs an enum from the controller's codes to ${kind.join(', ')}` }
  const bad = Object.entries(p.enum).filter(([, v]) => !kind.includes(v))
  return bad.length ? { path: at(`enum.${bad[0]![0]}`), message: `"${bad[0]![1]}" is not a ${name}: use one of ${kind.join(', ')}` } : undefined
}

/** Errors stop the profile loading; warnings are logged and shown to the installer. */
export function checkProfile(profile: Profile): ProfileCheck {
  const errors: Problem[] = []
  const warnings: Problem[] = []
  for (const [name, p] of Object.entries(profile.points)) {
    const at = (k: string) => `points.${name}.${k}`
    const kind = KINDS[name]
    if (!kind && !(PARAMETERS as readonly string[]).includes(name)) {
      const near = nearestKnown(name)
      if (near) errors.push({ path: `points.${name}`, message: `not a point name the gateway knows, so it would never be polled: did you mean ${near}?` })
      else warnings.push({ path: `points.${name}`, message: 'not a point name the gateway knows: shown by probe and commission, never polled or published' })
      continue
    }
    const wrong = kind ? kindProblem(name, p, kind) : undefined
    if (wrong) errors.push(wrong)
    if (p.sign && name !== 'speed') errors.push({ path: at('sign'), message: 'only speed has a sign that means a direction' })
    if (name === 'speed' && SIGNED.has(p.type) && !p.sign) {
      warnings.push({ path: at('sign'), message: `speed is ${p.type}, so it may be negative: say what that means (down-negative, up-negative or abs); taken as down-negative` })
    }
    if (p.scale === 1 && !p.offset) warnings.push({ path: at('scale'), message: '1 with no offset has no effect' })
  }
  return { errors, warnings }
}
