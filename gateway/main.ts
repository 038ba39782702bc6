// `liftwatch gateway --config FILE`: poll the controllers, publish to the broker, until a signal.
import { parseArgs } from 'node:util'
import pino from 'pino'
import { ConfigError, loadGatewayConfig } from './config.ts'
import { Gateway } from './app.ts'
import type { GatewayError } from './errors.ts'

const HELP = `usage: liftwatch gateway --config FILE
边缘网关：经 Modbus 读取电梯控制器并通过 MQTT 上报 / edge gateway: reads elevator controllers over
Modbus and publishes to the broker over MQTT.

  --config FILE   gateway configuration (YAML); example: deploy/examples/gateway.yaml
  --log-level L   trace|debug|info|warn|error (default info)
`

export async function main(argv: string[]): Promise<void> {
  let values
  try {
    ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, 'log-level': { type: 'string', default: 'info' }, help: { type: 'boolean', short: 'h' } } }))
  } catch (err) {
    process.stderr.write(`liftwatch gateway: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (values.help) { process.stdout.write(HELP); return }
  if (!values.config) {
    process.stderr.write(`liftwatch gateway: --config FILE is required\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  let cfg
  try {
    cfg = loadGatewayConfig(values.config)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`liftwatch gateway: 配置无效 / invalid configuration: ${err.file}\n${err.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`)
    process.exitCode = 2
    return
  }
  const log = pino({ name: 'liftwatch-gateway', level: values['log-level'], redact: ['mqtt.password', '*.password'] })
  const gateway = new Gateway(cfg, log)
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'gateway stopping')
    await gateway.stop()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    await gateway.start()
  } catch (err) {
    const e = err as GatewayError
    log.error({ err: e, code: e.code }, 'gateway failed to start')
    process.stderr.write(`liftwatch gateway: ${e.message}\n`)
    await gateway.stop()
    process.exitCode = 1
  }
}
