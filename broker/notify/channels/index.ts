// The channels the dispatcher sends through, one file per kind of outside service
// (docs/domain.md#notification-channels-outside-services), and the endpoint with its secret read.
import type { Endpoint } from '../../parties/schema.ts'
import type { ResolvedEndpoint, Send, SendResult } from '../types.ts'
import { dingtalkSend } from './dingtalk.ts'
import type { ChannelOptions } from './http.ts'
import { smsSend } from './sms.ts'
import { webhookSend } from './webhook.ts'
import { wecomSend } from './wecom.ts'

export const DEFAULT_SEND_TIMEOUT_MS = 10_000

export interface SendOptions {
  now?: () => number
  fetch?: typeof fetch
  timeoutMs?: number
}

/** One Send for every channel kind, picked by `item.channel`; it never throws. */
export function createSend(opts: SendOptions = {}): Send {
  const o: ChannelOptions = { now: opts.now ?? Date.now, fetch: opts.fetch ?? globalThis.fetch, timeoutMs: opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS }
  const sends = { wecom: wecomSend(o), dingtalk: dingtalkSend(o), sms: smsSend(o), webhook: webhookSend(o) }
  return async (item, endpoint, signal): Promise<SendResult> => {
    if (endpoint.kind !== item.channel) return { ok: false, retryable: false, detail: `endpoint ${endpoint.id} is ${endpoint.kind}, not ${item.channel}` }
    const send = sends[item.channel]
    if (!send) return { ok: false, retryable: false, detail: `unknown channel ${String(item.channel)}` }
    try {
      return await send(item, endpoint, signal)
    } catch (err) {
      // a bug here must not stop the dispatcher; the message is not shown, it might quote a request
      return { ok: false, retryable: true, detail: `channel failed: ${err instanceof Error ? err.name : 'error'}` }
    }
  }
}

/** The endpoint with its secret (inline, or read from `secretEnv`); a problem names the endpoint and the variable. */
export function resolveEndpoint(ep: Endpoint, env: NodeJS.ProcessEnv): ResolvedEndpoint | { problem: string } {
  if (ep.secretEnv !== undefined) {
    const value = env[ep.secretEnv]
    if (value === undefined || value === '') return { problem: `endpoint ${ep.id}: environment variable ${ep.secretEnv} is not set` }
    return { ...ep, secretValue: value }
  }
  if (ep.kind === 'sms' && ep.secret === undefined) return { problem: `endpoint ${ep.id}: an SMS endpoint needs its AccessKey secret (secret or secretEnv)` }
  return ep.secret !== undefined ? { ...ep, secretValue: ep.secret } : { ...ep }
}

export { dingtalkSign } from './dingtalk.ts'
export { percentEncode, rpcSignature } from './sms.ts'
export { webhookSignature } from './webhook.ts'
