// `liftwatch demo` (npm start): the whole system on one machine with embedded defaults — the broker
// host (aedes, SQLite), 20 simulated cars behind 4 gateways over real Modbus TCP, and a scenario
// that traps a passenger in car 1 every four minutes. Each part runs as its own process, talking
// over the wire exactly as in production; the registry describes each car as it is simulated
// (bin/demo-files.ts). Ctrl-C, SIGTERM, or the parent going away stops them all.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import mqtt from 'mqtt'
import { catalogueEntry, filters, validateAlarmEvent } from '../protocol/index.ts'
import { hashPassword } from '../broker/mqtt/passwords.ts'
import { loadScenario } from '../simulators/scenario.ts'
import { demoParties } from './demo-parties.ts'
import { startDemoNotify } from './demo-notify.ts'
import {
  CARS, DEMO_SCENARIO, demoBrokerConfig, demoFleet, demoRegistry, demoGatewayConfig, entrapmentTimesS, gatewayIds, simArgs, type DemoPorts,
} from './demo-files.ts'
import { DemoParts, PartFailed } from './demo-parts.ts'
import { AUTO_LOGIN, loginLines, seedDemoUsers } from './demo-users.ts'
import { parseRegistry } from '../broker/registry/registry.ts'
import { seedDemoRecords } from './demo-records.ts'

const LIFTWATCH = fileURLToPath(new URL('./liftwatch.js', import.meta.url))

const HELP = `usage: liftwatch demo [options]
演示：监控中心、4 个网关、20 台模拟电梯 / the whole system on one machine: broker, 4 gateways, 20 simulated cars

  --http-port P     live page and HTTP API (default 8080)
  --mqtt-port P     MQTT (default 1883)
  --modbus-port P   simulated controllers, Modbus TCP (default 1502)
  --data DIR        configs, alarm store, telemetry, gateway outboxes (default ./data/demo)
`

export interface DemoArgs { ports: DemoPorts; data: string }

/** The command line checked; every problem as one line, zh-CN first. */
export function parseDemoArgs(argv: string[]): { args: DemoArgs } | { problems: string[] } | { help: true } {
  let values
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        'http-port': { type: 'string', default: '8080' }, 'mqtt-port': { type: 'string', default: '1883' },
        'modbus-port': { type: 'string', default: '1502' }, data: { type: 'string', default: './data/demo' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (err) {
    const { code, message } = err as { code?: string; message: string }
    const option = /'([^']+)'/.exec(message)?.[1] ?? ''
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return { problems: [`未知选项 / unknown option: ${option}`] }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return { problems: [`多余的参数 / unexpected argument: ${option}`] }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return { problems: [`选项缺少取值 / option needs a value: ${option.split(' ')[0]}`] }
    throw err
  }
  if (values.help) return { help: true }
  const problems: string[] = []
  const port = (name: 'http-port' | 'mqtt-port' | 'modbus-port'): number => {
    const n = Number(values[name])
    if (!/^[0-9]+$/.test(values[name]!) || n < 1 || n > 65535) problems.push(`--${name}: 须为 1–65535 的整数 / must be an integer 1–65535, got "${values[name]}"`)
    return n
  }
  const ports = { http: port('http-port'), mqtt: port('mqtt-port'), modbus: port('modbus-port') }
  if (new Set(Object.values(ports)).size < 3 && problems.length === 0) problems.push('--http-port, --mqtt-port, --modbus-port: 须各不相同 / must differ')
  return problems.length ? { problems } : { args: { ports, data: values.data! } }
}

const PART_NAMES: Record<string, [zh: string, en: string]> = { broker: ['监控中心', 'the broker'], sim: ['模拟控制器', 'the simulator'] }
const partName = (p: string): [string, string] => PART_NAMES[p] ?? [`网关 ${p} `, `gateway ${p}`]

