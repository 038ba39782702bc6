// Register-map codec: pure functions driven by a profile. decode(profile, encode(profile, x)) = x
// for every value the map can represent (tested as a property).
import type { Area, Point, PointRef, Profile } from './profile.ts'
import { registersOf } from './profile.ts'

/** Values by protocol (0-based) address; undefined = not read. */
export interface RegisterImage {
  coil: (boolean | undefined)[]
  discrete: (boolean | undefined)[]
  holding: (number | undefined)[]
  input: (number | undefined)[]
}
export type PointValue = boolean | number | string | null

export const emptyImage = (): RegisterImage => ({ coil: [], discrete: [], holding: [], input: [] })

/** Protocol address (0-based) of a point or reference. */
export const protocolAddress = (profile: Profile, p: { address: number }): number => p.address - profile.addressBase

const WORDS: Record<string, [number, number, number, number]> = {
  // byte positions (0 = A, most significant) in r0.hi, r0.lo, r1.hi, r1.lo
  ABCD: [0, 1, 2, 3], CDAB: [2, 3, 0, 1], BADC: [1, 0, 3, 2], DCBA: [3, 2, 1, 0],
}
const scratch = new DataView(new ArrayBuffer(4))

function regsToBytes32(r0: number, r1: number, order: string): void {
  const pos = WORDS[order] ?? WORDS.ABCD!
  scratch.setUint8(pos[0], r0 >> 8)
  scratch.setUint8(pos[1], r0 & 0xff)
  scratch.setUint8(pos[2], r1 >> 8)
  scratch.setUint8(pos[3], r1 & 0xff)
}
function bytes32ToRegs(order: string): [number, number] {
  const pos = WORDS[order] ?? WORDS.ABCD!
  const b = (i: number) => scratch.getUint8(i)
  return [(b(pos[0]) << 8) | b(pos[1]), (b(pos[2]) << 8) | b(pos[3])]
}
const swap16 = (r: number): number => ((r & 0xff) << 8) | (r >> 8)

function readRef(profile: Profile, image: RegisterImage, ref: PointRef): boolean | undefined {
  const addr = protocolAddress(profile, ref)
  if (ref.area === 'coil' || ref.area === 'discrete') return image[ref.area][addr]
  const reg = image[ref.area][addr]
  return reg === undefined ? undefined : ((reg >> (ref.bit ?? 0)) & 1) === 1
}

/** The raw integer (or string) a point holds, before enum/scale; undefined when not all read. */
function rawOf(profile: Profile, image: RegisterImage, p: Point): number | boolean | string | undefined {
  const addr = protocolAddress(profile, p)
  if (p.area === 'coil' || p.area === 'discrete') return image[p.area][addr]
  const regs = image[p.area]
  const n = registersOf(p)
  for (let i = 0; i < n; i++) if (regs[addr + i] === undefined) return undefined
  const r0 = regs[addr]!
  switch (p.type) {
    case 'bool':
    case 'bit': return ((r0 >> (p.bit ?? 0)) & 1) === 1
    case 'bits': return (r0 >> (p.bit ?? 0)) & ((1 << (p.width ?? 1)) - 1)
    case 'u16': return p.order === 'BA' ? swap16(r0) : r0
    case 'i16': { const v = p.order === 'BA' ? swap16(r0) : r0; return v >= 0x8000 ? v - 0x10000 : v }
    case 'u32': regsToBytes32(r0, regs[addr + 1]!, p.order ?? 'ABCD'); return scratch.getUint32(0)
    case 'i32': regsToBytes32(r0, regs[addr + 1]!, p.order ?? 'ABCD'); return scratch.getInt32(0)
    case 'f32': regsToBytes32(r0, regs[addr + 1]!, p.order ?? 'ABCD'); return scratch.getFloat32(0)
    case 'string': {
      let s = ''
      for (let i = 0; i < n; i++) {
        const r = p.order === 'BA' ? swap16(regs[addr + i]!) : regs[addr + i]!
        s += String.fromCharCode(r >> 8, r & 0xff)
      }
      return s.replace(/[\0 ]+$/, '')
    }
  }
}

export function decodePoint(profile: Profile, image: RegisterImage, p: Point): PointValue | undefined {
  if (p.validIf) {
    const valid = readRef(profile, image, p.validIf)
    if (valid === undefined) return undefined
    if (!valid) return null
  }
  const raw = rawOf(profile, image, p)
  if (raw === undefined) return undefined
  if (typeof raw === 'boolean') return p.invert ? !raw : raw
  if (typeof raw === 'string') return raw
  if (p.nullValue !== undefined && raw === p.nullValue) return null
  if (p.enum) return p.enum[String(raw)] ?? 'unknown'
  const v = raw * (p.scale ?? 1) + (p.offset ?? 0)
  if (p.scale === undefined && p.offset === undefined) return v
  // Scaling by 0.001 etc. leaves binary noise; round an integer to the resolution the scale
  // implies, a float to the 7 significant digits a float32 holds (its scale is no resolution).
  return p.type === 'f32' ? Number(v.toPrecision(7)) : roundTo(v, p.scale ?? 1)
}

