// Modbus TCP throughput: our ModbusTcpServer against modbus-serial's ServerTCP, same run, same
// client. Each server runs in its own child process so that the load generator here (a raw
// node:net client, one request in flight per connection) does not share a thread with it.
//   node bin/run-ts.js bench/modbus-tcp.ts [seconds]   → JSON on stdout
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { ServerTCP } from 'modbus-serial'
import { ModbusTcpServer } from '../simulators/modbus/tcp-server.ts'
import type { ModbusUnit } from '../simulators/modbus/device.ts'

export type ServerKind = 'ours' | 'serverTcp' | 'echo'

export interface Rates {
  seq: number
  conc50: number
}

export interface ModbusTcpBench {
  seconds: number
  ours: Rates
  serverTcp: Rates
  /** Bare socket echo round trips: the most any server could reach with this client. */
  echo: Rates
  ratioConc50: number
  ratioSeq: number
  /** CPU time (user + system, µs) the server process spent per request: independent of the client. */
  serverCpuUsPerRequest: { ours: Rates; serverTcp: Rates; echo: Rates }
}

interface Phase {
  perSecond: number
  cpuUsPerRequest: number
}

type CpuProbe = () => Promise<number>

const REGISTERS = 32
const CONCURRENCY = 50
// MBAP (tid 0, protocol 0, length 6, unit 1) + FC03 reading REGISTERS holding registers from 0.
const FC03_REQUEST = Buffer.from([0, 0, 0, 0, 0, 6, 1, 0x03, 0, 0, 0, REGISTERS])
const FC03_REPLY_LENGTH = 7 + 2 + 2 * REGISTERS
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))
const SELF = fileURLToPath(import.meta.url)

export async function benchModbusTcp(opts: { seconds?: number } = {}): Promise<ModbusTcpBench> {
  const seconds = opts.seconds ?? 3
  const echo = await withServer('echo', (port, cpu) => phases(port, cpu, 'echo', seconds))
  const ours = await withServer('ours', (port, cpu) => phases(port, cpu, 'ours', seconds))
  const serverTcp = await withServer('serverTcp', (port, cpu) => phases(port, cpu, 'serverTcp', seconds))
  const rate = (p: { seq: Phase; conc50: Phase }): Rates => ({ seq: p.seq.perSecond, conc50: p.conc50.perSecond })
  const cpu = (p: { seq: Phase; conc50: Phase }): Rates => ({ seq: p.seq.cpuUsPerRequest, conc50: p.conc50.cpuUsPerRequest })
  return {
    seconds,
    ours: rate(ours),
    serverTcp: rate(serverTcp),
    echo: rate(echo),
    ratioConc50: round(ours.conc50.perSecond / serverTcp.conc50.perSecond, 1),
    ratioSeq: round(ours.seq.perSecond / serverTcp.seq.perSecond, 1),
    serverCpuUsPerRequest: { ours: cpu(ours), serverTcp: cpu(serverTcp), echo: cpu(echo) },
  }
}

async function phases(port: number, cpu: CpuProbe, kind: ServerKind, seconds: number): Promise<{ seq: Phase; conc50: Phase }> {
  return { seq: await measure(port, cpu, kind, 1, seconds), conc50: await measure(port, cpu, kind, CONCURRENCY, seconds) }
}

