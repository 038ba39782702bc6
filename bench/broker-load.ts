// The MQTT load of bench/broker.ts, in a child process of its own (forked through bin/run-ts.js)
// so that it never shares a thread with the broker under test. Two roles, driven over IPC:
//   publishers: one connection per gateway, authenticated as that gateway, publishing valid v1
//     telemetry for its elevators round robin (seq +1 per elevator, ts = now) with QoS 1, at most
//     `inflight` unacknowledged per connection, as fast as PUBACKs come back; on request it turns
//     elevators into entrapments (stopped outside the door zone, door closed, occupied) and says
//     the ts of each one's first trapped sample.
//     Paced instead (`pace`): a fixed msg/s spread evenly over the connections and over time (each
//     connection its share, at its own phase, on a timer every `tickMs`); a connection that has
//     `maxInflight` unacknowledged skips what falls due meanwhile (counted: `skipped`), so the rate
//     offered is never made up later in a burst. `inject` traps elevators one at a time, `trap`
//     many at the same instant.
//   subscriber: one QoS 1 subscription, every PUBLISH counted and acknowledged.
// Requests are { id, cmd, ... }; every reply carries the request's id.
import type { Socket } from 'node:net'
import { pathToFileURL } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { connectMqtt, pubackPacket, subscribePacket, topicBytes, writePublish, type PacketReader } from './mqtt-wire.ts'

export interface GatewaySpec { username: string; password: string; region: string; elevators: string[] }
export interface InjectSpec { everyMs: number; startAfterMs: number; stopAfterMs: number }
export interface Injected { elevatorId: string; gatewayId: string; injectedAt: number; firstTrappedTs: number | null }
export interface PaceSpec { msgPerSecond: number; tickMs?: number; maxInflight?: number }
export interface PubackFigures { p50: number; p99: number; max: number; count: number }

export type LoadRequest =
  | { cmd: 'publishers'; port: number; gateways: GatewaySpec[]; inflight: number }
  | { cmd: 'subscriber'; port: number; filter: string }
  | { cmd: 'go'; inject?: InjectSpec; pace?: PaceSpec }
  /** from now on paced (or, without msgPerSecond, as fast as PUBACKs come back) */
  | { cmd: 'pace'; pace?: PaceSpec }
  /** no more publishes; answers when the unacknowledged are in (or after 5 s) */
  | { cmd: 'pause' }
  /** traps `count` elevators, one every `everyMs` from now (0: all at this instant); answers at once */
  | { cmd: 'trap'; count: number; everyMs: number }
  /** every elevator trapped so far, with the ts of its first trapped sample once sent */
  | { cmd: 'entrapments' }
  /** PUBACK figures since the last reset; `reset` starts a new histogram */
  | { cmd: 'latency'; reset?: boolean }
  /** counters now; `resetLatency` starts a new PUBACK latency histogram */
  | { cmd: 'sample'; resetLatency?: boolean }
  | { cmd: 'stop' }

export interface LoadSample { sent: number; acked: number; received: number; injected: number; skipped: number }
export interface LoadFinal extends LoadSample {
  /** publish → PUBACK, ms, since the last resetLatency */
  pubackMs: PubackFigures
  entrapments: Injected[]
  /** still unacknowledged when stop gave up waiting */
  unacked: number
}

// the controller state as the register map gives it (protocol/schemas.ts, ControllerState)
const IDLE = '"floor":"3","floorIndex":2,"position":6.6,"speed":0,"direction":"none","moving":false,"door":"closed","doorZone":true,' +
  '"occupied":false,"load":0,"alarmButton":false,"safetyCircuit":true,"mode":"normal","power":"mains","upLimit":false,"downLimit":false,"faultCode":0}'
const TRAPPED = '"floor":"3","floorIndex":2,"position":7.9,"speed":0,"direction":"none","moving":false,"door":"closed","doorZone":false,' +
  '"occupied":true,"load":12,"alarmButton":false,"safetyCircuit":true,"mode":"normal","power":"mains","upLimit":false,"downLimit":false,"faultCode":0}'

/** The payload bytes of one idle sample, for the report. */
export const samplePayloadBytes = (gatewayId: string): number =>
  `{"v":1,"ts":${Date.now()},"seq":1000,"boot":"${bootOf(gatewayId)}","gateway":"${gatewayId}","reason":"heartbeat",${IDLE}`.length

const BOOT = `bench-${Date.now().toString(36)}`
const bootOf = (gatewayId: string) => `${BOOT}-${gatewayId}`

// PUBACK latency histogram: 0.1 ms buckets up to 10 s, the last bucket holds everything longer
const BUCKET_MS = 0.1
const latency = new Uint32Array(100_001)
let latencyMax = 0

function percentile(q: number): number {
  let total = 0
  for (const c of latency) total += c
  if (total === 0) return 0
  const want = Math.ceil(q * total)
  let seen = 0
  for (let i = 0; i < latency.length; i++) {
    seen += latency[i]!
    if (seen >= want) return Math.round((i + 1) * BUCKET_MS * 10) / 10
  }
  return latencyMax
}

