// `liftwatch probe`: every mapped point of one unit, decoded beside its raw registers/bits, live;
// or `--scan` for the unit ids that answer on a link.
import { parseArgs } from 'node:util'
import logUpdate from 'log-update'
import type { Profile } from '../../../protocol/index.ts'
import type { LinkConfig } from '../../config.ts'
import { ModbusLink } from '../../modbus/link.ts'
import { builtinProfiles } from '../../profiles.ts'
import { describeLink, linkConfigFrom, waitConnected } from '../link-options.ts'
import { UnitPoller, type Sample } from '../unit-poller.ts'
import { renderProbe } from '../render.ts'
import type { Lang } from '../i18n.ts'
import { Problems, elevatorLink, fail, loadConfigOrFail, loadProfileOrFail, tapLogger, unreachable, usageProblems } from './common.ts'
import { runScan } from './scan.ts'

const HELP = `usage: liftwatch probe (--host H --port P | --serial DEV | --config FILE --elevator ID) [options]
现场调试：实时查看每个点位的原始寄存器/位与解码值 / live view of every mapped point, raw beside decoded

链路 link:
  --host H --port P        Modbus TCP
  --rtu-over-tcp           RTU frames through a transparent serial server (with --host/--port)
  --serial DEV             Modbus RTU on a serial device, e.g. /dev/ttyUSB0
  --baud B                 serial baud rate (default 9600)
  --parity none|even|odd   serial parity (default none)
  --config FILE --elevator ID
                           take link, unit id and profile from a gateway configuration
读取 reading:
  --unit N                 unit id (default 1)
  --profile NAME|FILE      controller profile (default liftwatch-ref; built in: ${builtinProfiles().join(', ')})
  --interval MS            refresh interval (default 500)
  --timeout MS             per-request timeout (default 1000; with --scan 200)
  --connect-timeout MS     give up when the link does not connect within this (default 3000)
输出 output:
  --once                   print one snapshot and exit (exit 1 when the unit does not answer)
  --json                   JSON: with --once one snapshot; live, one line per poll
  --lang zh|en|both        language of the screen (default from LANG)
  --verbose                link log lines on stderr
扫描 scan:
  --scan                   find the unit ids that answer, then exit
  --from N --to N          ids to try (default 1…247)
`

export interface ProbeArgs {
  link: LinkConfig; unitId: number; profile: Profile; intervalMs: number; connectTimeoutMs: number
  once: boolean; json: boolean; lang: Lang; verbose: boolean
  scan?: { from: number; to: number; timeoutMs: number }
}

const OPTIONS = {
  host: { type: 'string' }, port: { type: 'string' }, 'rtu-over-tcp': { type: 'boolean', default: false },
  serial: { type: 'string' }, baud: { type: 'string' }, parity: { type: 'string' },
  config: { type: 'string' }, elevator: { type: 'string' },
  unit: { type: 'string' }, profile: { type: 'string' }, interval: { type: 'string' }, timeout: { type: 'string' },
  'connect-timeout': { type: 'string' }, once: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
  lang: { type: 'string' }, verbose: { type: 'boolean', default: false },
  scan: { type: 'boolean', default: false }, from: { type: 'string' }, to: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

/** Options checked and resolved (config, profile); undefined when a problem was reported. */
function parse(argv: string[]): ProbeArgs | 'help' | undefined {
  let values
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }))
  } catch (err) {
    usageProblems('probe', [(err as Error).message], HELP)
    return undefined
  }
  if (values.help) return 'help'
  const p = new Problems()
  const scanning = values.scan
  const timeoutMs = p.int('timeout', values.timeout, 10, 60_000, scanning ? 200 : 1000)
  let link: LinkConfig | undefined
  let unitId = p.int('unit', values.unit, 1, 255, 1)
  let profileName = values.profile ?? 'liftwatch-ref'
  if (values.config) {
    if (values.host || values.serial) p.list.push('--config: give the link by --config/--elevator or by --host/--serial, not both')
    if (!values.elevator) p.list.push('--elevator: is required with --config')
    if (p.list.length) { usageProblems('probe', p.list, HELP); return undefined }
    const cfg = loadConfigOrFail('probe', values.config)
    if (!cfg) return undefined
    const e = cfg.elevators.find((x) => x.id === values.elevator)
    if (!e) {
      fail('probe', { zh: `配置中没有电梯 ${values.elevator}`, en: `no elevator ${values.elevator} in ${values.config}` }, 2, cfg.elevators.map((x) => x.id))
      return undefined
    }
    link = { ...elevatorLink(cfg, e), ...(values.timeout ? { timeoutMs } : {}) }
    if (!values.unit) unitId = e.unitId
    if (!values.profile) profileName = e.profile
  } else {
    const built = linkConfigFrom({
      host: values.host, port: values.port === undefined ? undefined : p.int('port', values.port, 1, 65535, 502),
      serial: values.serial, baud: values.baud === undefined ? undefined : p.int('baud', values.baud, 300, 4_000_000, 9600),
      parity: values.parity, rtuOverTcp: values['rtu-over-tcp'], timeoutMs,
    })
    if ('problems' in built) p.list.push(...built.problems)
    else link = built.config
  }
  const from = p.int('from', values.from, 1, 255, 1)
  const to = p.int('to', values.to, 1, 255, 247)
  if (from > to) p.list.push('--from: must not be above --to')
  const args = {
    unitId, intervalMs: p.int('interval', values.interval, 50, 3_600_000, 500),
    connectTimeoutMs: p.int('connect-timeout', values['connect-timeout'], 100, 600_000, 3000),
    once: values.once, json: values.json, lang: p.lang(values.lang), verbose: values.verbose,
  }
  if (!scanning && (unitId < 1 || unitId > 247) && link?.transport !== 'tcp') p.list.push('--unit: RTU unit ids are 1…247')
  if (p.list.length || !link) { usageProblems('probe', p.list, HELP); return undefined }
  const profile = loadProfileOrFail('probe', profileName)
  if (!profile) return undefined
  return { ...args, link, profile, ...(scanning ? { scan: { from, to, timeoutMs } } : {}) }
}

