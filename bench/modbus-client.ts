// Modbus TCP client cost: the gateway's own client (gateway/modbus/tcp-client.ts) against
// modbus-serial's, same run, same server: the simulator's ModbusTcpServer in a child process.
// One connection, sequential FC03 reads (one request in flight, as a link sends them): back to
// back, and paced at about 1000 a second (a 1 ms interval; the gateway bench's link sends 960),
// where every answer wakes an idle process. The figure is this process's CPU time (user +
// system) per request, i.e. the client's cost. A bare node:net client sending a fixed frame
// shows the floor: the socket round trip (and, paced, the interval timer) with no Modbus code.
//   node bin/run-ts.js bench/modbus-client.ts [seconds]   → JSON on stdout
import { once } from 'node:events'
import net from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import ModbusSerial from 'modbus-serial'
import { ModbusTcpClient } from '../gateway/modbus/tcp-client.ts'
import { withServer } from './modbus-tcp.ts'

type Kind = 'ours' | 'modbusSerial' | 'bareSocket'
/** Sends one read and calls back once it is answered (or failed). */
type Issue = (answered: (err?: Error) => void) => void

interface Phase { perSecond: number; cpuUsPerRequest: number }

export interface ModbusClientBench {
  seconds: number
  rounds: number
  /** client CPU µs per request, back to back and paced, best of the rounds (the machine is shared) */
  cpuUsPerRequest: { sequential: Record<Kind, number>; paced: Record<Kind, number> }
  requestsPerSecond: { sequential: Record<Kind, number>; paced: Record<Kind, number> }
  /** modbus-serial ÷ ours, on the CPU figures above */
  ratio: { sequential: number; paced: number }
  perRound: { sequential: Record<Kind, number[]>; paced: Record<Kind, number[]> }
}

const REGISTERS = 32
const KINDS: Kind[] = ['ours', 'modbusSerial', 'bareSocket']
const PACE_MS = 1
// The server's units answer holding register i with i (bench/modbus-tcp.ts benchUnit).
const EXPECTED = Array.from({ length: REGISTERS }, (_, i) => i)
const ModbusRTU = ModbusSerial.default

export async function benchModbusClient(opts: { seconds?: number; rounds?: number } = {}): Promise<ModbusClientBench> {
  const seconds = opts.seconds ?? 3
  const rounds = opts.rounds ?? 2
  const modes = ['sequential', 'paced'] as const
  const runs = { sequential: emptyRuns(), paced: emptyRuns() }
  await withServer('ours', async (port) => {
    // Interleaved, so drift in the machine's load touches every client alike.
    for (let r = 0; r < rounds; r++) {
      for (const mode of modes) {
        for (const kind of KINDS) runs[mode][kind].push(await withClient(kind, port, (issue) => measure(issue, seconds, mode === 'paced')))
      }
    }
  })
  const best = (mode: (typeof modes)[number], pick: (p: Phase) => number, min: boolean) =>
    Object.fromEntries(KINDS.map((k) => [k, (min ? Math.min : Math.max)(...runs[mode][k].map(pick))])) as Record<Kind, number>
  const cpu = { sequential: best('sequential', (p) => p.cpuUsPerRequest, true), paced: best('paced', (p) => p.cpuUsPerRequest, true) }
  const perRound = (mode: (typeof modes)[number]) =>
    Object.fromEntries(KINDS.map((k) => [k, runs[mode][k].map((p) => p.cpuUsPerRequest)])) as Record<Kind, number[]>
  return {
    seconds, rounds,
    cpuUsPerRequest: cpu,
    requestsPerSecond: { sequential: best('sequential', (p) => p.perSecond, false), paced: best('paced', (p) => p.perSecond, false) },
    ratio: { sequential: round(cpu.sequential.modbusSerial / cpu.sequential.ours, 1), paced: round(cpu.paced.modbusSerial / cpu.paced.ours, 1) },
    perRound: { sequential: perRound('sequential'), paced: perRound('paced') },
  }
}

