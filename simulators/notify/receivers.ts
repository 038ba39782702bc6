// The outside services a notification goes to, played on 127.0.0.1 for the tests and the demo:
// WeCom and DingTalk group robots, Aliyun SMS and a generic webhook
// (docs/domain.md#notification-channels-outside-services). Each checks what the real one checks
// (checks.ts), answers a refusal the way the real one does, holds the robots to 20 messages a minute,
// and can be told to fail the next requests (program, programFor).
import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  checkDingtalk, checkSms, checkWebhook, checkWecom, successReply, type Account, type ReceiverKind, type Reply, type Req, type Verdict,
} from './checks.ts'

export type { ReceiverKind } from './checks.ts'

export interface Received {
  readonly kind: ReceiverKind
  readonly endpointId: string
  readonly at: number
  /** the parsed body: JSON for robots and webhooks, the form's fields for SMS */
  readonly body: unknown
  readonly text: string
  readonly mobiles: readonly string[]
  readonly idempotencyKey?: string
  /** a webhook delivery whose Idempotency-Key had already arrived */
  readonly duplicate: boolean
}

export interface Rejected {
  readonly kind: ReceiverKind
  readonly endpointId: string
  readonly reason: string
  readonly at: number
}

/** An answer given instead of a success: robots take errcode, SMS a Code, webhooks a status and Retry-After. */
export interface Answer {
  readonly status?: number
  readonly errcode?: number
  readonly code?: string
  readonly retryAfterS?: number
  /** never answer: the sender's timeout has to end it */
  readonly hang?: boolean
}

export interface AddedEndpoint {
  readonly id: string
  readonly url: string
  readonly secret?: string
  /** SMS: the AccessKey id */
  readonly keyId?: string
}

interface Live extends Account {
  readonly answers: Answer[]
  until?: { readonly untilMs: number; readonly answer: Answer }
  readonly sent: number[]
  readonly seenKeys: Set<string>
}

