// Aliyun SMS SendSms (RPC API, signature version 1.0): the template code and its variables, never
// free text (docs/domain.md#notification-channels-outside-services). StringToSign is
// `POST&%2F&` + percentEncode(the sorted, percent-encoded query); the key is the AccessKey secret + "&".
import { createHmac, randomUUID } from 'node:crypto'
import type { Send, SendResult } from '../types.ts'
import { byStatus, isAnswer, parseJson, post, RATE_LIMIT_BACKOFF_MS, type ChannelOptions, type HttpAnswer } from './http.ts'

export const ALIYUN_SMS_URL = 'https://dysmsapi.aliyuncs.com/'

/** RFC 3986 encoding as the RPC signature wants it. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~')
    .replace(/[!'()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

export function canonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params).sort().map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`).join('&')
}

export function rpcSignature(method: string, params: Readonly<Record<string, string>>, secret: string): string {
  const toSign = `${method}&${percentEncode('/')}&${percentEncode(canonicalQuery(params))}`
  return createHmac('sha1', `${secret}&`).update(toSign).digest('base64')
}

/** yyyy-MM-ddTHH:mm:ssZ in UTC. */
export const rpcTimestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

const NOT_RETRYABLE = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId.NotFound', 'InvalidAccessKeyId.Inactive', 'isv.MOBILE_NUMBER_ILLEGAL', 'isv.SMS_TEMPLATE_ILLEGAL', 'isv.SMS_SIGNATURE_ILLEGAL', 'MissingParameter'])
const TRANSIENT = new Set(['ServiceUnavailable', 'InternalError', 'isp.SYSTEM_ERROR', 'SignatureNonceUsed', 'InvalidTimeStamp.Expired'])

export function smsSend(opts: ChannelOptions, uuid: () => string = randomUUID): Send {
  return async (item, endpoint, signal) => {
    const secret = endpoint.secretValue
    if (!item.to) return { ok: false, retryable: false, detail: 'no phone number' }
    if (!endpoint.keyId || !secret || !endpoint.template || !endpoint.signName) return { ok: false, retryable: false, detail: 'endpoint lacks keyId, secret, template or signName' }
    const params: Record<string, string> = {
      AccessKeyId: endpoint.keyId, Action: 'SendSms', Format: 'JSON', OutId: item.id, PhoneNumbers: item.to,
      RegionId: 'cn-hangzhou', SignName: endpoint.signName, SignatureMethod: 'HMAC-SHA1', SignatureNonce: uuid(),
      SignatureVersion: '1.0', TemplateCode: (item.message.smsKind && endpoint.templates?.[item.message.smsKind]) || endpoint.template, TemplateParam: JSON.stringify(item.message.sms),
      Timestamp: rpcTimestamp(opts.now()), Version: '2017-05-25',
    }
    const body = `Signature=${percentEncode(rpcSignature('POST', params, secret))}&${canonicalQuery(params)}`
    const a = await post(opts, endpoint.url ?? ALIYUN_SMS_URL, { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, signal)
    return isAnswer(a) ? smsResult(a, opts.now()) : a
  }
}

// Only the Code goes to the timeline: SignatureDoesNotMatch's Message quotes the string to sign
function smsResult(a: HttpAnswer, now: number): SendResult {
  const body = parseJson(a.text)
  const code = typeof body?.Code === 'string' && /^[\w.-]{1,64}$/.test(body.Code) ? body.Code : undefined
  if (code === undefined) return byStatus(a, now) ?? { ok: false, retryable: true, detail: `HTTP ${a.status} unexpected answer` }
  const detail = `HTTP ${a.status} Code ${code}`
  if (code === 'OK') return { ok: true, retryable: false, detail }
  if (code === 'isv.BUSINESS_LIMIT_CONTROL' || code.startsWith('Throttling')) return { ok: false, retryable: true, detail, retryAfterMs: RATE_LIMIT_BACKOFF_MS }
  if (NOT_RETRYABLE.has(code)) return { ok: false, retryable: false, detail }
  if (TRANSIENT.has(code)) return { ok: false, retryable: true, detail }
  return byStatus(a, now) ?? { ok: false, retryable: false, detail }
}
