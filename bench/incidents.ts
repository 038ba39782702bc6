// 100 simultaneous entrapments through a real broker (docs/domain.md#response-chain): how soon each
// alarm's first-level messages reach the outside services, whether all of them do, and what the
// burst costs telemetry ingest.
//   - `liftwatch broker` in its own process, 1,000 registered elevators behind 50 gateways; a
//     forked load child publishes every car's telemetry at a steady rate (QoS 1, as a gateway);
//   - the outside services are simulators/notify/receivers.ts on 127.0.0.1 in this process. The
//     parties file gives 100 maintenance units of 10 elevators each, EACH WITH ITS OWN WeCom robot
//     (a robot takes 20 messages a minute, so 100 alarms on one robot would measure its limit, not
//     the broker), a steward per unit with a signed DingTalk robot of their own, and one signed
//     webhook for the 96333 desk shared by all;
//   - after a baseline window, one car of each unit (100 cars over the 50 gateways) is trapped in
//     the same instant. Reported: ms from each alarm's detectedAt (the broker's clock) to each of its
//     L1 messages taken by a receiver (Received.at), delivered vs expected, and telemetry accepted
//     per second in the burst window vs the baseline window of the same length.
//   node bin/run-ts.js bench/incidents.ts [seconds]   → JSON on stdout
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { hashPassword } from '../broker/mqtt/passwords.ts'
import { Receivers, type Received } from '../simulators/notify/receivers.ts'
import { connectMqtt, topicBytes, writePublish } from './mqtt-wire.ts'
import { metric, percentiles } from './figures.ts'
import { cpuSeconds, stopProcess } from './proc.ts'
import { adminCookie, startBroker, type BrokerProcess } from './broker-process.ts'

export interface IncidentBenchOptions {
  /** each window, baseline and burst */
  seconds?: number
  /** telemetry per car per second */
  hz?: number
  trapped?: number
  thresholdMs?: number
}

const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
const REGION = '330922'
const TOWNSHIP = '330922100'
const GATEWAYS = 50
const PER_GATEWAY = 20
const PER_UNIT = 10
const WARMUP_MS = 3000
const BENCH_SCRYPT = { N: 1024, r: 8, p: 1 }

const elevatorId = (j: number) => `3110${REGION}202401${String(j + 1).padStart(4, '0')}`
const gatewayOf = (j: number) => `gw-${String(Math.floor(j / PER_GATEWAY) + 1).padStart(3, '0')}`
const unitOf = (j: number) => `m-${String(Math.floor(j / PER_UNIT) + 1).padStart(3, '0')}`
const phone = (n: number) => `139${String(n).padStart(8, '0')}`

