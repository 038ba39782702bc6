// What each outside service checks before it takes a message, played locally: the robot key or token,
// DingTalk's sign, Aliyun's RPC signature, nonce and timestamp, the webhook's HMAC
// (docs/domain.md#notification-channels-outside-services). Written apart from broker/notify/channels/
// on purpose: a receiver that shared the sender's code would accept the sender's mistakes.
import { createHmac, randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

export type ReceiverKind = 'wecom' | 'dingtalk' | 'sms' | 'webhook'

export interface Account {
  readonly kind: ReceiverKind
  readonly id: string
  /** WeCom key, DingTalk access token; the path id for SMS and webhooks */
  readonly token: string
  readonly secret?: string
  readonly keyId?: string
  /** Aliyun refuses a SignatureNonce it has seen */
  readonly nonces: Set<string>
}

export interface Req {
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

export interface Reply {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: unknown
}

export type Verdict =
  | { ok: true; body: unknown; text: string; mobiles: string[]; idempotencyKey?: string }
  | { ok: false; reason: string; reply: Reply }

export const WECOM_TEXT_MAX = 2048
export const WECOM_MARKDOWN_MAX = 4096
const DINGTALK_SKEW_MS = 3_600_000
const ALIYUN_SKEW_MS = 15 * 60_000

const robotReply = (errcode: number, errmsg: string): Reply => ({ status: 200, body: { errcode, errmsg } })
const refuse = (reason: string, reply: Reply): Verdict => ({ ok: false, reason, reply })
const bytes = (s: string) => Buffer.byteLength(s, 'utf8')
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

function json(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function content(body: Record<string, unknown>): { msgtype: string; text: string } | undefined {
  const msgtype = body.msgtype
  if (msgtype !== 'text' && msgtype !== 'markdown') return undefined
  const part = body[msgtype] as { content?: unknown } | undefined
  return typeof part?.content === 'string' ? { msgtype, text: part.content } : undefined
}

export function checkWecom(acc: Account | undefined, req: Req): Verdict {
  if (!acc) return refuse('invalid key', robotReply(93000, 'invalid webhook url'))
  const body = json(req.body)
  if (!body) return refuse('bad json', robotReply(40035, 'invalid json'))
  const c = content(body)
  if (!c) return refuse('bad msgtype', robotReply(40008, 'invalid message type'))
  if (bytes(c.text) > (c.msgtype === 'text' ? WECOM_TEXT_MAX : WECOM_MARKDOWN_MAX)) return refuse('content too long', robotReply(45002, 'content size out of limit'))
  const part = body[c.msgtype] as { mentioned_mobile_list?: unknown }
  return { ok: true, body, text: c.text, mobiles: strings(part.mentioned_mobile_list) }
}

export function checkDingtalk(acc: Account | undefined, req: Req, now: number): Verdict {
  if (!acc) return refuse('invalid token', robotReply(300001, 'token is not exist'))
  if (acc.secret !== undefined) {
    const ts = req.url.searchParams.get('timestamp')
    const sign = req.url.searchParams.get('sign')
    if (ts === null || sign === null || !/^\d+$/.test(ts)) return refuse('sign missing', robotReply(310000, 'sign not match'))
    if (Math.abs(now - Number(ts)) > DINGTALK_SKEW_MS) return refuse('timestamp out of range', robotReply(310000, 'sign not match, timestamp is out of range'))
    const expected = createHmac('sha256', acc.secret).update(`${ts}\n${acc.secret}`).digest('base64')
    if (sign !== expected) return refuse('sign not match', robotReply(310000, 'sign not match'))
  }
  const body = json(req.body)
  if (!body) return refuse('bad json', robotReply(40035, 'invalid json'))
  const c = content(body)
  if (!c) return refuse('bad msgtype', robotReply(40035, 'invalid msgtype'))
  return { ok: true, body, text: c.text, mobiles: strings((body.at as { atMobiles?: unknown } | undefined)?.atMobiles) }
}

export function checkWebhook(acc: Account | undefined, req: Req): Verdict {
  if (!acc) return refuse('unknown hook', { status: 404, body: { error: 'not found' } })
  if (acc.secret !== undefined) {
    const ts = req.headers['x-liftwatch-timestamp']
    const sig = req.headers['x-liftwatch-signature']
    const expected = `sha256=${createHmac('sha256', acc.secret).update(`${String(ts)}.${req.body}`).digest('hex')}`
    if (typeof ts !== 'string' || typeof sig !== 'string' || sig !== expected) return refuse('bad signature', { status: 401, body: { error: 'bad signature' } })
  }
  const body = json(req.body)
  if (!body) return refuse('bad json', { status: 400, body: { error: 'bad json' } })
  const key = req.headers['idempotency-key']
  return { ok: true, body, text: typeof body.text === 'string' ? body.text : '', mobiles: [], ...(typeof key === 'string' ? { idempotencyKey: key } : {}) }
}

/** RFC 3986 encoding as Aliyun's RPC signature (version 1.0) wants it. */
export function aliyunEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export function aliyunSignature(method: string, params: ReadonlyMap<string, string>, secret: string): string {
  const query = [...params.keys()].sort().map((k) => `${aliyunEncode(k)}=${aliyunEncode(params.get(k)!)}`).join('&')
  return createHmac('sha1', `${secret}&`).update(`${method}&%2F&${aliyunEncode(query)}`).digest('base64')
}

const SMS_REQUIRED = ['AccessKeyId', 'Action', 'PhoneNumbers', 'SignName', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'TemplateCode', 'Timestamp', 'Version', 'Signature']
const smsReply = (status: number, code: string, message: string): Reply => ({ status, body: { Code: code, Message: message, RequestId: randomUUID() } })

export function checkSms(acc: Account | undefined, req: Req, now: number): Verdict {
  if (!acc) return refuse('unknown account', smsReply(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'))
  const form = new URLSearchParams(req.body)
  const missing = SMS_REQUIRED.find((k) => !form.get(k))
  if (missing) return refuse(`missing ${missing}`, smsReply(400, 'MissingParameter', `${missing} is mandatory for this action.`))
  if (form.get('AccessKeyId') !== acc.keyId) return refuse('unknown AccessKeyId', smsReply(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.'))
  const ts = form.get('Timestamp')!
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ts) || Math.abs(now - Date.parse(ts)) > ALIYUN_SKEW_MS) return refuse('timestamp', smsReply(400, 'InvalidTimeStamp.Expired', 'Specified time stamp or date value is expired.'))
  const params = new Map([...form].filter(([k]) => k !== 'Signature'))
  if (form.get('Signature') !== aliyunSignature('POST', params, acc.secret ?? '')) return refuse('signature', smsReply(400, 'SignatureDoesNotMatch', 'Specified signature is not matched with our calculation.'))
  const nonce = form.get('SignatureNonce')!
  if (acc.nonces.has(nonce)) return refuse('nonce reused', smsReply(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.'))
  acc.nonces.add(nonce)
  const mobiles = form.get('PhoneNumbers')!.split(',')
  if (!mobiles.every((m) => /^1[3-9]\d{9}$/.test(m))) return refuse('mobile number illegal', smsReply(200, 'isv.MOBILE_NUMBER_ILLEGAL', '非法手机号'))
  const vars = json(form.get('TemplateParam') ?? '{}')
  if (!vars) return refuse('template param', smsReply(200, 'isv.INVALID_JSON_PARAM', 'JSON参数不合法'))
  const text = `【${form.get('SignName')}】${form.get('TemplateCode')} ${Object.entries(vars).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`
  return { ok: true, body: Object.fromEntries(form), text, mobiles }
}

export function successReply(kind: ReceiverKind): Reply {
  switch (kind) {
    case 'wecom':
    case 'dingtalk':
      return robotReply(0, 'ok')
    case 'sms':
      return { status: 200, body: { Code: 'OK', Message: 'OK', BizId: randomUUID().slice(0, 18), RequestId: randomUUID() } }
    case 'webhook':
      return { status: 200, body: { ok: true } }
  }
}
