// The root logger a part's main.ts would make (core/main.ts rootLogger: same name, level and
// redaction), writing its JSON lines into memory, where a test reads and awaits them as it reads a
// CLI's stdout (cli.ts).
import type { Logger } from 'pino'
import { rootLogger } from '../../core/main.ts'

export type LogLine = Record<string, unknown>

export interface MemoryLog {
  log: Logger
  lines: LogLine[]
  /** Resolves with the first line whose msg matches, logged before or after the call. */
  waitFor(msg: string | RegExp, timeoutMs?: number): Promise<LogLine>
}

export function memoryLog(name: string, level = 'info'): MemoryLog {
  const lines: LogLine[] = []
  const waiters = new Set<(l: LogLine) => void>()
  const log = rootLogger(name, level, {
    write(text: string) {
      for (const l of text.split('\n')) {
        if (!l) continue
        const line = JSON.parse(l) as LogLine
        lines.push(line)
        for (const w of [...waiters]) w(line)
      }
    },
  })
  const matches = (msg: string | RegExp) => (l: LogLine) => (typeof msg === 'string' ? l.msg === msg : msg.test(String(l.msg)))
  return {
    log, lines,
    waitFor(msg, timeoutMs = 20_000) {
      const found = lines.find(matches(msg))
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const check = (l: LogLine) => {
          if (!matches(msg)(l)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(l)
        }
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no "${String(msg)}" log line within ${timeoutMs} ms`)) }, timeoutMs)
        waiters.add(check)
      })
    },
  }
}
