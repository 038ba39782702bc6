// `liftwatch sim`: serve simulated elevator controllers over Modbus TCP and, optionally, RTU.
import { UsageError, runMain, type Values } from '../core/main.ts'
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

const OPTIONS = {
  elevators: { type: 'string', default: '1' }, port: { type: 'string', default: '1502' },
  host: { type: 'string', default: '127.0.0.1' }, 'port-per-car': { type: 'boolean', default: false },
  serial: { type: 'string' }, baud: { type: 'string', default: '9600' }, scenario: { type: 'string' },
  traffic: { type: 'string', default: '0.3' }, seed: { type: 'string', default: '1' },
  region: { type: 'string', default: '330922' }, tick: { type: 'string', default: '100' },
} as const

/** Checks the parsed options; throws a UsageError naming every bad option. */
export function simArgs(values: Values): SimArgs {
  const problems: string[] = []
  const int = (name: keyof typeof OPTIONS, lo: number, hi: number): number => {
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
  const region = String(values.region)
  if (!/^[0-9]{6}$/.test(region)) problems.push(`--region: must be a 6-digit administrative code, got "${region}"`)
  if (problems.length) throw new UsageError(problems)
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined)
  return {
    elevators, port, host: String(values.host), portPerCar: values['port-per-car'] === true, serial: text(values.serial), baud,
    scenario: text(values.scenario), traffic, seed, region, tick,
  }
}

export async function main(argv: string[]): Promise<void> {
  await runMain({
    name: 'sim', help: HELP, options: OPTIONS,
    load: (values) => {
      const args = simArgs(values)
      return { args, scenario: args.scenario ? loadScenario(args.scenario) : undefined }
    },
    build: ({ args, scenario }, log) => new Simulator(
      new Fleet({ elevators: args.elevators, region: args.region, seed: args.seed, traffic: args.traffic, scenario }),
      {
        host: args.host, port: args.port, portPerCar: args.portPerCar, tickMs: args.tick,
        serial: args.serial ? { path: args.serial, baudRate: args.baud } : undefined,
      },
      log,
    ),
    start: async (sim, { args }, log) => {
      const info = await sim.start()
      log.info({ ...info, elevators: args.elevators }, 'simulator listening')
    },
  }, argv)
}
