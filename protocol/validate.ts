// Validators compiled from the TypeBox schemas. Every problem comes back as { path, message }.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { TSchema, Static } from '@sinclair/typebox'
import { PAYLOAD_SCHEMAS, type PayloadKind } from './schemas.ts'
import { ProfileSchema, type Area, type Profile, isBitArea, registersOf } from './profile.ts'

export interface Problem { path: string; message: string }
export type Validated<T> = { ok: true; value: T } | { ok: false; problems: Problem[] }

const ajv = new Ajv({ allErrors: true, strict: false })

function toProblem(e: ErrorObject): Problem {
  let path = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : ''
  let message = e.message ?? 'invalid'
  if (e.keyword === 'required') {
    path = path ? `${path}.${e.params.missingProperty}` : String(e.params.missingProperty)
    message = 'is required'
  }
  if (e.keyword === 'additionalProperties') {
    path = path ? `${path}.${e.params.additionalProperty}` : String(e.params.additionalProperty)
    message = 'unknown property'
  }
  if (e.keyword === 'enum' || e.keyword === 'const') message = `${message}: ${JSON.stringify(e.params.allowedValues ?? e.params.allowedValue)}`
  return { path: path || '(root)', message }
}

/**
 * A union of literals fails once per literal plus once for anyOf; keep the anyOf line and name
 * the allowed values instead.
 */
function collapse(errors: ErrorObject[]): Problem[] {
  const out: Problem[] = []
  const seen = new Set<string>()
  const literalsAt = new Map<string, unknown[]>()
  for (const e of errors) if (e.keyword === 'const') {
    const list = literalsAt.get(e.instancePath) ?? []
    list.push(e.params.allowedValue)
    literalsAt.set(e.instancePath, list)
  }
  for (const e of errors) {
    if (e.keyword === 'const' && literalsAt.get(e.instancePath)!.length > 1) continue
    let p = toProblem(e)
    if (e.keyword === 'anyOf') {
      const lits = literalsAt.get(e.instancePath)
      if (lits && lits.length > 1) p = { path: p.path, message: `must be one of ${lits.map((l) => JSON.stringify(l)).join(', ')}` }
      else if (errors.some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== 'anyOf')) continue
    }
    const k = `${p.path}\0${p.message}`
    if (!seen.has(k)) { seen.add(k); out.push(p) }
  }
  return out
}

export function compile<S extends TSchema>(schema: S): (data: unknown) => Validated<Static<S>> {
  const fn: ValidateFunction = ajv.compile(schema)
  return (data) => (fn(data) ? { ok: true, value: data as Static<S> } : { ok: false, problems: collapse(fn.errors ?? []) })
}

export const validators = {
  telemetry: compile(PAYLOAD_SCHEMAS.telemetry),
  availability: compile(PAYLOAD_SCHEMAS.availability),
  status: compile(PAYLOAD_SCHEMAS.status),
  alarm: compile(PAYLOAD_SCHEMAS.alarm),
  incident: compile(PAYLOAD_SCHEMAS.incident),
} satisfies Record<PayloadKind, unknown>

export const validateTelemetry = validators.telemetry
export const validateAvailability = validators.availability
export const validateGatewayStatus = validators.status
export const validateAlarmEvent = validators.alarm

const profileShape = compile(ProfileSchema)

/** Schema plus the rules a schema cannot say (types that fit their area, bits within a register). */
export function validateProfile(data: unknown): Validated<Profile> {
  const shaped = profileShape(data)
  if (!shaped.ok) return shaped
  const problems: Problem[] = []
  for (const [name, p] of Object.entries(shaped.value.points)) {
    const at = (k: string) => `points.${name}.${k}`
    const bitArea = isBitArea(p.area)
    if (bitArea && p.type !== 'bool') problems.push({ path: at('type'), message: `a ${p.area} holds only bool, not ${p.type}` })
    if (!bitArea && p.type === 'bool') problems.push({ path: at('type'), message: 'bool needs a coil or discrete input; use bit for a register bit' })
    if ((p.type === 'bit' || p.type === 'bits') && p.bit === undefined) problems.push({ path: at('bit'), message: 'required for bit/bits' })
    if (p.type === 'bits' && p.width === undefined) problems.push({ path: at('width'), message: 'required for bits' })
    if (p.type === 'bits' && (p.bit ?? 0) + (p.width ?? 1) > 16) problems.push({ path: at('width'), message: 'bit + width exceeds 16' })
    if (p.type === 'string' && p.length === undefined) problems.push({ path: at('length'), message: 'required for string' })
    const wide = p.type === 'u32' || p.type === 'i32' || p.type === 'f32'
    if (p.order && wide !== (p.order.length === 4)) problems.push({ path: at('order'), message: `${p.order} does not fit ${p.type}` })
    if (p.address - shaped.value.addressBase < 0) problems.push({ path: at('address'), message: `below addressBase ${shaped.value.addressBase}` })
    const modicon = modiconHint(p.area, p.address)
    if (modicon) problems.push({ path: at('address'), message: modicon })
    else if (p.address - shaped.value.addressBase + registersOf(p) > 65536) problems.push({ path: at('address'), message: 'runs past the last Modbus address (65535)' })
    if (p.sign && !SIGNED.has(p.type)) problems.push({ path: at('sign'), message: `a ${p.type} is never negative: sign needs i16, i32 or f32` })
  }
  return problems.length ? { ok: false, problems } : shaped
}

const SIGNED = new Set(['i16', 'i32', 'f32'])
// Modicon numbering: 4xxxx holding, 3xxxx input, 1xxxx discrete input (40001 = holding 0). The
// address is valid Modbus, so a map copied from such a manual would load and then read the wrong
// registers (or be refused) at run time.
const MODICON: Partial<Record<Area, number>> = { holding: 4, input: 3, discrete: 1 }

function modiconHint(area: Area, address: number): string | undefined {
  const digit = MODICON[area]
  if (digit === undefined || address <= digit * 10_000 || address >= (digit + 1) * 10_000) return undefined
  const offset = address - digit * 10_000 - 1
  return `${address} looks like Modicon ${digit}xxxx numbering: write ${offset} with addressBase 0 (or ${offset + 1} with addressBase 1)`
}

/**
 * Problems as `<path>: <message>`, one per line unless `separator` says otherwise; `where` (a file)
 * prefixes each, `indent` sets them under a heading line.
 */
export function formatProblems(problems: readonly Problem[], opts: { where?: string; indent?: string; separator?: string } = {}): string {
  const { where, indent = '', separator = '\n' } = opts
  return problems.map((p) => `${indent}${where ? `${where}: ` : ''}${p.path}: ${p.message}`).join(separator)
}