export async function benchIncidents(opts: IncidentBenchOptions = {}): Promise<object> {
  const seconds = opts.seconds ?? 10
  const hz = opts.hz ?? 2
  const thresholdMs = opts.thresholdMs ?? 2000
  const n = GATEWAYS * PER_GATEWAY
  const units = n / PER_UNIT
  const trappedCount = Math.min(opts.trapped ?? 100, units)
  // one car per unit, spread over the gateways: unit u's car (u mod 10)
  const trapped = Array.from({ length: trappedCount }, (_, u) => u * PER_UNIT + (u % PER_UNIT))
  const carOfUnit = new Map(trapped.map((j) => [unitOf(j), elevatorId(j)]))
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-incidents-'))
  const recv = new Receivers()
  let broker: BrokerProcess | undefined
  let load: ChildProcess | undefined
  try {
    await recv.start()
    const wecom = new Map<string, string>()
    const steward = new Map<string, string>()
    const endpoints: object[] = []
    for (let u = 0; u < units; u++) {
      const unit = unitOf(u * PER_UNIT)
      const w = recv.add('wecom', `wecom-${unit}`)
      const d = recv.add('dingtalk', `dingtalk-${unit}`, `SEC-${unit}-bench-secret`)
      wecom.set(w.id, unit)
      steward.set(d.id, unit)
      endpoints.push({ id: w.id, kind: 'wecom', url: w.url }, { id: d.id, kind: 'dingtalk', url: d.url, secret: d.secret })
    }
    const desk = recv.add('webhook', 'webhook-96333', 'bench-webhook-secret')
    endpoints.push({ id: desk.id, kind: 'webhook', url: desk.url, secret: desk.secret })
    const parties = {
      organisations: [
        ...Array.from({ length: units }, (_, u) => ({ id: unitOf(u * PER_UNIT), kind: 'maintenance', name: `维保单位${u + 1}`, dutyPhone: '0580-5081230', channels: [{ kind: 'wecom', ref: `wecom-${unitOf(u * PER_UNIT)}` }] })),
        { id: 'wy-1', kind: 'property', name: '第1物业服务中心' },
        { id: 'township-1', kind: 'township', name: '菜园镇人民政府', township: TOWNSHIP },
        { id: 'desk-96333', kind: 'desk', name: '96333 应急处置服务平台', dutyPhone: '96333', channels: [{ kind: 'webhook', ref: desk.id }] },
      ],
      people: Array.from({ length: units }, (_, u) => ({ id: `steward-${u + 1}`, name: `楼道长${u + 1}`, phone: phone(u + 1), role: 'steward', channels: [{ kind: 'dingtalk', ref: `dingtalk-${unitOf(u * PER_UNIT)}` }] })),
      endpoints,
      elevators: Array.from({ length: n }, (_, j) => ({ elevatorId: elevatorId(j), maintenance: unitOf(j), property: 'wy-1', steward: `steward-${Math.floor(j / PER_UNIT) + 1}`, village: `${TOWNSHIP}001`, township: TOWNSHIP })),
    }
    writeFileSync(join(dir, 'parties.yaml'), stringify(parties))
    const users: Record<string, { role: string; hash: string }> = { monitor: { role: 'monitor', hash: await hashPassword('monitor-pw', BENCH_SCRYPT) } }
    for (let g = 0; g < GATEWAYS; g++) users[gatewayOf(g * PER_GATEWAY)] = { role: 'gateway', hash: await hashPassword(`secret-${g}`, BENCH_SCRYPT) }
    writeFileSync(join(dir, 'broker.yaml'), stringify({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users },
      http: { host: '127.0.0.1', port: 0 },
      registry: { elevators: Array.from({ length: n }, (_, j) => ({
        id: elevatorId(j), registrationCode: elevatorId(j), rescueCode: String(10_000 + j), region: REGION, township: TOWNSHIP, village: `${TOWNSHIP}001`,
        address: `嵊泗县菜园镇测试路 ${Math.floor(j / 2) + 1} 号`, building: `${(j % 2) + 1}单元`, maintenance: unitOf(j), property: 'wy-1',
        landings: ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))], ratedSpeed: 1.75, gatewayId: gatewayOf(j),
      })) },
      parties: { path: 'parties.yaml' },
      alarms: { path: join(dir, 'alarms.db') }, accounts: { path: join(dir, 'accounts.db') },
      telemetry: { sqlite: { path: join(dir, 'telemetry.db') } },
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: thresholdMs } } },
    }))
    // the bench's property companies have no channel: each incident's "nobody of this role" is expected
    broker = await startBroker(join(dir, 'broker.yaml'), { expected: (msg) => msg === 'no party of this role can be told' })
    const b = broker
    const cookie = await adminCookie(b)
    const scrape = async () => {
      const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`, { headers: { cookie } })).text()
      return { at: performance.now(), accepted: metric(text, 'liftwatch_broker_ingest', { stat: 'accepted' }), cpu: cpuSeconds(b.pid) }
    }
    const monitor = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { username: 'monitor', password: 'monitor-pw', clientId: 'monitor:bench', reconnectPeriod: 0 })
    const alarms = new Map<string, { detectedAt: number; arrival: number }>()
    monitor.on('message', (_t, payload) => {
      const a = JSON.parse(payload.toString()) as { type?: string; state?: string; elevatorId?: string; detectedAt?: number }
      if (a.type === 'entrapment' && a.state === 'raised' && a.elevatorId && a.detectedAt !== undefined && !alarms.has(a.elevatorId)) alarms.set(a.elevatorId, { detectedAt: a.detectedAt, arrival: Date.now() })
    })
    await monitor.subscribeAsync('lift/v1/+/+/alarm', { qos: 1 })

    const child = load = fork(RUN_TS, [SELF, '--load'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const ask = <T>(m: LoadCmd) => new Promise<T>((resolve, reject) => {
      child.once('message', (r) => ((r as { error?: string }).error ? reject(new Error((r as { error: string }).error)) : resolve(r as T)))
      child.send(m)
    })
    await new Promise((resolve) => child.once('message', resolve))
    const gateways = Array.from({ length: GATEWAYS }, (_, g) => ({ username: gatewayOf(g * PER_GATEWAY), password: `secret-${g}`, elevators: Array.from({ length: PER_GATEWAY }, (_, k) => elevatorId(g * PER_GATEWAY + k)) }))
    await ask({ cmd: 'start', port: b.mqttPort, gateways, hz })
    await delay(WARMUP_MS)
    const s0 = await scrape()
    const l0 = await ask<LoadStats>({ cmd: 'stats' })
    await delay(seconds * 1000)
    const s1 = await scrape()
    const l1 = await ask<LoadStats>({ cmd: 'stats' })
    const trappedAt = Date.now()
    await ask({ cmd: 'trap', ids: trapped.map(elevatorId) })
    const expected = trappedCount * 3
    const l1Messages = (): { r: Received; car: string }[] => recv.received.flatMap((r) => {
      const car = r.kind === 'wecom' ? carOfUnit.get(wecom.get(r.endpointId) ?? '') : r.kind === 'dingtalk' ? carOfUnit.get(steward.get(r.endpointId) ?? '')
        : (r.body as { facts?: { elevatorId?: string } }).facts?.elevatorId
      return car && !r.duplicate ? [{ r, car }] : []
    })
    const deadline = performance.now() + seconds * 1000
    while (performance.now() < deadline) await delay(100)
    const s2 = await scrape()
    const l2 = await ask<LoadStats>({ cmd: 'stats' })
    // the stragglers, with the load still on
    const late = performance.now() + 20_000
    while (l1Messages().length < expected && performance.now() < late) await delay(100)
    await ask({ cmd: 'stop' })
    await monitor.endAsync(true)

    const msgs = l1Messages()
    const lat = (kind: Received['kind']) => percentiles(msgs.filter((m) => m.r.kind === kind && alarms.has(m.car)).map((m) => m.r.at - alarms.get(m.car)!.detectedAt))
    const alarmList = trapped.map(elevatorId).flatMap((id) => (alarms.has(id) ? [alarms.get(id)!] : []))
    const rate = (a: { at: number; accepted: number }, z: { at: number; accepted: number }) => Math.round((z.accepted - a.accepted) / ((z.at - a.at) / 1000))
    const offered = (a: LoadStats, z: LoadStats) => Math.round((z.acked - a.acked) / ((z.at - a.at) / 1000))
    const cpuShare = (a: { at: number; cpu: number }, z: { at: number; cpu: number }) => Number(((z.cpu - a.cpu) / ((z.at - a.at) / 1000)).toFixed(2))
    const lastAt = Math.max(...msgs.map((m) => m.r.at))
    return {
      machine: { cores: cpus().length, loadavg: loadavg().map((x) => Number(x.toFixed(2))) },
      load: { elevators: n, gateways: GATEWAYS, telemetryHzPerCar: hz, qos: 1, entrapmentThresholdMs: thresholdMs, windowSeconds: seconds },
      robots: `one WeCom robot per maintenance unit (${units}), one DingTalk robot per unit's steward (${units}), one shared desk webhook`,
      trapped: trappedCount,
      alarms: { raised: alarmList.length, detectedSpreadMs: alarmList.length ? Math.max(...alarmList.map((a) => a.detectedAt)) - Math.min(...alarmList.map((a) => a.detectedAt)) : null,
        trapToDetectedMs: percentiles(alarmList.map((a) => a.detectedAt - trappedAt)), detectedToMonitorMs: percentiles(alarmList.map((a) => a.arrival - a.detectedAt)) },
      l1: {
        expected, delivered: msgs.length, byKind: { wecom: msgs.filter((m) => m.r.kind === 'wecom').length, dingtalk: msgs.filter((m) => m.r.kind === 'dingtalk').length, webhook: msgs.filter((m) => m.r.kind === 'webhook').length },
        rejected: recv.rejected.length, duplicates: recv.received.filter((r) => r.duplicate).length,
        detectedToReceivedMs: percentiles(msgs.filter((m) => alarms.has(m.car)).map((m) => m.r.at - alarms.get(m.car)!.detectedAt)),
        byKindMs: { wecom: lat('wecom'), dingtalk: lat('dingtalk'), webhook: lat('webhook') },
        lastMessageAfterTrapMs: msgs.length ? lastAt - trappedAt : null,
      },
      ingest: {
        baseline: { acceptedPerSecond: rate(s0, s1), pubackedPerSecond: offered(l0, l1), brokerCpuShare: cpuShare(s0, s1) },
        burst: { acceptedPerSecond: rate(s1, s2), pubackedPerSecond: offered(l1, l2), brokerCpuShare: cpuShare(s1, s2) },
        maxPubackMs: { baseline: l1.maxPubackMsSinceLast, burst: l2.maxPubackMsSinceLast },
      },
      brokerWarnings: b.problems.length,
    }
  } finally {
    if (load) await stopProcess(load)
    if (broker) await broker.stop()
    await recv.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- the broker process ----


// ---- the load child: every car at `hz`, one write per gateway per tick ----

type LoadCmd =
  | { cmd: 'start'; port: number; hz: number; gateways: { username: string; password: string; elevators: string[] }[] }
  | { cmd: 'trap'; ids: string[] }
  | { cmd: 'stats' }
  | { cmd: 'stop' }
interface LoadStats { at: number; sent: number; acked: number; maxPubackMsSinceLast: number }

const IDLE = { floor: '3', floorIndex: 2, position: 6.6, speed: 0, direction: 'none', moving: false, door: 'closed', doorZone: true, occupied: false, load: 0, alarmButton: false, safetyCircuit: true, mode: 'normal', power: 'mains', upLimit: false, downLimit: false, faultCode: 0 }
const TRAPPED = { ...IDLE, position: 7.9, doorZone: false, occupied: true, load: 12 }

function runLoad(): void {
  const sockets: Socket[] = []
  const trapped = new Set<string>()
  const sentAt = new Map<string, number>()
  let sent = 0
  let acked = 0
  let maxPuback = 0
  let ticker: NodeJS.Timeout | undefined
  const boot = `bench-${Date.now().toString(36)}`
  const handle = async (m: LoadCmd): Promise<object> => {
    switch (m.cmd) {
      case 'start': {
        const conns: { g: (typeof m.gateways)[number]; socket: Socket; topics: Buffer[]; seq: number; id: number }[] = []
        for (const g of m.gateways) {
          const { socket, reader } = await connectMqtt(m.port, g.username, g.username, g.password)
          sockets.push(socket)
          socket.on('data', (chunk: Buffer) => reader.push(chunk, (type, _f, body) => {
            if (type !== 4) return
            const key = `${g.username}:${body.readUInt16BE(0)}`
            const at = sentAt.get(key)
            if (at === undefined) return
            sentAt.delete(key)
            acked++
            maxPuback = Math.max(maxPuback, performance.now() - at)
          }))
          conns.push({ g, socket, topics: g.elevators.map((id) => topicBytes(`lift/v1/${REGION}/${id}/telemetry`)), seq: 0, id: 0 })
        }
        ticker = setInterval(() => {
          const ts = Date.now()
          for (const c of conns) {
            const buf = Buffer.allocUnsafe(c.g.elevators.length * 700)
            let off = 0
            c.g.elevators.forEach((id, k) => {
              c.id = (c.id % 65_535) + 1
              const payload = JSON.stringify({ v: 1, ts, seq: c.seq, boot: `${boot}-${c.g.username}`, gateway: c.g.username, reason: 'heartbeat', ...(trapped.has(id) ? TRAPPED : IDLE) })
              off = writePublish(buf, off, c.topics[k]!, c.id, payload)
              sentAt.set(`${c.g.username}:${c.id}`, performance.now())
              sent++
            })
            c.seq++
            c.socket.write(buf.subarray(0, off))
          }
        }, 1000 / m.hz)
        return {}
      }
      case 'trap':
        for (const id of m.ids) trapped.add(id)
        return {}
      case 'stats': {
        const r = { at: performance.now(), sent, acked, maxPubackMsSinceLast: Math.round(maxPuback) }
        maxPuback = 0
        return r
      }
      case 'stop':
        clearInterval(ticker)
        for (const s of sockets) s.destroy()
        return {}
    }
  }
  process.once('disconnect', () => process.exit(0))
  process.on('message', (m: LoadCmd) => {
    handle(m).then((r) => process.send!(r), (err: unknown) => process.send!({ error: (err as Error).stack ?? String(err) }))
  })
  process.send!({ ready: true })
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry && process.argv[2] === '--load') runLoad()
else if (isEntry) {
  const seconds = process.argv[2] === undefined ? undefined : Number(process.argv[2])
  console.log(JSON.stringify(await benchIncidents({ ...(seconds ? { seconds } : {}) }), null, 2))
}
