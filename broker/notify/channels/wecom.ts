// WeCom group robot (企业微信群机器人): POST JSON to the robot's URL, the key sits in it
// (docs/domain.md#notification-channels-outside-services).
import type { Send } from '../types.ts'
import { isAnswer, post, type ChannelOptions } from './http.ts'
import { robotResult } from './robot.ts'
import { fitText } from './text.ts'

export const WECOM_TEXT_MAX_BYTES = 2048
// 45009 api freq out of limit; -1 system busy
const CODES = { rateLimited: [45009], transient: [-1] }

export function wecomSend(opts: ChannelOptions): Send {
  return async (item, endpoint, signal) => {
    if (!endpoint.url) return { ok: false, retryable: false, detail: 'endpoint has no url' }
    const m = item.message
    const body = {
      msgtype: 'text',
      text: { content: fitText(m.text, WECOM_TEXT_MAX_BYTES, m.link), mentioned_mobile_list: [...m.mobiles] },
    }
    const a = await post(opts, endpoint.url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }, signal)
    if (!isAnswer(a)) return a
    const key = new URL(endpoint.url).searchParams.get('key') ?? undefined
    return robotResult(a, opts.now(), CODES, [key, endpoint.url])
  }
}
