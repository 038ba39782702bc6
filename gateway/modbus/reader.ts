// One poll of one unit: every block of the read plan into a register image. A block the unit
// refuses is read point by point, so one bad address costs only its own points.
import { emptyImage, type Area, type Profile, type RegisterImage } from '../../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import { blockKey, distinctSpans, readPlan, type Block } from './plan.ts'

/** What readUnit needs of a link (ModbusLink provides it). */
export interface BlockReader {
  read(unitId: number, area: Area, address: number, count: number, timeoutMs?: number): Promise<number[] | boolean[]>
}

export interface PointError { point: string; area: Area; address: number; err: GatewayError }

export interface UnitReading {
  image: RegisterImage
  /** points that could not be read this poll; absent from the image, so decode() leaves them out */
  pointErrors: PointError[]
  /** frames sent */
  requests: number
}

/** A split block is tried whole again after this many polls (the unit's map may have been fixed). */
export const RETRY_COALESCED_EVERY = 100

// Application Protocol V1.1b3 §7: 01, 02 and 03 refuse this request (function, address, value);
// reading the points one by one may succeed. 04 (device failure), 06 (busy), 0B (gateway target)
// and the rest are about the unit, and splitting would only multiply frames on a shared link.
const REQUEST_EXCEPTIONS = new Set([0x01, 0x02, 0x03])

/** Blocks known to need splitting, per unit: value = polls read split since the last whole try. */
type SplitMemory = Map<number, Map<string, number>>
const memories = new WeakMap<BlockReader, SplitMemory>()

function splitsOf(link: BlockReader, unitId: number): Map<string, number> {
  let byUnit = memories.get(link)
  if (!byUnit) memories.set(link, (byUnit = new Map()))
  let splits = byUnit.get(unitId)
  if (!splits) byUnit.set(unitId, (splits = new Map()))
  return splits
}

/** Blocks of this unit currently read point by point (for diagnostics and tests). */
export function splitBlocks(link: BlockReader, unitId: number): string[] {
  return [...(memories.get(link)?.get(unitId)?.keys() ?? [])]
}

/**
 * Reads every block. Throws on a timeout, a dead link, or when the unit refuses everything (so
 * the poll counts as failed); a refused block otherwise degrades to per-point reads.
 */
export async function readUnit(link: BlockReader, unitId: number, profile: Profile, plan: Block[] = readPlan(profile)): Promise<UnitReading> {
  const out: UnitReading = { image: emptyImage(), pointErrors: [], requests: 0 }
  const splits = splitsOf(link, unitId)
  let anyRead = false
  let firstRefusal: GatewayError | undefined
  for (const block of plan) {
    const key = blockKey(block)
    const splitPolls = splits.get(key)
    if (splitPolls === undefined || splitPolls >= RETRY_COALESCED_EVERY) {
      out.requests++
      try {
        store(out.image, block.area, block.address, await link.read(unitId, block.area, block.address, block.count))
        anyRead = true
        splits.delete(key)
        continue
      } catch (err) {
        if (!isRequestRefusal(err)) throw err
        firstRefusal ??= err
      }
      splits.set(key, 0)
    } else {
      splits.set(key, splitPolls + 1)
    }
    const ok = await readSplit(link, unitId, block, out)
    anyRead ||= ok > 0
    firstRefusal ??= out.pointErrors[0]?.err
    // Splitting that read nothing gains nothing: next poll tries the block whole again.
    if (ok === 0) splits.delete(key)
  }
  if (!anyRead && firstRefusal) throw firstRefusal
  return out
}

/** Reads each distinct span of the block on its own; returns how many succeeded. */
async function readSplit(link: BlockReader, unitId: number, block: Block, out: UnitReading): Promise<number> {
  let ok = 0
  for (const range of distinctSpans(block)) {
    out.requests++
    try {
      store(out.image, block.area, range.address, await link.read(unitId, block.area, range.address, range.count))
      ok++
    } catch (err) {
      if (!isRequestRefusal(err)) throw err
      for (const s of range.spans) out.pointErrors.push({ point: s.point, area: block.area, address: s.address, err })
    }
  }
  return ok
}

const isRequestRefusal = (err: unknown): err is GatewayError =>
  err instanceof GatewayError && err.code === GatewayErrorCode.ModbusException && REQUEST_EXCEPTIONS.has(Number(err.data.exceptionCode))

function store(image: RegisterImage, area: Area, address: number, values: number[] | boolean[]): void {
  const target = image[area] as (number | boolean | undefined)[]
  for (let i = 0; i < values.length; i++) target[address + i] = values[i]
}