function pubackFigures(): PubackFigures {
  return { p50: percentile(0.5), p99: percentile(0.99), max: Math.round(latencyMax * 10) / 10, count: latency.reduce((n, c) => n + c, 0) }
}

interface Car { id: string; topic: Buffer; seq: number; trapped: boolean; injected: Injected | null }

class Publisher {
  private readonly cars: Car[]
  private readonly mid: string
  private readonly slot: number
  private readonly busy = new Uint8Array(65_536)
  private readonly sentAt = new Float64Array(65_536)
  private nextId = 0
  private rr = 0
  inflight = 0
  sent = 0
  acked = 0
  running = false
  /** paced: publishes fallen due since the pace started (sent or skipped) */
  due = 0

  constructor(readonly gateway: GatewaySpec, private readonly socket: Socket, reader: PacketReader, private readonly max: number) {
    this.cars = gateway.elevators.map((id) => ({ id, topic: topicBytes(`lift/v1/${gateway.region}/${id}/telemetry`), seq: 0, trapped: false, injected: null }))
    this.mid = `,"boot":"${bootOf(gateway.username)}","gateway":"${gateway.username}","reason":"heartbeat",`
    const longestTopic = Math.max(...this.cars.map((c) => c.topic.length))
    // fixed header ≤ 5, topic, packet id, payload with a 13-digit ts and up to a 10-digit seq
    this.slot = 5 + longestTopic + 2 + `{"v":1,"ts":,"seq":`.length + 13 + 10 + this.mid.length + Math.max(IDLE.length, TRAPPED.length)
    socket.on('data', (chunk: Buffer) => {
      reader.push(chunk, (type, _flags, body) => {
        if (type !== 4) return // PUBACK; nothing else comes to a publisher that subscribes to nothing
        const id = body.readUInt16BE(0)
        if (!this.busy[id]) return
        this.busy[id] = 0
        this.inflight--
        this.acked++
        const ms = performance.now() - this.sentAt[id]!
        if (ms > latencyMax) latencyMax = ms
        latency[Math.min(latency.length - 1, Math.floor(ms / BUCKET_MS))]!++
      })
      if (!pacer) this.pump()
    })
  }

  car(i: number): Car { return this.cars[i % this.cars.length]! }

  /** Tops the connection up to `max` unacknowledged publishes, in one write. */
  pump(): void {
    if (this.running) this.publish(this.max - this.inflight)
  }

  /** `n` publishes, in one write. */
  publish(n: number): void {
    if (n <= 0) return
    const buf = Buffer.allocUnsafe(n * this.slot)
    const ts = Date.now()
    const at = performance.now()
    let off = 0
    for (let k = 0; k < n; k++) {
      let id = this.nextId
      do id = (id % 65_535) + 1; while (this.busy[id])
      this.nextId = id
      const car = this.cars[this.rr]!
      this.rr = (this.rr + 1) % this.cars.length
      if (car.trapped && car.injected && car.injected.firstTrappedTs === null) car.injected.firstTrappedTs = ts
      const payload = `{"v":1,"ts":${ts},"seq":${car.seq++}${this.mid}${car.trapped ? TRAPPED : IDLE}`
      off = writePublish(buf, off, car.topic, id, payload)
      this.busy[id] = 1
      this.sentAt[id] = at
    }
    this.inflight += n
    this.sent += n
    this.socket.write(buf.subarray(0, off))
  }
}

const publishers: Publisher[] = []
const sockets: Socket[] = []
const injected: Injected[] = []
let received = 0
let skipped = 0
let injector: NodeJS.Timeout | undefined
let pacer: { timer: NodeJS.Timeout; started: number; perConnection: number; tickMs: number; maxInflight: number } | null = null

function setPace(pace: PaceSpec | undefined): void {
  if (pacer) clearTimeout(pacer.timer)
  pacer = null
  if (!pace?.msgPerSecond || !publishers.length) { for (const p of publishers) p.pump(); return }
  for (const p of publishers) p.due = 0
  const tickMs = pace.tickMs ?? 5
  pacer = { timer: setTimeout(paceTick, tickMs), started: performance.now(), perConnection: pace.msgPerSecond / publishers.length, tickMs, maxInflight: Math.min(pace.maxInflight ?? 1000, 60_000) }
}

function paceTick(): void {
  if (!pacer) return
  const seconds = (performance.now() - pacer.started) / 1000
  for (let i = 0; i < publishers.length; i++) {
    const p = publishers[i]!
    if (!p.running) continue
    // connection i's publishes fall due at (k − i/P) / perConnection s: evenly spread over the connections
    const due = Math.floor(seconds * pacer.perConnection + i / publishers.length) - p.due
    if (due <= 0) continue
    p.due += due
    const n = Math.min(due, pacer.maxInflight - p.inflight)
    skipped += due - Math.max(0, n)
    p.publish(n)
  }
  pacer.timer = setTimeout(paceTick, pacer.tickMs)
}