export async function main(argv: string[]): Promise<void> {
  const parsed = parseDemoArgs(argv)
  if ('help' in parsed) { process.stdout.write(HELP); return }
  if ('problems' in parsed) {
    process.stderr.write(parsed.problems.map((p) => `liftwatch demo: ${p}  (liftwatch demo --help)\n`).join(''))
    process.exitCode = 2
    return
  }
  const { ports } = parsed.args
  const dir = resolve(parsed.args.data)
  mkdirSync(dir, { recursive: true })
  const scenario = loadScenario(DEMO_SCENARIO)
  const fleet = demoFleet(scenario)
  const passwords = new Map(gatewayIds().map((gw) => [gw, randomBytes(12).toString('base64url')]))
  const users: Record<string, { role: string; hash: string }> = { monitor: { role: 'monitor', hash: await hashPassword('monitor-demo') } }
  for (const [gw, pw] of passwords) users[gw] = { role: 'gateway', hash: await hashPassword(pw) }
  const brokerConfig = demoBrokerConfig(fleet, ports, dir, users)
  // responder links in the messages lead to this machine's page (broker/incidents/config.ts)
  brokerConfig.response = { linkBase: `http://127.0.0.1:${ports.http}` }
  // the outside services the messages go to, and the technician who answers them, on this machine
  const notify = await startDemoNotify({ print: (text) => process.stdout.write(text) })
  // the page opens logged in as the desk user, for a browser on this machine only
  brokerConfig.http = { ...brokerConfig.http as object, autoLogin: { username: AUTO_LOGIN } }
  // who answers for each car (docs/import.md), beside broker.yaml; the broker loads it
  const parties = demoParties(fleet, notify.endpoints)
  if (parties) {
    writeFileSync(join(dir, 'parties.yaml'), stringify(parties))
    brokerConfig.parties = { path: 'parties.yaml' }
  }
  writeFileSync(join(dir, 'broker.yaml'), stringify(brokerConfig))
  // the broker's accounts store (beside alarms.db, broker/config.ts), before the broker opens it
  let logins
  try {
    logins = await seedDemoUsers(join(dir, 'accounts.db'))
  } catch (err) {
    process.stderr.write(`liftwatch demo: 演示用户未能建立 / demo users not made: ${(err as Error).message}\n`)
    process.exitCode = 1
    await notify.stop()
    return
  }
  for (const [gw, pw] of passwords) writeFileSync(join(dir, `${gw}.yaml`), stringify(demoGatewayConfig(fleet, gw, pw, ports, dir)))
  // the county's records of the last months (drills, past incidents, patrols, hazards, residents' reports), once
  const records = seedDemoRecords(dir, parseRegistry(brokerConfig.registry))

  // the monitor client comes once the parts are up; a stop may come before
  const watching: { monitor?: mqtt.MqttClient } = {}
  let stopping = false
  const parts = new DemoParts(LIFTWATCH, (line) => process.stderr.write(`${line}\n`), (failure) => {
    const [zh, en] = partName(failure.part)
    process.stderr.write(`liftwatch demo: ${zh}意外退出，演示停止 / ${en} exited, stopping the demo: ${failure.reason}\n`)
    void stop(1)
  })
  const stop = async (code: number) => {
    if (stopping) return
    stopping = true
    watching.monitor?.end(true)
    await parts.stop()
    await notify.stop()
    process.exit(code)
  }
  // on, not once: a terminal's Ctrl-C reaches the demo twice (directly, and forwarded by npm)
  process.on('SIGINT', () => void stop(0))
  process.on('SIGTERM', () => void stop(0))
  // the parent (npm, a shell) went away without a signal reaching us: stop rather than linger
  const parent = process.ppid
  setInterval(() => { if (process.ppid !== parent) void stop(0) }, 500).unref()

  try {
    await parts.start('broker', ['broker', '--config', join(dir, 'broker.yaml')], 'broker started')
    await parts.start('sim', simArgs(fleet, ports.modbus), 'simulator listening')
    await Promise.all([...passwords.keys()].map((gw) => parts.start(gw, ['gateway', '--config', join(dir, `${gw}.yaml`)], 'gateway started')))
  } catch (err) {
    if (!(err instanceof PartFailed)) throw err
    const [zh, en] = partName(err.part)
    process.stderr.write(`liftwatch demo: ${zh}未能启动 / ${en} did not start: ${err.reason}\n`)
    await stop(1)
    return
  }
  if (stopping) return
  parts.showLogs()
  watching.monitor = watchAlarms(ports.mqtt, () => stopping)

  const [first, second] = entrapmentTimesS(scenario, 2)
  const trap = first === undefined ? '' : `  1 号梯${second ? `每 ${Math.round((second - first) / 60)} 分钟` : ''}困人一次，首次约在启动后 ${roughly(first)} 秒 / car 1 traps a passenger${second ? ` every ${Math.round((second - first) / 60)} min` : ''}, the first about ${roughly(first)} s after start\n`
  process.stdout.write(`
LiftWatch 演示已启动 / demo running
  实时页面 live page:   http://127.0.0.1:${ports.http}/  (本机以 ${AUTO_LOGIN} 自动登录 / logged in as ${AUTO_LOGIN} on this machine)
${loginLines(logins, ports.http, parseRegistry(demoRegistry(fleet)).elevators)}  MQTT:                 mqtt://127.0.0.1:${ports.mqtt}  (只读用户 read-only user: monitor / monitor-demo)
  模拟控制器 simulator:  Modbus TCP 127.0.0.1:${ports.modbus}, unit 1–${CARS}
${trap}  通知接收 notification receivers: ${notify.url} (企业微信、钉钉、短信、webhook 本地模拟)
  KPI 页面 KPI page:     http://127.0.0.1:${ports.http}/ui/kpi.html
  监管台账 records:      隐患 /ui/hazards.html · 巡查 /ui/patrol.html · 风险 /ui/risk.html · 月报 /ui/report.html${records.seeded ? `  (演示数据 demo history: ${records.seeded.drills} 次演练 drills, ${records.seeded.incidents} 起事件 incidents, ${records.seeded.patrols} 次巡查 patrols, ${records.seeded.hazards} 条隐患 hazards, ${records.seeded.complaints} 件投诉 reports)` : ''}
  1 号梯公开页 car 1's public page: http://127.0.0.1:${ports.http}/p/${records.publicCode}  (无需登录 no login)
  数据 data:            ${dir}
按 Ctrl-C 停止 / Ctrl-C stops it all
`)
}

