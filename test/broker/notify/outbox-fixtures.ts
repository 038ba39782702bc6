// Outbox rows, a temp response store, a programmable Send, captured pino lines, and virtual time
// stepped one due instant at a time with promises settled in between (broker/notify/dispatcher.ts).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import type { ChannelKind } from '../../../broker/parties/schema.ts'
import type { Message, OutboxItem, ResolvedEndpoint, SendResult } from '../../../broker/notify/types.ts'

export const MIN = 60_000
export const HOUR = 60 * MIN

export const tempDbPath = (): string => join(mkdtempSync(join(tmpdir(), 'lw-notify-')), 'response.db')

export const message = (text: string): Message => ({
  title: '电梯困人 · 沙河路18号 3号楼',
  text,
  markdown: `**${text}**`,
  mobiles: ['13800000000'],
  sms: { address: '沙河路18号' },
  facts: { elevatorId: 'E1' },
})

export function item(id: string, endpointId: string, createdAt: number, over: Partial<OutboxItem> = {}): OutboxItem {
  return {
    id,
    incidentId: 'inc-1',
    notificationId: `n-${id}`,
    role: 'maintenance',
    partyId: 'mu-1',
    partyName: '维保一公司',
    channel: 'wecom',
    endpointId,
    message: message(`TEXT-${id}`),
    drill: false,
    createdAt,
    state: 'pending',
    attempts: 0,
    nextAt: createdAt,
    ...over,
  }
}

export const SECRET = 'SECRET-KEY-123'
export const endpointOf = (id: string, kind: ChannelKind = 'wecom'): ResolvedEndpoint => ({
  id,
  kind,
  url: `https://robot.example/send?key=${SECRET}`,
  secretValue: SECRET,
})

export const ok: SendResult = { ok: true, retryable: false, detail: 'HTTP 200 errcode 0' }
export const http500: SendResult = { ok: false, retryable: true, detail: 'HTTP 500' }
export const busy: SendResult = { ok: false, retryable: true, detail: 'errcode 45009', retryAfterMs: MIN }
export const badKey: SendResult = { ok: false, retryable: false, detail: 'errcode 93000 invalid webhook url' }

export interface Call { readonly id: string; readonly endpointId: string; readonly at: number }

/** A Send answering `answer(item, now)`; a Promise answer stays in flight until it settles. */
export function programmable(now: () => number, answer: (it: OutboxItem, at: number) => SendResult | Promise<SendResult>) {
  const calls: Call[] = []
  const send = async (it: OutboxItem, ep: ResolvedEndpoint): Promise<SendResult> => {
    calls.push({ id: it.id, endpointId: ep.id, at: now() })
    return answer(it, now())
  }
  return { calls, send }
}

export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => { resolve = r })
  return { promise, resolve }
}

export function captureLog(): { log: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = []
  const raw: string[] = []
  const log = pino({ level: 'debug' }, { write: (s: string) => { raw.push(s); lines.push(JSON.parse(s) as Record<string, unknown>) } })
  return { log, lines, raw }
}

/** Lets promise chains (a send answering, its result written, the next pass kicked) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r))
}

export class VirtualClock {
  readonly scheduler = new VirtualTimeScheduler(VirtualAction, Infinity)

  /** A clock whose time starts at `t` (a new process after a crash). */
  static at(t: number): VirtualClock {
    const c = new VirtualClock()
    c.scheduler.schedule(() => undefined, t)
    c.scheduler.flush()
    return c
  }

  now = (): number => this.scheduler.now()

  /** Runs virtual time up to `t`, one due instant at a time, settling promises after each. */
  async runTo(t: number): Promise<void> {
    const s = this.scheduler
    if (t > s.frame) s.schedule(() => undefined, t - s.frame)
    for (;;) {
      await settle()
      const next = s.actions[0]
      if (!next || next.delay > t) break
      s.maxFrames = next.delay
      s.flush()
    }
    s.maxFrames = Infinity
  }

  runFor(ms: number): Promise<void> {
    return this.runTo(this.scheduler.frame + ms)
  }
}
