// Which unit ids answer on a link: one short read per id. A unit that answers with an exception
// is there (it only refused this read); a Modbus TCP gateway answering 0A/0B on a unit's behalf
// means nobody is behind that id.
import { GatewayError, GatewayErrorCode } from '../errors.ts'
import type { Area } from '../../protocol/index.ts'
import type { ModbusLink } from '../modbus/link.ts'
import { errorInfo } from './snapshot.ts'

// Modbus application protocol v1.1b3 §7: 0A gateway path unavailable, 0B target device failed to respond
const GATEWAY_EXCEPTIONS = new Set([0x0a, 0x0b])

export interface ScanOptions {
  readonly from: number
  readonly to: number
  readonly timeoutMs: number
  /** what to read from each unit (protocol address) */
  readonly area: Area
  readonly address: number
}

export interface Responder {
  readonly unitId: number
  /** answered = data came back; exception = the unit refused this read but is there; garbled = an answer that did not parse */
  readonly status: 'answered' | 'exception' | 'garbled'
  readonly exceptionCode?: number
  readonly detail?: string
  readonly latencyMs: number
}

export interface ScanResult {
  readonly responders: readonly Responder[]
  /** ids a TCP gateway answered 0A/0B for */
  readonly gatewayAnswered: readonly number[]
  readonly scanned: number
}

/** Tries every id in [from, to]; `onUnit` hears each one (for a progress bar). A link that drops mid-scan rejects. */
export async function scanUnits(
  link: ModbusLink, opts: ScanOptions, onUnit?: (unitId: number, found: Responder | undefined) => void, signal?: AbortSignal,
): Promise<ScanResult> {
  const responders: Responder[] = []
  const gatewayAnswered: number[] = []
  let scanned = 0
  for (let unitId = opts.from; unitId <= opts.to; unitId++) {
    if (signal?.aborted) break
    const t0 = Date.now()
    let found: Responder | undefined
    try {
      await link.read(unitId, opts.area, opts.address, 1, opts.timeoutMs)
      found = { unitId, status: 'answered', latencyMs: Date.now() - t0 }
    } catch (err) {
      if (!(err instanceof GatewayError)) throw err
      const latencyMs = Date.now() - t0
      const code = err.data.exceptionCode
      if (err.code === GatewayErrorCode.ModbusException && typeof code === 'number') {
        if (GATEWAY_EXCEPTIONS.has(code)) gatewayAnswered.push(unitId)
        else found = { unitId, status: 'exception', exceptionCode: code, detail: errorInfo(err).text, latencyMs }
      } else if (err.code === GatewayErrorCode.ModbusFrame) {
        found = { unitId, status: 'garbled', detail: err.message, latencyMs }
      } else if (err.code !== GatewayErrorCode.ModbusTimeout) {
        throw err
      }
    }
    scanned++
    if (found) responders.push(found)
    onUnit?.(unitId, found)
  }
  return { responders, gatewayAnswered, scanned }
}