/** The next elevator not yet trapped, spread over the connections and over each connection's elevators. */
let trapCursor = 0
function trapNext(): void {
  const perGateway = publishers[0]!.gateway.elevators.length
  for (let tries = 0; tries < publishers.length * perGateway; tries++) {
    const k = trapCursor++
    const p = publishers[k % publishers.length]!
    const car = p.car(Math.floor(k / publishers.length) * 7 + Math.floor(k / (publishers.length * perGateway)))
    if (car.trapped) continue
    car.trapped = true
    car.injected = { elevatorId: car.id, gatewayId: p.gateway.username, injectedAt: Date.now(), firstTrappedTs: null }
    injected.push(car.injected)
    return
  }
}

function trap(count: number, everyMs: number): object {
  if (!publishers.length) return {}
  if (everyMs <= 0) {
    for (let i = 0; i < count; i++) trapNext()
    return {}
  }
  let left = count
  clearInterval(injector)
  injector = setInterval(() => {
    trapNext()
    if (--left <= 0) clearInterval(injector)
  }, everyMs)
  return {}
}

async function pause(): Promise<object> {
  if (pacer) clearTimeout(pacer.timer)
  pacer = null
  for (const p of publishers) p.running = false
  const deadline = performance.now() + 5000
  while (publishers.some((p) => p.inflight > 0) && performance.now() < deadline) await delay(20)
  return { unacked: publishers.reduce((n, p) => n + p.inflight, 0) }
}

async function startPublishers(r: Extract<LoadRequest, { cmd: 'publishers' }>): Promise<object> {
  // a few at a time: each CONNECT costs the broker a password check
  for (let i = 0; i < r.gateways.length; i += 10) {
    const batch = r.gateways.slice(i, i + 10)
    const conns = await Promise.all(batch.map((g) => connectMqtt(r.port, g.username, g.username, g.password)))
    conns.forEach(({ socket, reader }, j) => {
      sockets.push(socket)
      publishers.push(new Publisher(batch[j]!, socket, reader, r.inflight))
    })
  }
  return { connections: publishers.length }
}

async function startSubscriber(r: Extract<LoadRequest, { cmd: 'subscriber' }>): Promise<object> {
  const { socket, reader } = await connectMqtt(r.port, `bench-sub-${process.pid}`)
  sockets.push(socket)
  const subscribed = new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      const acks: Buffer[] = []
      reader.push(chunk, (type, flags, body) => {
        if (type === 9) resolve() // SUBACK
        if (type !== 3) return
        received++
        if (((flags >> 1) & 3) === 0) return
        const topicLength = body.readUInt16BE(0)
        acks.push(pubackPacket(body.readUInt16BE(2 + topicLength)))
      })
      if (acks.length) socket.write(acks.length === 1 ? acks[0]! : Buffer.concat(acks))
    })
  })
  socket.write(subscribePacket(1, r.filter, 1))
  await subscribed
  return { subscribed: r.filter }
}

function go(inject: InjectSpec | undefined, pace: PaceSpec | undefined): object {
  for (const p of publishers) p.running = true
  setPace(pace)
  if (inject && publishers.length) {
    const started = performance.now()
    injector = setInterval(() => {
      const elapsed = performance.now() - started
      if (elapsed < inject.startAfterMs) return
      if (elapsed > inject.stopAfterMs) { clearInterval(injector); return }
      trapNext()
    }, inject.everyMs)
  }
  return {}
}

const counters = (): LoadSample => ({
  sent: publishers.reduce((n, p) => n + p.sent, 0),
  acked: publishers.reduce((n, p) => n + p.acked, 0),
  received,
  injected: injected.length,
  skipped,
})

async function stop(): Promise<LoadFinal> {
  clearInterval(injector)
  await pause()
  const result = { ...counters(), pubackMs: pubackFigures(), entrapments: injected, unacked: publishers.reduce((n, p) => n + p.inflight, 0) }
  for (const s of sockets) s.destroy()
  return result
}

function resetLatency(): void { latency.fill(0); latencyMax = 0 }

async function handle(r: LoadRequest): Promise<object> {
  switch (r.cmd) {
    case 'publishers': return startPublishers(r)
    case 'subscriber': return startSubscriber(r)
    case 'go': return go(r.inject, r.pace)
    case 'pace':
      for (const p of publishers) p.running = true
      setPace(r.pace)
      return {}
    case 'pause': return pause()
    case 'trap': return trap(r.count, r.everyMs)
    case 'entrapments': return { entrapments: injected }
    case 'latency': {
      const figures = pubackFigures()
      if (r.reset) resetLatency()
      return figures
    }
    case 'sample':
      if (r.resetLatency) resetLatency()
      return counters()
    case 'stop': return stop()
  }
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry && process.send) {
  // the parent ends us with SIGTERM; losing it (disconnect) must not leave us behind
  process.once('disconnect', () => process.exit(0))
  process.on('message', (m: LoadRequest & { id: number }) => {
    handle(m).then(
      (result) => process.send!({ id: m.id, result }),
      (err: unknown) => process.send!({ id: m.id, error: (err as Error).stack ?? String(err) }),
    )
  })
  process.send({ ready: true })
}
