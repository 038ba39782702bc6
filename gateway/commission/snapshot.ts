// One probe snapshot: every point of a profile beside its raw bits/registers, what changed since
// the previous snapshot, and the error a point's read ended in. Pure.
import {
  decodePoint, protocolAddress, registersOf, type Area, type Point, type PointValue, type Profile, type RegisterImage,
} from '../../protocol/index.ts'
import { GatewayErrorCode, type GatewayError } from '../errors.ts'

export interface PointFailure { readonly point: string; readonly err: GatewayError }

export interface ErrorInfo {
  readonly code: string
  readonly message: string
  readonly exceptionCode?: number
  /** short text for a table cell, e.g. "exception 02 illegal data address" */
  readonly text: string
}

export interface PointRow {
  readonly name: string
  readonly area: Area
  /** as written in the profile (see addressBase) */
  readonly address: number
  readonly protocolAddress: number
  /** registers (or bits) the point spans */
  readonly count: number
  readonly type: Point['type']
  /** register words, or the bit; null when not read */
  readonly raw: readonly number[] | boolean | null
  /** hex words, and the bits the point uses in binary */
  readonly rawText: string
  /** undefined = could not be decoded this time */
  readonly value: PointValue | undefined
  readonly valueText: string
  /** raw or decoded value differs from the previous snapshot */
  readonly changed: boolean
  /** changes seen since the first snapshot */
  readonly changes: number
  readonly error?: ErrorInfo
}

export interface Snapshot {
  readonly ts: number
  readonly rows: readonly PointRow[]
  /** decoded values of the points that could be read */
  readonly values: Readonly<Record<string, PointValue>>
}

// Modbus application protocol v1.1b3, section 7
const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function', 2: 'illegal data address', 3: 'illegal data value', 4: 'server device failure',
  5: 'acknowledge', 6: 'server device busy', 8: 'memory parity error',
  10: 'gateway path unavailable', 11: 'gateway target device failed to respond',
}

export const hex2 = (n: number): string => n.toString(16).toUpperCase().padStart(2, '0')
export const hex4 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`

/** " at holding 101–102" (as the profile writes addresses), " (wire 100–101)" added when that differs. */
function whereText(data: Record<string, unknown>, addressBase: number): string {
  if (typeof data.area !== 'string' || typeof data.address !== 'number') return ''
  const count = typeof data.count === 'number' && data.count > 1 ? data.count : 1
  const span = (first: number) => (count > 1 ? `${first}–${first + count - 1}` : String(first))
  return ` at ${data.area} ${span(data.address + addressBase)}${addressBase ? ` (wire ${span(data.address)})` : ''}`
}

/**
 * With `addressBase` (the profile's) the text names the address the read failed at, as the
 * profile's file shows it; a point's own row, which shows its address, leaves it out.
 */
export function errorInfo(err: GatewayError | Error, addressBase?: number): ErrorInfo {
  const code = 'code' in err && typeof err.code === 'string' ? err.code : 'ERROR'
  const data = 'data' in err ? (err.data as Record<string, unknown>) : {}
  const exceptionCode = typeof data.exceptionCode === 'number' ? data.exceptionCode : undefined
  let text: string
  if (code === GatewayErrorCode.ModbusException && exceptionCode !== undefined) {
    text = `exception ${hex2(exceptionCode)} ${EXCEPTIONS[exceptionCode] ?? 'unknown'}`
  } else if (code === GatewayErrorCode.ModbusTimeout) text = 'timeout'
  else if (code === GatewayErrorCode.LinkDown) text = 'link down'
  else if (code === GatewayErrorCode.ModbusFrame) text = 'bad frame'
  else text = err.message
  if (addressBase !== undefined) text += whereText(data, addressBase)
  return { code, message: err.message, ...(exceptionCode !== undefined ? { exceptionCode } : {}), text }
}

function rawOf(profile: Profile, image: RegisterImage, p: Point): number[] | boolean | null {
  const addr = protocolAddress(profile, p)
  if (p.area === 'coil' || p.area === 'discrete') return image[p.area][addr] ?? null
  const words: number[] = []
  for (let i = 0; i < registersOf(p); i++) {
    const w = image[p.area][addr + i]
    if (w === undefined) return null
    words.push(w)
  }
  return words
}

function rawText(p: Point, raw: number[] | boolean | null): string {
  if (raw === null) return '—'
  if (typeof raw === 'boolean') return raw ? '1' : '0'
  const words = raw.map(hex4).join(' ')
  if (p.type === 'bit' || p.type === 'bool') return `${words} b${p.bit ?? 0}=${((raw[0]! >> (p.bit ?? 0)) & 1)}`
  if (p.type === 'bits') {
    const lo = p.bit ?? 0
    const w = p.width ?? 1
    const bits = ((raw[0]! >> lo) & ((1 << w) - 1)).toString(2).padStart(w, '0')
    return `${words} ${w === 1 ? `b${lo}` : `b${lo + w - 1}..${lo}`}=${bits}`
  }
  return words
}

export function valueText(v: PointValue | undefined): string {
  if (v === undefined) return '—'
  if (v === null) return 'null'
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v)
}

/** The part of the raw data that is this point's: its bits of a shared status word, else all of it. */
function ownRaw(p: Point, raw: readonly number[] | boolean): string {
  if (typeof raw === 'boolean' || !(p.type === 'bit' || p.type === 'bool' || p.type === 'bits')) return String(raw)
  const width = p.type === 'bits' ? p.width ?? 1 : 1
  return String((raw[0]! >> (p.bit ?? 0)) & ((1 << width) - 1))
}

/** Rows in profile order; `prev` marks what changed (a point that could not be read is not a change). */
export function snapshotOf(
  profile: Profile, image: RegisterImage, failures: readonly PointFailure[], ts: number, prev?: Snapshot,
): Snapshot {
  const failed = new Map(failures.map((f) => [f.point, f.err]))
  const before = new Map(prev?.rows.map((r) => [r.name, r]))
  const values: Record<string, PointValue> = {}
  const rows: PointRow[] = []
  for (const [name, p] of Object.entries(profile.points)) {
    const err = failed.get(name)
    const raw = err ? null : rawOf(profile, image, p)
    const value = err ? undefined : decodePoint(profile, image, p)
    if (value !== undefined) values[name] = value
    const old = before.get(name)
    // another field's bits changing in a shared word is not this point's change
    const changed = old !== undefined && raw !== null && old.raw !== null && (ownRaw(p, old.raw) !== ownRaw(p, raw) || old.value !== value)
    let shown = valueText(value)
    if (value === null && p.validIf) shown = `null (${p.validIf.area} ${p.validIf.address} off)`
    rows.push({
      name, area: p.area, address: p.address, protocolAddress: protocolAddress(profile, p),
      count: p.area === 'coil' || p.area === 'discrete' ? 1 : registersOf(p), type: p.type,
      raw, rawText: rawText(p, raw), value, valueText: shown, changed, changes: (old?.changes ?? 0) + (changed ? 1 : 0),
      ...(err ? { error: errorInfo(err) } : {}),
    })
  }
  return { ts, rows, values }
}

/** "0" or "1–2": the addresses a row spans, as written in the profile. */
export const addressText = (r: Pick<PointRow, 'address' | 'count'>): string =>
  r.count > 1 ? `${r.address}–${r.address + r.count - 1}` : String(r.address)