const emptyRuns = (): Record<Kind, Phase[]> => ({ ours: [], modbusSerial: [], bareSocket: [] })

async function withClient<T>(kind: Kind, port: number, run: (issue: Issue) => Promise<T>): Promise<T> {
  const failed = (err: Error): never => { throw err }
  if (kind === 'ours') {
    const client = new ModbusTcpClient({ lost: failed, unmatched: (f) => failed(new Error(`unmatched answer ${JSON.stringify(f)}`)) })
    await client.connect('127.0.0.1', port)
    try {
      return await run((answered) => client.read(1, 'holding', 0, REGISTERS, (reply) => {
        answered(reply.kind === 'data' ? check(reply.data) : new Error(`ours: ${reply.kind}`))
      }))
    } finally {
      await client.close()
    }
  }
  if (kind === 'modbusSerial') {
    // As the gateway used it: callback API, no library timer.
    const client = new ModbusRTU()
    await client.connectTCP('127.0.0.1', { port })
    client.setTimeout(0)
    try {
      return await run((answered) => client.writeFC3(1, 0, REGISTERS, (err, res) => {
        answered(err ? (err instanceof Error ? err : new Error(String(err))) : check(res.data))
      }))
    } finally {
      await new Promise<void>((resolve) => client.destroy(() => resolve()))
    }
  }
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await once(socket, 'connect')
  // MBAP (tid 1, protocol 0, length 6, unit 1) + FC03 from 0; the answer is only counted.
  const request = Buffer.from([0, 1, 0, 0, 0, 6, 1, 0x03, 0, 0, 0, REGISTERS])
  const replyLength = 9 + 2 * REGISTERS
  let got = 0
  let waiting: ((err?: Error) => void) | undefined
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length
    if (got < replyLength) return
    got = 0
    const w = waiting
    waiting = undefined
    w?.()
  })
  try {
    return await run((answered) => { waiting = answered; socket.write(request) })
  } finally {
    socket.destroy()
  }
}

function check(data: number[] | boolean[]): Error | undefined {
  return data.length === REGISTERS && data[0] === EXPECTED[0] && data[REGISTERS - 1] === EXPECTED[REGISTERS - 1] ? undefined : new Error(`wrong answer ${JSON.stringify(data)}`)
}

/**
 * Sequential requests for `seconds`, back to back or one per PACE_MS tick (skipped while one is
 * still out); the first 20 % (at most 0.5 s) warm the JIT and are not counted.
 */
async function measure(issue: Issue, seconds: number, paced: boolean): Promise<Phase> {
  let completed = 0
  let running = true
  let inFlight = false
  let failure: Error | undefined
  let idle: (() => void) | undefined
  const answered = (err?: Error): void => {
    inFlight = false
    if (err) failure ??= err
    else completed++
    if (!running) idle?.()
    else if (!paced && !failure) send()
  }
  const send = (): void => {
    inFlight = true
    issue(answered)
  }
  const ticker = paced ? setInterval(() => { if (!inFlight && !failure) send() }, PACE_MS) : undefined
  if (!paced) send()
  const warmMs = Math.min(500, seconds * 200)
  await delay(warmMs)
  const c0 = completed
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  await delay(seconds * 1000 - warmMs)
  const cpu = process.cpuUsage(cpu0)
  const c1 = completed
  const t1 = performance.now()
  running = false
  clearInterval(ticker)
  if (inFlight) await new Promise<void>((resolve) => { idle = resolve })
  if (failure) throw failure
  return { perSecond: Math.round((c1 - c0) / ((t1 - t0) / 1000)), cpuUsPerRequest: round((cpu.user + cpu.system) / (c1 - c0), 1) }
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry) {
  const seconds = process.argv[2] === undefined ? undefined : Number(process.argv[2])
  console.log(JSON.stringify(await benchModbusClient({ seconds }), null, 2))
}
