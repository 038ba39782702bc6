// The real broker host (broker/app.ts) built from a configuration object and started in this
// process, on ports the OS picks: what `liftwatch broker --config FILE` runs, without the process
// start-up. Its log lines go into memory.
import { Broker, type BrokerPorts } from '../../broker/app.ts'
import { parseBrokerConfig } from '../../broker/config.ts'
import { memoryLog, type LogLine } from './memory-log.ts'

export interface BrokerRun {
  broker: Broker
  ports: BrokerPorts
  /** mqtt://127.0.0.1:<tcp listener> */
  url: string
  lines: LogLine[]
  waitFor(msg: string | RegExp, timeoutMs?: number): Promise<LogLine>
  stop(): Promise<void>
}

/** `config` is what broker.yaml would hold; listeners and HTTP on port 0 unless it says otherwise. */
export async function startBrokerApp(config: Record<string, unknown>, file = '(test broker config)'): Promise<BrokerRun> {
  const { log, lines, waitFor } = memoryLog('broker')
  const broker = new Broker(parseBrokerConfig({ http: { host: '127.0.0.1', port: 0 }, ...config }, file), log)
  let ports: BrokerPorts
  try {
    ports = await broker.start()
  } catch (err) {
    await broker.stop()
    throw err
  }
  return { broker, ports, url: `mqtt://127.0.0.1:${ports.mqtt.tcp}`, lines, waitFor, stop: () => broker.stop() }
}
