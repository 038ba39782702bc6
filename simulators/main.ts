// `liftwatch sim`: serve simulated elevator controllers over Modbus TCP and, optionally, RTU.
import { parseArgs } from 'node:util'
import pino from 'pino'
import { Fleet } from './fleet.ts'
import { Simulator } from './app.ts'
import { loadScenario } from './scenario.ts'

const HELP = `usage: liftwatch sim [options]
模拟电梯控制器 / simulated elevator controllers (register map: docs/register-map.md)

  --elevators N      cars to simulate (default 1); unit ids 1…247 per TCP port
  --port P           first Modbus TCP port (default 1502; 0 = the OS picks)
  --host H           address to listen on (default 127.0.0.1)
  --port-per-car     one port per car (P, P+1, …), each car unit id 1
  --serial DEVICE    also serve Modbus RTU on this serial device (cars as unit ids 1…N)
  --baud B           serial baud rate (default 9600)
  --scenario FILE    run a fault scenario (simulators/scenarios/*.yaml) on car 1
  --traffic X        passenger traffic intensity 0…1 (default 0.3; 0 = idle cars)
  --seed S           random seed (default 1)
  --region CODE      6-digit region code used in the cars' registration codes (default 330922)
  --tick MS          model step in milliseconds (default 100)
`

export interface SimArgs {
  elevators: number; port: number; host: string; portPerCar: boolean; serial?: string; baud: number
  scenario?: string; traffic: number; seed: number; region: string; tick: number
}

/** Parses and checks the command line; every problem named by its option. */
export function parseSimArgs(argv: string[]): { args: SimArgs } | { problems: string[] } | { help: true } {
  const { values } = parseArgs({
    args: argv, strict: true, allowPositionals: false,
    options: {
      elevators: { type: 'string', default: '1' }, port: { type: 'string', default: '1502' },
      host: { type: 'string', default: '127.0.0.1' }, 'port-per-car': { type: 'boolean', default: false },
      serial: { type: 'string' }, baud: { type: 'string', default: '9600' }, scenario: { type: 'string' },
      traffic: { type: 'string', default: '0.3' }, seed: { type: 'string', default: '1' },
      region: { type: 'string', default: '330922' }, tick: { type: 'string', default: '100' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (values.help) return { help: true }
  const problems: string[] = []
  const int = (name: keyof typeof values, lo: number, hi: number): number => {
    const n = Number(values[name])
    if (!Number.isInteger(n) || n < lo || n > hi) problems.push(`--${name}: must be an integer ${lo}…${hi}, got "${values[name]}"`)
    return n
  }
  const elevators = int('elevators', 1, 10_000)
  const port = int('port', 0, 65535)
  const baud = int('baud', 300, 4_000_000)
  const seed = int('seed', 0, 2 ** 31 - 1)
  const tick = int('tick', 10, 10_000)
  const traffic = Number(values.traffic)
  if (!(traffic >= 0 && traffic <= 1)) problems.push(`--traffic: must be a number 0…1, got "${values.traffic}"`)
  if (!/^[0-9]{6}$/.test(values.region!)) problems.push(`--region: must be a 6-digit administrative code, got "${values.region}"`)
  if (problems.length) return { problems }
  return {
    args: {
      elevators, port, host: values.host!, portPerCar: values['port-per-car']!, serial: values.serial, baud,
      scenario: values.scenario, traffic, seed, region: values.region!, tick,
    },
  }
}

export async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseSimArgs>
  try {
    parsed = parseSimArgs(argv)
  } catch (err) {
    process.stderr.write(`liftwatch sim: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if ('help' in parsed) { process.stdout.write(HELP); return }
  if ('problems' in parsed) {
    process.stderr.write(`liftwatch sim: invalid options\n${parsed.problems.map((p) => `  ${p}`).join('\n')}\n`)
    process.exitCode = 2
    return
  }
  const { args } = parsed
  const log = pino({ name: 'liftwatch-sim' })
  let scenario
  if (args.scenario) {
    try {
      scenario = loadScenario(args.scenario)
    } catch (err) {
      process.stderr.write(`liftwatch sim: ${(err as Error).message}\n`)
      process.exitCode = 2
      return
    }
  }
  const fleet = new Fleet({ elevators: args.elevators, region: args.region, seed: args.seed, traffic: args.traffic, scenario })
  const sim = new Simulator(fleet, {
    host: args.host, port: args.port, portPerCar: args.portPerCar, tickMs: args.tick,
    serial: args.serial ? { path: args.serial, baudRate: args.baud } : undefined,
  }, log)
  const stop = async (signal: string) => {
    log.info({ signal }, 'simulator stopping')
    await sim.stop()
    process.exit(0)
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    const info = await sim.start()
    log.info({ ...info, elevators: args.elevators }, 'simulator listening')
  } catch (err) {
    log.error({ err }, 'simulator failed to start')
    await sim.stop()
    process.exitCode = 1
  }
}
