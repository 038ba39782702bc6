// `liftwatch broker --config FILE`: the monitoring centre's host, until a signal.
import { runMain } from '../core/main.ts'
import { loadBrokerConfig } from './config.ts'
import { Broker } from './app.ts'

const HELP = `usage: liftwatch broker --config FILE
监控中心服务端：MQTT 接入、故障检测、告警、遥测存储与实时页面 / broker host: MQTT, detectors,
alarms, telemetry storage and the live page.

`

export async function main(argv: string[]): Promise<void> {
  await runMain({
    name: 'broker', help: HELP, config: 'broker configuration (YAML); example: deploy/examples/broker.yaml',
    load: (values) => loadBrokerConfig(String(values.config)), build: (cfg, log) => new Broker(cfg, log),
  }, argv)
}
