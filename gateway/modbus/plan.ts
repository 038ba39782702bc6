// Read plan: a profile's points (and their validIf references) coalesced per area into the fewest
// Modbus reads. Pure: the reader and the commissioning CLI both use it.
import { AREAS, isBitArea, protocolAddress, registersOf, type Area, type Profile } from '../../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'

/** One contiguous span a point needs: its value, or the bit its validIf refers to. */
export interface Span {
  point: string
  role: 'value' | 'validIf'
  /** protocol (0-based) address */
  address: number
  /** registers, or bits in a bit area */
  count: number
}

export interface Block {
  area: Area
  /** protocol (0-based) address of the first register or bit read */
  address: number
  count: number
  spans: Span[]
}

export interface PlanOptions {
  /** unused registers a block may read across rather than start another frame */
  registerGap: number
  /** the same for coils and discrete inputs; bits are packed 8 to a byte, so gaps cost less */
  bitGap: number
  /** Application Protocol V1.1b3 §6.3/§6.4: at most 125 registers per read */
  maxRegisters: number
  /** §6.1/§6.2: at most 2000 bits per read */
  maxBits: number
}

export const DEFAULT_PLAN: Readonly<PlanOptions> = Object.freeze({ registerGap: 8, bitGap: 32, maxRegisters: 125, maxBits: 2000 })

const ADDRESS_SPACE = 0x10000

export function readPlan(profile: Profile, options: Partial<PlanOptions> = {}): Block[] {
  const opts = { ...DEFAULT_PLAN, ...options }
  const byArea = new Map<Area, Span[]>(AREAS.map((a) => [a, []]))
  const add = (area: Area, span: Span): void => {
    if (span.address < 0 || span.address + span.count > ADDRESS_SPACE) {
      throw new GatewayError(GatewayErrorCode.Profile, 'point address outside the Modbus address space', {
        profile: profile.name, point: span.point, area, address: span.address, count: span.count,
      })
    }
    byArea.get(area)!.push(span)
  }
  for (const [name, p] of Object.entries(profile.points)) {
    add(p.area, { point: name, role: 'value', address: protocolAddress(profile, p), count: isBitArea(p.area) ? 1 : registersOf(p) })
    if (p.validIf) add(p.validIf.area, { point: name, role: 'validIf', address: protocolAddress(profile, p.validIf), count: 1 })
  }
  const blocks: Block[] = []
  for (const [area, spans] of byArea) {
    const bits = isBitArea(area)
    blocks.push(...coalesce(area, spans, bits ? opts.bitGap : opts.registerGap, bits ? opts.maxBits : opts.maxRegisters))
  }
  return blocks
}

// Greedy merge in address order: a span joins the open block while the gap and the size limit allow.
function coalesce(area: Area, spans: Span[], maxGap: number, maxCount: number): Block[] {
  const sorted = [...spans].sort((a, b) => a.address - b.address || b.count - a.count)
  const out: Block[] = []
  let cur: Block | undefined
  for (const s of sorted) {
    const end = s.address + s.count
    if (cur) {
      const curEnd = cur.address + cur.count
      const newEnd = Math.max(curEnd, end)
      if (s.address - curEnd <= maxGap && newEnd - cur.address <= maxCount) {
        cur.count = newEnd - cur.address
        cur.spans.push(s)
        continue
      }
    }
    if (s.count > maxCount) {
      throw new GatewayError(GatewayErrorCode.Profile, 'point is longer than one Modbus read', { point: s.point, area, count: s.count })
    }
    cur = { area, address: s.address, count: s.count, spans: [s] }
    out.push(cur)
  }
  return out
}

/** Distinct address ranges of a block, each with every span that needs it (for per-point reads). */
export function distinctSpans(block: Block): { address: number; count: number; spans: Span[] }[] {
  const ranges = new Map<string, { address: number; count: number; spans: Span[] }>()
  for (const s of block.spans) {
    const key = `${s.address}+${s.count}`
    const r = ranges.get(key)
    if (r) r.spans.push(s)
    else ranges.set(key, { address: s.address, count: s.count, spans: [s] })
  }
  return [...ranges.values()]
}

export const blockKey = (b: Pick<Block, 'area' | 'address' | 'count'>): string => `${b.area}:${b.address}+${b.count}`
