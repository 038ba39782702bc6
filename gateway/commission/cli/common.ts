// Shared by `liftwatch probe` and `liftwatch commission`: option checks, the link's logger, the
// bilingual way a CLI gives up.
import pino, { type Logger } from 'pino'
import { ConfigError, loadGatewayConfig, type ElevatorConfig, type GatewayConfig, type LinkConfig } from '../../config.ts'
import { GatewayError } from '../../errors.ts'
import { loadProfileChecked } from '../../profiles.ts'
import { formatProblems, type Profile } from '../../../protocol/index.ts'
import { LANGS, bilingual, langFromEnv, type Lang, type Text } from '../i18n.ts'

export class Problems {
  readonly list: string[] = []
  int(option: string, raw: string | undefined, lo: number, hi: number, def: number): number {
    if (raw === undefined) return def
    const n = Number(raw)
    if (!Number.isInteger(n) || n < lo || n > hi) this.list.push(`--${option}: must be an integer ${lo}…${hi}, got "${raw}"`)
    return n
  }
  lang(raw: string | undefined): Lang {
    if (raw === undefined) return langFromEnv(process.env)
    if (!(LANGS as readonly string[]).includes(raw)) this.list.push(`--lang: must be one of ${LANGS.join(', ')}, got "${raw}"`)
    return raw as Lang
  }
}

/** Prints the problem in both languages and sets the exit code. */
export function fail(command: string, t: Text, exitCode: number, detail: string[] = []): void {
  process.stderr.write(`liftwatch ${command}: ${bilingual(t).replace('\n', `\nliftwatch ${command}: `)}\n${detail.map((d) => `  ${d}\n`).join('')}`)
  process.exitCode = exitCode
}

export function usageProblems(command: string, problems: string[], help: string): void {
  fail(command, { zh: '选项无效', en: 'invalid options' }, 2, problems)
  process.stderr.write(`\n${help}`)
}

export interface LogTap {
  readonly log: Logger
  /** the cause of the last warning or error logged */
  lastProblem(): string | undefined
}

/** The link's logger keeps its last complaint for the installer; with `echo` lines also go to stderr. */
export function tapLogger(name: string, echo: boolean): LogTap {
  let last: string | undefined
  const log = pino({ name, level: echo ? 'debug' : 'info' }, {
    write(line: string) {
      if (echo) process.stderr.write(line)
      let rec: { level?: number; msg?: string; err?: { message?: string; cause?: { message?: string } } }
      try { rec = JSON.parse(line) } catch { return }
      // the innermost cause is what an installer can act on (ECONNREFUSED, ENOENT /dev/ttyUSB0)
      if ((rec.level ?? 0) >= 40) last = rec.err?.cause?.message ?? rec.err?.message ?? rec.msg
    },
  })
  return { log, lastProblem: () => last }
}

export function unreachable(command: string, link: string, waitedMs: number, why: string | undefined): void {
    fail(command, {
    zh: `无法连接 ${link}（${waitedMs / 1000} 秒内未连上${why ? `：${why}` : ''}）。请检查地址和端口、网线或串口设备、波特率和校验位。`,
    en: `cannot reach ${link} (no connection within ${waitedMs / 1000} s${why ? `: ${why}` : ''}). Check the host and port, the cable or serial device, baud rate and parity.`,
  }, 1)
}

export function loadConfigOrFail(command: string, file: string): Readonly<GatewayConfig> | undefined {
  try {
    return loadGatewayConfig(file)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    fail(command, { zh: `配置无效：${err.file}`, en: `invalid configuration: ${err.file}` }, 2, formatProblems(err.problems).split('\n'))
    return undefined
  }
}

export function loadProfileOrFail(command: string, name: string): Profile | undefined {
  try {
    const loaded = loadProfileChecked(name)
    for (const w of loaded.warnings) process.stderr.write(`liftwatch ${command}: 注意 warning: ${w}\n`)
    return loaded.profile
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err
    fail(command, { zh: `点位配置无效：${name}`, en: `invalid profile: ${name}` }, 2, err.message.split('\n'))
    return undefined
  }
}

/** The link an elevator of the configuration is on. */
export function elevatorLink(cfg: Readonly<GatewayConfig>, e: ElevatorConfig): LinkConfig {
  return cfg.links.find((l) => l.id === e.link)! // parseGatewayConfig checked the reference
}