export function snapshotJson(a: ProbeArgs, s: Sample): Record<string, unknown> {
  return {
    v: 1, ts: new Date(s.ts).toISOString(), link: describeLink(a.link), unit: a.unitId,
    profile: { name: a.profile.name, addressBase: a.profile.addressBase },
    connected: s.connected, fresh: s.fresh, latencyMs: s.latencyMs, stats: s.stats, ...(s.error ? { error: s.error } : {}),
    values: s.snapshot?.values ?? {},
    points: (s.snapshot?.rows ?? []).map((r) => ({ ...r, value: r.value ?? null })),
  }
}

export async function main(argv: string[]): Promise<void> {
  const args = parse(argv)
  if (args === 'help') { process.stdout.write(HELP); return }
  if (!args) return
  const tap = tapLogger('liftwatch-probe', args.verbose)
  const link = new ModbusLink(args.link, tap.log)
  const where = describeLink(args.link)
  link.start()
  try {
    if (!(await waitConnected(link, args.connectTimeoutMs))) {
      unreachable('probe', where, args.connectTimeoutMs, tap.lastProblem())
      return
    }
    if (args.scan) await runScan(link, args, where)
    else if (args.once) await once(link, args, where)
    else await live(link, args, where)
  } finally {
    await link.stop()
  }
}

async function once(link: ModbusLink, a: ProbeArgs, where: string): Promise<void> {
  const sample = await new UnitPoller(link, a.unitId, a.profile).poll()
  if (a.json) process.stdout.write(`${JSON.stringify(snapshotJson(a, sample), null, 2)}\n`)
  else process.stdout.write(`${renderProbe({ lang: a.lang, link: where, unitId: a.unitId, profile: a.profile, sample, connected: link.connected, columns: Infinity })}\n`)
  if (!sample.fresh) {
    const why = sample.error?.text ?? 'no data'
    fail('probe', { zh: `从站 ${a.unitId} 无有效应答（${why}）`, en: `unit ${a.unitId} gave no data (${why})` }, 1)
  }
}

/** Refreshes in place until Ctrl-C (or SIGTERM). */
async function live(link: ModbusLink, a: ProbeArgs, where: string): Promise<void> {
  const poller = new UnitPoller(link, a.unitId, a.profile)
  const tty = process.stdout.isTTY && !a.json
  const draw = (sample: Sample | undefined) => {
    if (a.json && sample) { process.stdout.write(`${JSON.stringify(snapshotJson(a, sample))}\n`); return }
    const screen = renderProbe({
      lang: a.lang, link: where, unitId: a.unitId, profile: a.profile, sample, connected: link.connected,
      columns: tty ? process.stdout.columns || 120 : Infinity,
    })
    if (tty) logUpdate(screen)
    else process.stdout.write(`${screen}\n\n`)
  }
  draw(undefined)
  poller.start(a.intervalMs, draw)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
  await poller.stop()
  if (tty) logUpdate.done()
}
