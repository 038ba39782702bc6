// DingTalk custom robot (钉钉自定义机器人) with signing: timestamp and sign on the URL, sign =
// URL-encoded base64 HMAC-SHA256(secret, timestamp + "\n" + secret)
// (docs/domain.md#notification-channels-outside-services).
import { createHmac } from 'node:crypto'
import type { Send } from '../types.ts'
import { isAnswer, post, type ChannelOptions } from './http.ts'
import { robotResult } from './robot.ts'

// 130101 send too fast (20 a minute); -1 system busy
const CODES = { rateLimited: [130101], transient: [-1] }

export function dingtalkSign(timestamp: number, secret: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64')
}

export function dingtalkSend(opts: ChannelOptions): Send {
  return async (item, endpoint, signal) => {
    if (!endpoint.url) return { ok: false, retryable: false, detail: 'endpoint has no url' }
    const secret = endpoint.secretValue
    const ts = opts.now()
    const sign = secret ? dingtalkSign(ts, secret) : undefined
    const url = sign ? `${endpoint.url}${endpoint.url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${encodeURIComponent(sign)}` : endpoint.url
    const m = item.message
    const body = { msgtype: 'text', text: { content: m.text }, at: { atMobiles: [...m.mobiles], isAtAll: false } }
    const a = await post(opts, url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, signal)
    if (!isAnswer(a)) return a
    const token = new URL(endpoint.url).searchParams.get('access_token') ?? undefined
    return robotResult(a, opts.now(), CODES, [token, secret, sign, endpoint.url])
  }
}
