// The demo's parts as child processes (`liftwatch broker|sim|gateway`): started one after another,
// each ready when it logs its start-up line; a part that exits first fails the demo with its own
// reason. Their warnings and errors are shown prefixed once the demo is up. They stop in order —
// broker, gateways, simulator — and die with the demo even if it is killed (bin/parent-watch.ts).
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { STOP_WITH_PARENT_ENV } from './parent-watch.ts'

/** A part exited before it was up, or while the demo ran. */
export class PartFailed extends Error {
  readonly code = 'LW_ERR_DEMO_PART'
  constructor(readonly part: string, readonly reason: string) {
    super(`${part}: ${reason}`)
  }
}

interface Part {
  readonly name: string
  readonly proc: ChildProcess
  readonly exited: Promise<void>
  /** the last error the part reported, for the one line that says why it failed: its CLI's own message, else its log's */
  cliError: string | undefined
  logError: string | undefined
}

// a part that has not stopped this long after SIGTERM is killed, so every port is free within 5 s
const KILL_AFTER_MS = 3000
const PINO_WARN = 40
const PINO_ERROR = 50

export class DemoParts {
  private readonly parts: Part[] = []
  private live = false
  private stopping: Promise<void> | undefined

  /**
   * `print`: a line for the terminal; `died`: a part exited while the demo was up.
   */
  constructor(private readonly liftwatch: string, private readonly print: (line: string) => void,
    private readonly died: (failure: PartFailed) => void) {}

  /** Starts `liftwatch …args` and resolves once it logs `readyMsg`; rejects with PartFailed if it exits first. */
  start(name: string, args: string[], readyMsg: string): Promise<void> {
    // its own process group: a terminal's Ctrl-C reaches the demo, which stops the parts in order
    const proc = spawn(process.execPath, [this.liftwatch, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: { ...process.env, [STOP_WITH_PARENT_ENV]: 'stdin' },
    })
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    const part: Part = { name, proc, exited, cliError: undefined, logError: undefined }
    this.parts.push(part)
    return new Promise((resolve, reject) => {
      let up = false
      const onLine = (line: string) => {
        const shown = this.line(part, line)
        if (!up && line.includes(`"msg":"${readyMsg}"`)) { up = true; resolve() }
        if (shown !== null && this.live && !this.stopping) this.print(`[${name}] ${shown}`)
      }
      createInterface({ input: proc.stdout! }).on('line', onLine)
      createInterface({ input: proc.stderr! }).on('line', onLine)
      proc.once('error', (err) => reject(new PartFailed(name, err.message)))
      proc.once('exit', (code, signal) => {
        const failure = new PartFailed(name, part.cliError ?? part.logError ?? `exited (${code ?? signal})`)
        if (!up) reject(failure)
        else if (!this.stopping) this.died(failure)
      })
    })
  }

  /** From now on the parts' warnings and errors go to the terminal. */
  showLogs(): void {
    this.live = true
  }

  /**
   * Idempotent. The broker first: stopping the demo is not four gateways going offline (which the
   * broker would record as communication_lost and show after the next start); what the gateways
   * sample after it is gone waits in their outboxes and is replayed on the next start.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const killer = setTimeout(() => { for (const p of this.parts) kill(p, 'SIGKILL') }, KILL_AFTER_MS)
      const stage = async (parts: Part[]) => {
        for (const p of parts) kill(p, 'SIGTERM')
        await Promise.all(parts.map((p) => p.exited))
      }
      await stage(this.parts.filter((p) => p.name === 'broker'))
      await stage(this.parts.filter((p) => p.name.startsWith('gw-')))
      await stage(this.parts.filter((p) => p.name === 'sim'))
      clearTimeout(killer)
    })()
    return this.stopping
  }

  /** Remembers the part's errors; returns what to show of a line, or null for nothing. */
  private line(part: Part, line: string): string | null {
    let rec: { level?: unknown; msg?: unknown; err?: { message?: unknown } }
    try {
      rec = JSON.parse(line) as typeof rec
    } catch {
      // not JSON: a CLI's own message, e.g. `liftwatch broker: listen EADDRINUSE …`
      if (line.trim()) part.cliError = line.replace(/^liftwatch \w+: /, '')
      return line
    }
    const level = typeof rec.level === 'number' ? rec.level : 0
    const err = typeof rec.err?.message === 'string' ? rec.err.message : undefined
    const text = `${String(rec.msg)}${err ? `: ${err}` : ''}`
    if (level >= PINO_ERROR) part.logError = text
    // warnings and errors, and the start-up lines; the rest stays in each part's own log level
    return level >= PINO_WARN || /started|listening/.test(String(rec.msg)) ? text : null
  }
}

function kill(p: Part, signal: NodeJS.Signals): void {
  if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill(signal)
}
