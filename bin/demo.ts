// `liftwatch demo` (npm start): the whole system on one machine with embedded defaults — the broker
// host (aedes, SQLite), 20 simulated cars behind 4 gateways over real Modbus TCP, and a scenario
// that traps a passenger in car 1 every four minutes. Each part runs as its own process, talking
// over the wire exactly as in production. Ctrl-C stops them all.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createInterface } from 'node:readline'
import { stringify } from 'yaml'
import mqtt from 'mqtt'
import { catalogueEntry, filters, registrationCode, validateAlarmEvent } from '../protocol/index.ts'
import { hashPassword } from '../broker/mqtt/passwords.ts'

const LIFTWATCH = fileURLToPath(new URL('./liftwatch.js', import.meta.url))
const SCENARIO = fileURLToPath(new URL('../deploy/demo/entrapments.yaml', import.meta.url))
const REGION = '330922'
const CARS = 20
const GATEWAYS = 4
const STREETS = ['沙河路', '海滨路', '东海路', '金平路']

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'http-port': { type: 'string', default: '8080' }, 'mqtt-port': { type: 'string', default: '1883' },
      'modbus-port': { type: 'string', default: '1502' }, data: { type: 'string', default: './data/demo' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    process.stdout.write('usage: liftwatch demo [--http-port 8080] [--mqtt-port 1883] [--modbus-port 1502] [--data ./data/demo]\n')
    return
  }
  const dir = resolve(values.data!)
  mkdirSync(dir, { recursive: true })
  const ids = Array.from({ length: CARS }, (_, i) => registrationCode('3110', REGION, '202401', i + 1))
  const LANDINGS = ['B1', ...Array.from({ length: 12 }, (_, k) => String(k + 1))]
  const gatewayOf = (i: number) => `gw-demo-${String(Math.floor(i / (CARS / GATEWAYS)) + 1).padStart(2, '0')}`
  const passwords = new Map(Array.from({ length: GATEWAYS }, (_, g) => [`gw-demo-${String(g + 1).padStart(2, '0')}`, randomBytes(12).toString('base64url')]))
  const users: Record<string, { role: string; hash: string }> = { monitor: { role: 'monitor', hash: await hashPassword('monitor-demo') } }
  for (const [gw, pw] of passwords) users[gw] = { role: 'gateway', hash: await hashPassword(pw) }

  writeFileSync(join(dir, 'broker.yaml'), stringify({
    mqtt: { listeners: { tcp: { host: '127.0.0.1', port: Number(values['mqtt-port']) } }, users },
    http: { host: '127.0.0.1', port: Number(values['http-port']) },
    registry: {
      elevators: ids.map((id, i) => ({
        id, registrationCode: id, rescueCode: String(33001 + i), region: REGION,
        address: `嵊泗县菜园镇${STREETS[i % STREETS.length]} ${10 + Math.floor(i / 2)} 号`, building: `${Math.floor(i / 2) + 1}号楼 ${(i % 2) + 1}单元`,
        // the simulator's cars: B1 and 1–12, 37 m of travel (simulators/model/spec.ts)
        landings: LANDINGS, ratedSpeed: 1.75, travel: 37, gatewayId: gatewayOf(i),
      })),
    },
    alarms: { path: join(dir, 'alarms.db') },
    telemetry: { sqlite: { path: join(dir, 'telemetry.db'), retentionDays: 7 } },
  }))
  for (const [gw, pw] of passwords) {
    const mine = ids.map((id, i) => ({ id, i })).filter(({ i }) => gatewayOf(i) === gw)
    writeFileSync(join(dir, `${gw}.yaml`), stringify({
      gateway: { id: gw, region: REGION },
      mqtt: { url: `mqtt://127.0.0.1:${values['mqtt-port']}`, username: gw, password: pw },
      outbox: { path: join(dir, `${gw}-outbox.db`) },
      metrics: false,
      links: [{ id: 'machine-room', transport: 'tcp', host: '127.0.0.1', port: Number(values['modbus-port']) }],
      elevators: mine.map(({ id, i }) => ({ id, link: 'machine-room', unitId: i + 1, profile: 'liftwatch-ref' })),
    }))
  }

  const children: { name: string; proc: ChildProcess }[] = []
  const run = (name: string, args: string[]) => {
    const proc = spawn(process.execPath, [LIFTWATCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push({ name, proc })
    // keep each part's log lines, prefixed, for whoever watches the terminal
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        let text = line
        try {
          const { level, msg, time: _t, pid: _p, hostname: _h, name: _n, v: _v, ...rest } = JSON.parse(line) as Record<string, unknown> & { level: number; msg: string }
          // warnings and errors, and the start-up lines; the rest stays in each part's own log level
          if (level < 40 && !/started|listening/.test(msg)) return
          const err = (rest.err as { message?: string } | undefined)?.message
          text = `${msg}${err ? `: ${err}` : ''}`
        } catch { /* not JSON: print as is */ }
        process.stderr.write(`[${name}] ${text}\n`)
      })
    }
    proc.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`[${name}] exited (${code ?? signal}); stopping the demo\n`)
      void stop()
    })
    return proc
  }
  let stopping = false
  let monitorClient: mqtt.MqttClient | undefined
  const stop = async () => {
    if (stopping) return
    stopping = true
    monitorClient?.end(true)
    const end = (proc: ChildProcess) => new Promise<void>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return r()
      proc.once('exit', () => r())
      proc.kill('SIGTERM')
    })
    // gateways first (their last messages still reach the broker), then the cars, then the broker
    await Promise.all(children.filter((c) => c.name.startsWith('gw-')).map((c) => end(c.proc)))
    for (const name of ['sim', 'broker']) await Promise.all(children.filter((c) => c.name === name).map((c) => end(c.proc)))
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)

  const ready = (proc: ChildProcess, msg: string) => new Promise<void>((resolveReady, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => { if (l.includes(`"msg":"${msg}"`)) resolveReady() })
    proc.once('exit', (code) => reject(new Error(`exited ${code} before "${msg}"`)))
  })
  await ready(run('broker', ['broker', '--config', join(dir, 'broker.yaml')]), 'broker started')
  await ready(run('sim', ['sim', '--elevators', String(CARS), '--port', String(values['modbus-port']), '--scenario', SCENARIO, '--traffic', '0.3']), 'simulator listening')
  for (const gw of passwords.keys()) run(gw, ['gateway', '--config', join(dir, `${gw}.yaml`)])

  // the alarms as the monitoring centre sees them, through the read-only monitor user
  const monitor = monitorClient = mqtt.connect(`mqtt://127.0.0.1:${values['mqtt-port']}`, { username: 'monitor', password: 'monitor-demo', reconnectPeriod: 1000 })
  monitor.on('connect', () => { monitor.subscribe(filters.alarms, { qos: 1 }) })
  monitor.on('message', (_topic, payload) => {
    const a = validateAlarmEvent(JSON.parse(payload.toString()) as unknown)
    if (!a.ok) return
    const c = catalogueEntry(a.value.type)
    const when = new Date(a.value.state === 'raised' ? a.value.raisedAt : a.value.clearedAt ?? Date.now()).toLocaleTimeString('zh-CN')
    process.stdout.write(`${when}  ${a.value.state === 'raised' ? '告警 RAISED ' : '解除 cleared'}  ${c.zh} ${c.en}  ${a.value.elevatorId}\n`)
  })

  process.stdout.write(`
LiftWatch 演示已启动 / demo running
  实时页面 live page:   http://127.0.0.1:${values['http-port']}/
  MQTT:                 mqtt://127.0.0.1:${values['mqtt-port']}  (只读用户 read-only user: monitor / monitor-demo)
  模拟控制器 simulator:  Modbus TCP 127.0.0.1:${values['modbus-port']}, unit 1–${CARS}
  1 号梯每四分钟困人一次 / car 1 traps a passenger every four minutes (first at about 45 s)
  数据 data:            ${dir}
按 Ctrl-C 停止 / Ctrl-C stops it all
`)
}
