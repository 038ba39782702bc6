// The link a probe or commissioning run talks over: built from command-line options with the
// same schema and defaults as the gateway configuration.
import { Value } from '@sinclair/typebox/value'
import { compile, formatProblems } from '../../protocol/index.ts'
import { LinkSchema, type LinkConfig } from '../config.ts'
import type { ModbusLink } from '../modbus/link.ts'

export interface LinkArgs {
  host?: string
  port?: number
  serial?: string
  baud?: number
  parity?: string
  /** RTU frames over a TCP serial server instead of Modbus TCP */
  rtuOverTcp?: boolean
  timeoutMs?: number
}

const validLink = compile(LinkSchema)

/** A complete, checked link configuration, or every problem named by its option. */
export function linkConfigFrom(a: LinkArgs): { config: LinkConfig } | { problems: string[] } {
  const problems: string[] = []
  if (a.host && a.serial) problems.push('--host and --serial: give one link, TCP or serial')
  if (!a.host && !a.serial) problems.push('--host H --port P (Modbus TCP) or --serial DEVICE (RTU) is required')
  if (a.host && a.port === undefined) problems.push('--port: is required with --host')
  if (problems.length) return { problems }
  const raw: Record<string, unknown> = {
    id: 'probe',
    transport: a.serial ? 'rtu' : a.rtuOverTcp ? 'rtu-over-tcp' : 'tcp',
    ...(a.host ? { host: a.host, port: a.port } : { path: a.serial }),
    ...(a.baud !== undefined ? { baudRate: a.baud } : {}),
    ...(a.parity !== undefined ? { parity: a.parity } : {}),
    ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
    // an installer is watching: retry fast after a blip
    reconnect: { minMs: 200, maxMs: 2000 },
  }
  const r = validLink(Value.Default(LinkSchema, raw))
  if (!r.ok) {
    const option: Record<string, string> = { baudRate: '--baud', parity: '--parity', port: '--port', timeoutMs: '--timeout', host: '--host', path: '--serial' }
    return { problems: formatProblems(r.problems.map((p) => ({ path: option[p.path] ?? p.path, message: p.message }))).split('\n') }
  }
  return { config: r.value }
}

export function describeLink(l: LinkConfig): string {
  if (l.transport === 'rtu') return `rtu ${l.path} ${l.baudRate} ${l.dataBits}${l.parity[0]!.toUpperCase()}${l.stopBits}`
  return `${l.transport} ${l.host}:${l.port}`
}

/** Resolves true once the link is connected, false after `timeoutMs`. */
export async function waitConnected(link: ModbusLink, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (!link.connected) {
    if (Date.now() >= until) return false
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return true
}