function roundTo(v: number, step: number): number {
  const decimals = Math.max(0, Math.min(12, Math.ceil(-Math.log10(Math.abs(step)) + 1e-9)))
  return Number(v.toFixed(decimals))
}

/** Every point of the profile that could be decoded from the image, by name. */
export function decode(profile: Profile, image: RegisterImage): Record<string, PointValue> {
  const out: Record<string, PointValue> = {}
  for (const name in profile.points) {
    const v = decodePoint(profile, image, profile.points[name]!)
    if (v !== undefined) out[name] = v
  }
  return out
}

function writeRef(profile: Profile, image: RegisterImage, ref: PointRef, on: boolean): void {
  const addr = protocolAddress(profile, ref)
  if (ref.area === 'coil' || ref.area === 'discrete') { image[ref.area][addr] = on; return }
  setBits(image[ref.area], addr, ref.bit ?? 0, 1, on ? 1 : 0)
}
function setBits(regs: (number | undefined)[], addr: number, bit: number, width: number, value: number): void {
  const mask = ((1 << width) - 1) << bit
  regs[addr] = ((regs[addr] ?? 0) & ~mask) | ((value << bit) & mask)
}

export class EncodeError extends Error {
  readonly code = 'LW_ERR_ENCODE'
  constructor(message: string, readonly point: string) { super(`${point}: ${message}`) }
}

function rawFor(name: string, p: Point, value: PointValue): number | boolean | string {
  if (value === null) {
    if (p.nullValue === undefined) throw new EncodeError('null is not representable (no nullValue)', name)
    return p.nullValue
  }
  if (typeof value === 'boolean') return p.invert ? !value : value
  if (p.enum && typeof value === 'string') {
    for (const code in p.enum) if (p.enum[code] === value) return Number(code)
    throw new EncodeError(`"${value}" is not in the enum`, name)
  }
  if (typeof value === 'string') return value
  if (p.type === 'f32') return (value - (p.offset ?? 0)) / (p.scale ?? 1)
  return Math.round((value - (p.offset ?? 0)) / (p.scale ?? 1))
}

export function encodePoint(profile: Profile, image: RegisterImage, name: string, value: PointValue): void {
  const p = profile.points[name]
  if (!p) throw new EncodeError('no such point', name)
  if (p.validIf) {
    writeRef(profile, image, p.validIf, value !== null)
    if (value === null) return
  }
  const raw = rawFor(name, p, value)
  const addr = protocolAddress(profile, p)
  if (p.area === 'coil' || p.area === 'discrete') { image[p.area][addr] = raw === true; return }
  const regs = image[p.area]
  const int = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw
  switch (p.type) {
    case 'bool':
    case 'bit': setBits(regs, addr, p.bit ?? 0, 1, int as number); return
    case 'bits': setBits(regs, addr, p.bit ?? 0, p.width ?? 1, int as number); return
    case 'u16': case 'i16': {
      const r = (int as number) & 0xffff
      regs[addr] = p.order === 'BA' ? swap16(r) : r
      return
    }
    case 'u32': case 'i32': case 'f32': {
      if (p.type === 'f32') scratch.setFloat32(0, int as number)
      else if (p.type === 'u32') scratch.setUint32(0, int as number)
      else scratch.setInt32(0, int as number)
      const [r0, r1] = bytes32ToRegs(p.order ?? 'ABCD')
      regs[addr] = r0
      regs[addr + 1] = r1
      return
    }
    case 'string': {
      const s = String(int)
      for (let i = 0; i < (p.length ?? 1); i++) {
        const r = ((s.charCodeAt(2 * i) || 0) << 8) | (s.charCodeAt(2 * i + 1) || 0)
        regs[addr + i] = p.order === 'BA' ? swap16(r) : r
      }
    }
  }
}

/** Encodes every named value the profile maps; values without a point are ignored. */
export function encode(profile: Profile, values: Record<string, unknown>, image: RegisterImage = emptyImage()): RegisterImage {
  for (const name in profile.points) {
    if (name in values) encodePoint(profile, image, name, values[name] as PointValue)
  }
  return image
}

/** The highest protocol address + 1 used in each area (for sizing a served map). */
export function areaSizes(profile: Profile): Record<Area, number> {
  const size: Record<Area, number> = { coil: 0, discrete: 0, holding: 0, input: 0 }
  for (const p of Object.values(profile.points)) {
    const end = protocolAddress(profile, p) + registersOf(p)
    if (end > size[p.area]) size[p.area] = end
    if (p.validIf) {
      const ve = protocolAddress(profile, p.validIf) + 1
      if (ve > size[p.validIf.area]) size[p.validIf.area] = ve
    }
  }
  return size
}
