// `liftwatch broker --config FILE`: the monitoring centre's host, until a signal.
import { runMain } from '../core/main.ts'
import { ConfigError, loadBrokerConfig } from './config.ts'
import { plainHttpRefusal } from './http/hosts.ts'
import { Broker } from './app.ts'

const HELP = `usage: liftwatch broker --config FILE
监控中心服务端：MQTT 接入、故障检测、告警、遥测存储与实时页面 / broker host: MQTT, detectors,
alarms, telemetry storage and the live page.

  --insecure-http serve logins over plain HTTP on a non-loopback http.host (a TLS proxy in
                  front); the same as http.insecureHttp: true. See docs/deploy.md
`

export async function main(argv: string[]): Promise<void> {
  await runMain({
    name: 'broker', help: HELP, config: 'broker configuration (YAML); example: deploy/examples/broker.yaml',
    options: { 'insecure-http': { type: 'boolean', default: false } },
    load: (values) => {
      const file = String(values.config)
      const cfg = loadBrokerConfig(file)
      const http = { ...cfg.http, insecureHttp: cfg.http.insecureHttp || values['insecure-http'] === true }
      const refusal = plainHttpRefusal(http)
      if (refusal) throw new ConfigError(file, [{ path: 'http.host', message: refusal }])
      return { ...cfg, http }
    },
    build: (cfg, log) => new Broker(cfg, log),
    // `kill -HUP`: registry and parties re-read; connections stay (docs/import.md#reload)
    reload: (broker) => { broker.reload() },
  }, argv)
}