/** To the nearest 5 s: the parts start a few seconds apart, so more precision would be false. */
const roughly = (s: number) => Math.round(s / 5) * 5

/** The alarms as the monitoring centre sees them, through the read-only monitor user. */
function watchAlarms(mqttPort: number, stopping: () => boolean): mqtt.MqttClient {
  const monitor = mqtt.connect(`mqtt://127.0.0.1:${mqttPort}`, { username: 'monitor', password: 'monitor-demo', reconnectPeriod: 1000 })
  monitor.on('connect', () => { monitor.subscribe(filters.alarms, { qos: 1 }) })
  monitor.on('error', (err) => { if (!stopping()) process.stderr.write(`[monitor] ${err.message}\n`) })
  monitor.on('message', (_topic, payload) => {
    const a = validateAlarmEvent(JSON.parse(payload.toString()) as unknown)
    if (!a.ok) return
    const c = catalogueEntry(a.value.type)
    const when = new Date(a.value.state === 'raised' ? a.value.raisedAt : a.value.clearedAt ?? Date.now()).toLocaleTimeString('zh-CN')
    process.stdout.write(`${when}  ${a.value.state === 'raised' ? '告警 RAISED ' : '解除 cleared'}  ${c.zh} ${c.en}  ${a.value.elevatorId}\n`)
  })
  return monitor
}