// both robots: at most 20 messages a minute each
const ROBOT_LIMIT = 20
const ROBOT_WINDOW_MS = 60_000
const RATE_LIMITED: Partial<Record<ReceiverKind, Reply>> = {
  wecom: { status: 200, body: { errcode: 45009, errmsg: 'api freq out of limit' } },
  dingtalk: { status: 200, body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' } },
}
const LABEL: Record<ReceiverKind, string> = { wecom: '企业微信', dingtalk: '钉钉', sms: '短信', webhook: 'Webhook' }
const MAX_BODY = 1 << 20

export class Receivers {
  readonly received: Received[] = []
  readonly rejected: Rejected[] = []
  private readonly now: () => number
  private readonly onMessage: ((r: Received) => void) | undefined
  private readonly byId = new Map<string, Live>()
  private readonly byToken = new Map<string, Live>()
  private readonly waiters = new Set<(r: Received) => void>()
  private server: Server | undefined
  private port = 0

  constructor(opts: { now?: () => number; onMessage?: (r: Received) => void } = {}) {
    this.now = opts.now ?? Date.now
    this.onMessage = opts.onMessage
  }

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.server) return this.port
    const server = createServer((req, res) => this.handle(req, res))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    this.port = (server.address() as AddressInfo).port
    return this.port
  }

  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** A robot, SMS account or webhook; SMS gets a key id and, without one given, a secret. */
  add(kind: ReceiverKind, id: string, secret?: string): AddedEndpoint {
    if (!this.server) throw new Error('start the receivers before adding endpoints: the URL holds the port')
    if (this.byId.has(id)) throw new Error(`receiver ${id} exists`)
    const token = kind === 'wecom' || kind === 'dingtalk' ? randomBytes(16).toString('hex') : id
    const sec = kind === 'sms' ? secret ?? randomBytes(15).toString('base64url') : secret
    const keyId = kind === 'sms' ? `LTAI${randomBytes(8).toString('hex')}` : undefined
    const acc: Live = { kind, id, token, ...(sec !== undefined ? { secret: sec } : {}), ...(keyId ? { keyId } : {}), nonces: new Set(), answers: [], sent: [], seenKeys: new Set() }
    this.byId.set(id, acc)
    if (kind === 'wecom' || kind === 'dingtalk') this.byToken.set(`${kind}:${token}`, acc)
    const base = `http://127.0.0.1:${this.port}`
    const path = { wecom: `/cgi-bin/webhook/send?key=${token}`, dingtalk: `/robot/send?access_token=${token}`, sms: `/sms/${encodeURIComponent(id)}/`, webhook: `/hook/${encodeURIComponent(id)}` }[kind]
    return { id, url: base + path, ...(sec !== undefined ? { secret: sec } : {}), ...(keyId ? { keyId } : {}) }
  }

  /** The next answers the endpoint gives instead of a success, in order. */
  program(endpointId: string, answers: readonly Answer[]): void {
    this.account(endpointId).answers.push(...answers)
  }

  /** Answer `answer` until the receiver's clock passes `untilMs`. */
  programFor(endpointId: string, untilMs: number, answer: Answer): void {
    this.account(endpointId).until = { untilMs, answer }
  }

  /** The first message received (already or later) that matches. */
  waitFor(predicate: (r: Received) => boolean, timeoutMs: number): Promise<Received> {
    const found = this.received.find(predicate)
    if (found) return Promise.resolve(found)
    return new Promise((resolve, reject) => {
      const waiter = (r: Received) => {
        if (!predicate(r)) return
        clearTimeout(timer)
        this.waiters.delete(waiter)
        resolve(r)
      }
      const timer = setTimeout(() => {
        this.waiters.delete(waiter)
        reject(new Error(`no matching message within ${timeoutMs} ms (${this.received.length} received, ${this.rejected.length} rejected)`))
      }, timeoutMs)
      this.waiters.add(waiter)
    })
  }

  private account(id: string): Live {
    const acc = this.byId.get(id)
    if (!acc) throw new Error(`no receiver ${id}`)
    return acc
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= MAX_BODY) chunks.push(c)
    })
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1')
      const r: Req = { url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const reply = req.method === 'POST' ? this.route(r) : { status: 405, body: { error: 'method not allowed' } }
      if (reply === 'hang') return
      const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)
      res.writeHead(reply.status, { 'content-type': typeof reply.body === 'string' ? 'text/plain' : 'application/json', ...reply.headers })
      res.end(body)
    })
  }

  private route(req: Req): Reply | 'hang' {
    const now = this.now()
    const p = req.url.pathname
    const q = req.url.searchParams
    let kind: ReceiverKind
    let acc: Live | undefined
    if (p === '/cgi-bin/webhook/send') [kind, acc] = ['wecom', this.byToken.get(`wecom:${q.get('key')}`)]
    else if (p === '/robot/send') [kind, acc] = ['dingtalk', this.byToken.get(`dingtalk:${q.get('access_token')}`)]
    else if (/^\/sms\/[^/]+\/?$/.test(p)) [kind, acc] = ['sms', this.byId.get(decodeURIComponent(p.split('/')[2]!))]
    else if (/^\/hook\/[^/]+$/.test(p)) [kind, acc] = ['webhook', this.byId.get(decodeURIComponent(p.split('/')[2]!))]
    else return { status: 404, body: { error: 'not found' } }
    if (acc && acc.kind !== kind) acc = undefined
    const verdict: Verdict = kind === 'wecom' ? checkWecom(acc, req) : kind === 'dingtalk' ? checkDingtalk(acc, req, now)
      : kind === 'sms' ? checkSms(acc, req, now) : checkWebhook(acc, req)
    if (!verdict.ok || !acc) {
      this.rejected.push({ kind, endpointId: acc?.id ?? '(unknown)', reason: verdict.ok ? 'unknown' : verdict.reason, at: now })
      return verdict.ok ? { status: 404, body: { error: 'not found' } } : verdict.reply
    }
    const limited = RATE_LIMITED[kind]
    if (limited) {
      while (acc.sent.length && acc.sent[0]! <= now - ROBOT_WINDOW_MS) acc.sent.shift()
      if (acc.sent.length >= ROBOT_LIMIT) {
        this.rejected.push({ kind, endpointId: acc.id, reason: 'rate limited', at: now })
        return limited
      }
      acc.sent.push(now)
    }
    const programmed = acc.until && now < acc.until.untilMs ? acc.until.answer : acc.answers.shift()
    if (programmed) return programmed.hang ? 'hang' : answerOf(kind, programmed)
    const duplicate = verdict.idempotencyKey !== undefined && acc.seenKeys.has(verdict.idempotencyKey)
    if (verdict.idempotencyKey !== undefined) acc.seenKeys.add(verdict.idempotencyKey)
    const r: Received = {
      kind, endpointId: acc.id, at: now, body: verdict.body, text: verdict.text, mobiles: verdict.mobiles,
      ...(verdict.idempotencyKey !== undefined ? { idempotencyKey: verdict.idempotencyKey } : {}), duplicate,
    }
    this.received.push(r)
    this.onMessage?.(r)
    for (const w of [...this.waiters]) w(r)
    return successReply(kind)
  }
}

function answerOf(kind: ReceiverKind, a: Answer): Reply {
  const status = a.status ?? 200
  const headers = a.retryAfterS !== undefined ? { 'retry-after': String(a.retryAfterS) } : undefined
  const base = { status, ...(headers ? { headers } : {}) }
  if ((kind === 'wecom' || kind === 'dingtalk') && a.errcode !== undefined) return { ...base, body: { errcode: a.errcode, errmsg: `programmed errcode ${a.errcode}` } }
  if (kind === 'sms' && a.code !== undefined) return { ...base, body: { Code: a.code, Message: 'programmed', RequestId: 'programmed' } }
  return { ...base, body: status >= 400 ? `HTTP ${status}` : { error: 'programmed' } }
}

/** What the group or the phone shows, for the demo's console: `[企业微信 wecom-…] <text>`. */
export function format(r: Received): string {
  const at = r.mobiles.length ? ` @${r.mobiles.join(' @')}` : ''
  return `[${LABEL[r.kind]} ${r.endpointId}] ${r.text}${at}${r.duplicate ? ' (重复 / duplicate)' : ''}`
}
