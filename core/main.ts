// The runner every `liftwatch <command>` main.ts hands itself to: arguments, --help, the
// configuration, one root logger, start, and a stop on SIGINT/SIGTERM. Exit codes: 0 after a
// signal's clean stop, 1 when starting or stopping failed, 2 for bad arguments or configuration
// (a message, never a stack trace: whoever typed the command has something to fix).
import { parseArgs, type ParseArgsConfig } from 'node:util'
import pino, { type DestinationStream, type Logger } from 'pino'
import { formatProblems } from '../protocol/index.ts'
import { ConfigError } from './config.ts'
import { CoreError, CoreErrorCode } from './errors.ts'

export type { Logger }

/** Bad command-line arguments, each problem `--option: message`. */
export class UsageError extends CoreError {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(CoreErrorCode.Usage, `invalid options\n${problems.map((p) => `  ${p}`).join('\n')}`, { problems })
    this.problems = problems
  }
}

export interface Runnable {
  start(): Promise<unknown>
  stop(): Promise<unknown>
}

type Options = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>

export interface MainSpec<C, A extends Runnable> {
  /** The command (`broker`): messages read `liftwatch broker: …`, the logger is `liftwatch-broker`. */
  name: string
  help: string
  /** The command's own options; --help, --log-level and (with `config`) --config are added. */
  options?: Options
  /** What the required --config FILE holds, for the help (`gateway configuration (YAML)`). */
  config?: string
  /** Reads and checks the configuration: a ConfigError or UsageError ends with exit 2. */
  load(values: Values, log: Logger): C
  /** Wires the part; opens nothing. */
  build(cfg: C, log: Logger): A
  /** Starts it; the default awaits `app.start()`. */
  start?(app: A, cfg: C, log: Logger): Promise<void>
  /** On SIGHUP: re-read what can change without a restart (the broker's registry and parties). */
  reload?(app: A, log: Logger): void
}

/** Everything the runner touches outside itself, so tests can run it in-process. */
export interface MainIo {
  stdout(text: string): void
  stderr(text: string): void
  exit(code: number): void
  signals: { on(signal: NodeJS.Signals, fn: (s: NodeJS.Signals) => void): unknown; off(signal: NodeJS.Signals, fn: (s: NodeJS.Signals) => void): unknown }
  /** Where log lines go (default stdout). */
  log?: DestinationStream
}

export const processIo: MainIo = {
  stdout: (text) => { process.stdout.write(text) },
  stderr: (text) => { process.stderr.write(text) },
  // stdout and stderr are synchronous for files and pipes, so nothing written is lost
  exit: (code) => process.exit(code),
  signals: process,
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

const SECRETS = ['password', 'token', 'hash', 'secret']
// pino redacts exact paths; secrets sit at most a few objects deep in what we log
const REDACT = SECRETS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`])

const COMMON_HELP = `  --log-level L   ${LOG_LEVELS.join('|')} (default info)
  -h, --help      this text
`
const configHelp = (what: string | undefined) => (what ? `  --config FILE   ${what}\n` : '')

/** The root logger of a part; every other logger is a child of it. */
export function rootLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const opts = { name: `liftwatch-${name}`, level, redact: { paths: REDACT, censor: '[redacted]' } }
  return destination ? pino(opts, destination) : pino(opts)
}

export interface Running<A> {
  app: A
  /** Idempotent: the first call stops the app, later calls wait for that stop. */
  stop(reason: string): Promise<void>
}

/** Runs a part until a signal; resolves once it has started (or failed to). */
export async function runMain<C, A extends Runnable>(spec: MainSpec<C, A>, argv: string[], io: MainIo = processIo): Promise<Running<A> | undefined> {
  const prefix = `liftwatch ${spec.name}: `
  const help = `${spec.help}${configHelp(spec.config)}${COMMON_HELP}`
  const usage = (message: string) => {
    io.stderr(`${prefix}${message}\n\n${help}`)
    io.exit(2)
  }
  let values: Values
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        ...spec.options,
        ...(spec.config ? { config: { type: 'string' } } : {}),
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (err) {
    // parseArgs throws TypeError with a readable message for unknown or malformed options
    usage((err as Error).message)
    return undefined
  }
  if (values.help) { io.stdout(help); return undefined }
  const level = String(values['log-level'])
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    usage(`--log-level: must be one of ${LOG_LEVELS.join(', ')}, got "${level}"`)
    return undefined
  }
  if (spec.config && typeof values.config !== 'string') {
    usage('--config FILE is required')
    return undefined
  }
  const log = rootLogger(spec.name, level, io.log)
  let cfg: C
  try {
    cfg = spec.load(values, log)
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${prefix}配置无效 / invalid configuration: ${err.file}\n${formatProblems(err.problems, { indent: '  ' })}\n`)
    } else if (err instanceof UsageError) {
      io.stderr(`${prefix}${err.message}\n`)
    } else {
      log.error({ err }, `${spec.name} configuration failed`)
      io.stderr(`${prefix}${(err as Error).message}\n`)
      io.exit(1)
      return undefined
    }
    io.exit(2)
    return undefined
  }

  const app = spec.build(cfg, log)
  let stopped: Promise<void> | undefined
  const stop = (reason: string): Promise<void> => {
    // a second signal while stopping waits for the same stop instead of killing the process
    stopped ??= (async () => {
      log.info({ reason }, `${spec.name} stopping`)
      try {
        await app.stop()
      } finally {
        for (const s of SIGNALS) io.signals.off(s, onSignal)
        if (spec.reload) io.signals.off('SIGHUP', onHangup)
      }
    })()
    return stopped
  }
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopped) return
    stop(signal).then(() => io.exit(0), (err: unknown) => {
      log.error({ err }, `${spec.name} failed to stop`)
      io.exit(1)
    })
  }
  for (const s of SIGNALS) io.signals.on(s, onSignal)
  // a reload failure is the app's to log; the process keeps serving with what it had
  const onHangup = () => { if (!stopped) spec.reload!(app, log) }
  if (spec.reload) io.signals.on('SIGHUP', onHangup)
  try {
    await (spec.start ? spec.start(app, cfg, log) : app.start())
  } catch (err) {
    log.error({ err }, `${spec.name} failed to start`)
    io.stderr(`${prefix}${(err as Error).message}\n`)
    try {
      await stop('start failed')
    } catch (stopErr) {
      log.error({ err: stopErr }, `${spec.name} failed to stop`)
    }
    io.exit(1)
    return undefined
  }
  return { app, stop }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
