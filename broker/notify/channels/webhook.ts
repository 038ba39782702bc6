// A generic webhook: the outbox item as JSON, an Idempotency-Key so the receiver can drop a retry it
// already has, and an HMAC over timestamp and body when the endpoint has a secret.
import { createHmac } from 'node:crypto'
import type { Send } from '../types.ts'
import { byStatus, isAnswer, post, type ChannelOptions } from './http.ts'

export function webhookSignature(timestamp: number, body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export function webhookSend(opts: ChannelOptions): Send {
  return async (item, endpoint, signal) => {
    if (!endpoint.url) return { ok: false, retryable: false, detail: 'endpoint has no url' }
    const ts = opts.now()
    const m = item.message
    const body = JSON.stringify({
      id: item.id, incidentId: item.incidentId, notificationId: item.notificationId, role: item.role,
      party: { id: item.partyId, name: item.partyName }, drill: item.drill,
      title: m.title, text: m.text, link: m.link ?? null, facts: m.facts, sentAt: ts,
    })
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': item.id,
      'x-liftwatch-timestamp': String(ts),
    }
    if (endpoint.secretValue) headers['x-liftwatch-signature'] = webhookSignature(ts, body, endpoint.secretValue)
    const a = await post(opts, endpoint.url, { headers, body }, signal)
    if (!isAnswer(a)) return a
    return byStatus(a, opts.now()) ?? { ok: true, retryable: false, detail: `HTTP ${a.status}` }
  }
}
