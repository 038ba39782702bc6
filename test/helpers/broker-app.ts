// The real broker host (broker/app.ts) built from a configuration object and started in this
// process, on ports the OS picks: what `liftwatch broker --config FILE` runs, without the process
// start-up. Its log lines go into memory. Unless the config says otherwise, its accounts are in
// a temp file seeded with TEST_ADMIN (test/helpers/accounts.ts), as whom login() signs in, and
// with `users`.
import { Broker, type BrokerPorts } from '../../broker/app.ts'
import { parseBrokerConfig } from '../../broker/config.ts'
import { memoryLog, type LogLine } from './memory-log.ts'
import { seedAccounts, tempAccountsPath, TEST_ADMIN, type TestUser } from './accounts.ts'
import { login, type HttpSession } from './http-login.ts'

export interface BrokerRun {
  broker: Broker
  ports: BrokerPorts
  /** mqtt://127.0.0.1:<tcp listener> */
  url: string
  /** http://127.0.0.1:<http port> */
  base: string
  lines: LogLine[]
  /** a session of TEST_ADMIN, or of the given seeded user */
  login(username?: string, password?: string): Promise<HttpSession>
  waitFor(msg: string | RegExp, timeoutMs?: number): Promise<LogLine>
  stop(): Promise<void>
}

/** `config` is what broker.yaml would hold; listeners and HTTP on port 0 unless it says otherwise. */
export async function startBrokerApp(config: Record<string, unknown>, file = '(test broker config)', users: TestUser[] = []): Promise<BrokerRun> {
  const { log, lines, waitFor } = memoryLog('broker')
  const accounts = (config.accounts ?? {}) as Record<string, unknown>
  const path = typeof accounts.path === 'string' && accounts.path !== ':memory:' ? accounts.path : tempAccountsPath()
  await seedAccounts(path, users)
  const broker = new Broker(parseBrokerConfig({ http: { host: '127.0.0.1', port: 0 }, ...config, accounts: { ...accounts, path } }, file), log)
  let ports: BrokerPorts
  try {
    ports = await broker.start()
  } catch (err) {
    await broker.stop()
    throw err
  }
  const base = `http://127.0.0.1:${ports.http}`
  return {
    broker, ports, url: `mqtt://127.0.0.1:${ports.mqtt.tcp}`, base, lines, waitFor, stop: () => broker.stop(),
    login: (username = TEST_ADMIN.username, password = TEST_ADMIN.password) => login(base, username, password),
  }
}
