// `liftwatch <command>`: each command lives in its part's main.ts and is loaded only when asked for.
import { STOP_WITH_PARENT_ENV, stopWhenStdinCloses } from './parent-watch.ts'

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main(argv: string[]): Promise<void> }> }> = {
  demo: { summary: 'the whole system on one machine: broker, 4 gateways, 20 simulated cars  演示', load: () => import('./demo.ts') },
  broker: { summary: 'broker host: MQTT, detectors, alarms, live page  监控中心服务端', load: () => import('../broker/main.ts') },
  gateway: { summary: 'edge gateway: Modbus → MQTT  边缘网关', load: () => import('../gateway/main.ts') },
  probe: { summary: 'live view of every point of a unit, raw beside decoded; --scan finds unit ids  现场调试', load: () => import('../gateway/commission/cli/probe.ts') },
  commission: { summary: 'step-by-step commissioning checklist and report  调试验收', load: () => import('../gateway/commission/cli/commission.ts') },
  passwd: { summary: 'password hash line for an MQTT user of the broker  生成 MQTT 用户口令', load: () => import('../broker/mqtt/passwd.ts') },
  user: { summary: 'people who log in to the live page and API: add, list, disable, passwd, token  用户与令牌', load: () => import('../broker/accounts/cli.ts') },
  import: { summary: 'county spreadsheet (.xlsx/.csv) into registry.yaml and parties.yaml  台账导入', load: () => import('../broker/parties/import-cli.ts') },
  drill: { summary: 'emergency drill through the running broker: a simulated entrapment, times reached  应急演练', load: () => import('../broker/incidents/drill-cli.ts') },
  report: { summary: 'monthly report per township and county from the running broker, .xlsx or .json  月度报表', load: () => import('../broker/records/report-cli.ts') },
  labels: { summary: 'printable QR labels of a building\'s cars, to their public pages  二维码标签', load: () => import('../broker/records/labels-cli.ts') },
  sim: { summary: 'simulated elevator controllers over Modbus TCP / RTU  模拟电梯控制器', load: () => import('../simulators/main.ts') },
}

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)}${c.summary}`)
  return `LiftWatch 电梯安全监测\n\nusage: liftwatch <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nliftwatch <command> --help for its options\n`
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv
  if (process.env[STOP_WITH_PARENT_ENV] === 'stdin') stopWhenStdinCloses()
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage())
    return
  }
  const command = COMMANDS[name]
  if (!command) {
    process.stderr.write(`liftwatch: unknown command "${name}"\n\n${usage()}`)
    process.exitCode = 2
    return
  }
  await (await command.load()).main(rest)
}
