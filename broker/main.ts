// `liftwatch broker --config FILE`: the monitoring centre's host, until a signal.
import { parseArgs } from 'node:util'
import pino from 'pino'
import { loadBrokerConfig } from './config.ts'
import { Broker } from './app.ts'

const HELP = `usage: liftwatch broker --config FILE
监控中心服务端：MQTT 接入、故障检测、告警、遥测存储与实时页面 / broker host: MQTT, detectors,
alarms, telemetry storage and the live page.

  --config FILE   broker configuration (YAML); example: deploy/examples/broker.yaml
  --log-level L   trace|debug|info|warn|error (default info)
`

export async function main(argv: string[]): Promise<void> {
  let values
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'log-level': { type: 'string', default: 'info' }, help: { type: 'boolean', short: 'h' } } }))
  } catch (err) {
    process.stderr.write(`liftwatch broker: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (values.help) { process.stdout.write(HELP); return }
  if (!values.config) {
    process.stderr.write(`liftwatch broker: --config FILE is required\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  let cfg
  try {
    cfg = loadBrokerConfig(values.config)
  } catch (err) {
    const problems = (err as { problems?: { path: string; message: string }[] }).problems
    if (!problems) throw err
    process.stderr.write(`liftwatch broker: 配置无效 / invalid configuration: ${values.config}\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`)
    process.exitCode = 2
    return
  }
  const log = pino({ name: 'liftwatch-broker', level: values['log-level'], redact: ['*.password', '*.token', '*.hash'] })
  const broker = new Broker(cfg, log)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'broker stopping')
    await broker.stop()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    await broker.start()
  } catch (err) {
    log.error({ err }, 'broker failed to start')
    process.stderr.write(`liftwatch broker: ${(err as Error).message}\n`)
    await broker.stop()
    process.exitCode = 1
  }
}
