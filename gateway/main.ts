// `liftwatch gateway --config FILE`: poll the controllers, publish to the broker, until a signal.
import { runMain } from '../core/main.ts'
import { loadGatewayConfig } from './config.ts'
import { Gateway } from './app.ts'

const HELP = `usage: liftwatch gateway --config FILE
边缘网关：经 Modbus 读取电梯控制器并通过 MQTT 上报 / edge gateway: reads elevator controllers over
Modbus and publishes to the broker over MQTT.

`

export async function main(argv: string[]): Promise<void> {
  await runMain({
    name: 'gateway', help: HELP, config: 'gateway configuration (YAML); example: deploy/examples/gateway.yaml',
    load: (values) => loadGatewayConfig(String(values.config)), build: (cfg, log) => new Gateway(cfg, log),
  }, argv)
}
