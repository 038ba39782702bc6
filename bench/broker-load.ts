// The MQTT load of bench/broker.ts, in a child process of its own (forked through bin/run-ts.js)
// so that it never shares a thread with the broker under test. Two roles, driven over IPC:
//   publishers: one connection per gateway, authenticated as that gateway, publishing valid v1
//     telemetry for its elevators round robin (seq +1 per elevator, ts = now) with QoS 1, at most
//     `inflight` unacknowledged per connection, as fast as PUBACKs come back; on request it turns
//     elevators into entrapments (stopped outside the door zone, door closed, occupied) and says
//     the ts of each one's first trapped sample.
//   subscriber: one QoS 1 subscription, every PUBLISH counted and acknowledged.
// Requests are { id, cmd, ... }; every reply carries the request's id.
import type { Socket } from 'node:net'
import { pathToFileURL } from 'node:url'
import { setTimeout as delay } from 'node:timers/promises'
import { connectMqtt, pubackPacket, subscribePacket, topicBytes, writePublish, type PacketReader } from './mqtt-wire.ts'

export interface GatewaySpec { username: string; password: string; region: string; elevators: string[] }
export interface InjectSpec { everyMs: number; startAfterMs: number; stopAfterMs: number }
export interface Injected { elevatorId: string; gatewayId: string; injectedAt: number; firstTrappedTs: number | null }

export type LoadRequest =
  | { cmd: 'publishers'; port: number; gateways: GatewaySpec[]; inflight: number }
  | { cmd: 'subscriber'; port: number; filter: string }
  | { cmd: 'go'; inject?: InjectSpec }
  /** counters now; `resetLatency` starts a new PUBACK latency histogram */
  | { cmd: 'sample'; resetLatency?: boolean }
  | { cmd: 'stop' }

export interface LoadSample { sent: number; acked: number; received: number; injected: number }
export interface LoadFinal extends LoadSample {
  /** publish → PUBACK, ms, since the last resetLatency */
  pubackMs: { p50: number; p99: number; max: number; count: number }
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
      this.pump()
    })
  }

  car(i: number): Car { return this.cars[i % this.cars.length]! }

  /** Tops the connection up to `max` unacknowledged publishes, in one write. */
  pump(): void {
    const n = this.max - this.inflight
    if (!this.running || n <= 0) return
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
let injector: NodeJS.Timeout | undefined

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

function go(inject: InjectSpec | undefined): object {
  for (const p of publishers) p.running = true
  for (const p of publishers) p.pump()
  if (inject && publishers.length) {
    const started = performance.now()
    let k = 0
    const perGateway = publishers[0]!.gateway.elevators.length
    injector = setInterval(() => {
      const elapsed = performance.now() - started
      if (elapsed < inject.startAfterMs) return
      if (elapsed > inject.stopAfterMs) { clearInterval(injector); return }
      // spread over the connections and over each connection's elevators; each elevator once
      const p = publishers[k % publishers.length]!
      const car = p.car(Math.floor(k / publishers.length) * 7 + Math.floor(k / (publishers.length * perGateway)))
      k++
      if (car.trapped) return
      car.trapped = true
      car.injected = { elevatorId: car.id, gatewayId: p.gateway.username, injectedAt: Date.now(), firstTrappedTs: null }
      injected.push(car.injected)
    }, inject.everyMs)
  }
  return {}
}

const counters = (): LoadSample => ({
  sent: publishers.reduce((n, p) => n + p.sent, 0),
  acked: publishers.reduce((n, p) => n + p.acked, 0),
  received,
  injected: injected.length,
})

async function stop(): Promise<LoadFinal> {
  clearInterval(injector)
  for (const p of publishers) p.running = false
  const deadline = performance.now() + 5000
  while (publishers.some((p) => p.inflight > 0) && performance.now() < deadline) await delay(20)
  const pubackMs = { p50: percentile(0.5), p99: percentile(0.99), max: Math.round(latencyMax * 10) / 10, count: latency.reduce((n, c) => n + c, 0) }
  const result = { ...counters(), pubackMs, entrapments: injected, unacked: publishers.reduce((n, p) => n + p.inflight, 0) }
  for (const s of sockets) s.destroy()
  return result
}

async function handle(r: LoadRequest): Promise<object> {
  switch (r.cmd) {
    case 'publishers': return startPublishers(r)
    case 'subscriber': return startSubscriber(r)
    case 'go': return go(r.inject)
    case 'sample':
      if (r.resetLatency) { latency.fill(0); latencyMax = 0 }
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