export async function withServer<T>(kind: ServerKind, run: (port: number, cpu: CpuProbe) => Promise<T>): Promise<T> {
  const child = fork(RUN_TS, [SELF, '--serve', kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (msg) => resolve((msg as { port: number }).port))
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code} before listening`)))
    })
    // The child answers 'cpu' with its process.cpuUsage(); IPC replies come back in order.
    const cpu: CpuProbe = () =>
      new Promise((resolve) => {
        child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system))
        child.send('cpu')
      })
    return await run(port, cpu)
  } finally {
    await stopChild(child)
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/**
 * Requests per second over `connections` sockets, each with one request in flight, for the
 * phase's last 80 % (the first 20 %, at most 0.5 s, warms the JIT and is not counted).
 */
async function measure(port: number, cpu: CpuProbe, kind: ServerKind, connections: number, seconds: number): Promise<Phase> {
  const replyLength = kind === 'echo' ? FC03_REQUEST.length : FC03_REPLY_LENGTH
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)))
  let completed = 0
  let running = true
  const loops = sockets.map(
    (socket) =>
      new Promise<void>((resolve, reject) => {
        // Reused: with one request in flight, a reply proves the previous write has left.
        const request = Buffer.from(FC03_REQUEST)
        let tid = 0
        let got = 0
        const send = (): void => {
          tid = (tid + 1) & 0xffff
          request.writeUInt16BE(tid, 0)
          socket.write(request)
        }
        socket.on('data', (chunk: Buffer) => {
          if (got === 0 && chunk.length >= 8 && (chunk.readUInt16BE(0) !== tid || (kind !== 'echo' && chunk[7] !== 0x03))) {
            reject(new Error(`${kind}: unexpected reply ${chunk.subarray(0, 9).toString('hex')}`))
            return
          }
          got += chunk.length
          if (got < replyLength) return
          if (got > replyLength) reject(new Error(`${kind}: ${got} bytes for one ${replyLength}-byte reply`))
          got = 0
          completed++
          if (running) send()
          else resolve()
        })
        socket.once('error', reject)
        send()
      }),
  )
  const warmMs = Math.min(500, seconds * 200)
  await delay(warmMs)
  const c0 = completed
  const t0 = performance.now()
  const cpu0 = await cpu()
  await delay(seconds * 1000 - warmMs)
  const c1 = completed
  const t1 = performance.now()
  const cpu1 = await cpu()
  const c2 = completed
  running = false
  await Promise.all(loops).finally(() => sockets.forEach((s) => s.destroy()))
  return { perSecond: Math.round((c1 - c0) / ((t1 - t0) / 1000)), cpuUsPerRequest: round((cpu1 - cpu0) / (c2 - c0), 1) }
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true })
  await once(socket, 'connect')
  return socket
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits

// ---- server side, in the child process ----

function benchUnit(holding: Uint16Array): ModbusUnit {
  return {
    readBits: () => 0x02,
    readRegisters: (_area, address, count) => holding.subarray(address, address + count),
    writeCoils: () => 0x02,
    writeRegisters: () => 0x02,
    wire: () => ({ mode: 'ok' }),
  }
}

async function serve(kind: ServerKind): Promise<number> {
  const holding = Uint16Array.from({ length: 0x10000 }, (_, i) => i)
  if (kind === 'ours') {
    const unit = benchUnit(holding)
    const server = new ModbusTcpServer({
      port: 0,
      resolve: () => unit,
      onError: (err, ctx) => console.error({ err, ctx }),
    })
    return server.start()
  }
  if (kind === 'echo') {
    const server = net.createServer({ noDelay: true }, (s) => s.on('data', (d) => s.write(d)))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return (server.address() as AddressInfo).port
  }
  // modbus-serial turns port 0 into 502 (docs/architecture.md#conventions, rule 13): bind :0, read the port, close, reuse.
  const probe = net.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  const regs = Array.from(holding)
  const server = new ServerTCP(
    {
      getHoldingRegister: (addr: number) => regs[addr] ?? 0,
      getMultipleHoldingRegisters: (addr: number, length: number) => regs.slice(addr, addr + length),
    },
    { host: '127.0.0.1', port },
  )
  server.on('error', (err) => console.error({ event: 'error', err }))
  server.on('socketError', (err) => console.error({ event: 'socketError', err }))
  server.on('serverError', (err) => console.error({ event: 'serverError', err }))
  await once(server, 'initialized')
  return port
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry && process.argv[2] === '--serve') {
  const port = await serve(process.argv[3] as ServerKind)
  // The parent ends us with SIGTERM; losing it (disconnect) must not leave us behind.
  process.once('disconnect', () => process.exit(0))
  process.on('message', (msg) => {
    if (msg === 'cpu') process.send?.(process.cpuUsage())
  })
  process.send?.({ port })
} else if (isEntry) {
  const seconds = process.argv[2] === undefined ? undefined : Number(process.argv[2])
  console.log(JSON.stringify(await benchModbusTcp({ seconds }), null, 2))
}
