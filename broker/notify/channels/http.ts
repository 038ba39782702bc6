// What every channel shares: one POST with the dispatcher's signal and a timeout, the HTTP status
// sorted into ok / retryable / not retryable, and a `detail` line that never carries a URL or a
// secret (docs/domain.md#notification-channels-outside-services: every outside call can fail).
import type { SendResult } from '../types.ts'

export interface ChannelOptions {
  readonly now: () => number
  readonly fetch: typeof fetch
  readonly timeoutMs: number
}

export interface HttpAnswer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
}

export const RATE_LIMIT_BACKOFF_MS = 60_000
const MAX_DETAIL = 120

/** One POST; a network failure, a timeout or an abort comes back as a SendResult instead of a throw. */
export async function post(opts: ChannelOptions, url: string, init: { headers: Record<string, string>; body: string }, signal: AbortSignal): Promise<HttpAnswer | SendResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  try {
    const res = await opts.fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.any([signal, timeout]), redirect: 'manual' })
    return { status: res.status, headers: res.headers, text: await res.text() }
  } catch (err) {
    if (timeout.aborted) return { ok: false, retryable: true, detail: `timeout after ${opts.timeoutMs} ms` }
    if (signal.aborted) return { ok: false, retryable: true, detail: 'aborted' }
    return { ok: false, retryable: true, detail: networkCode(err) }
  }
}

export const isAnswer = (a: HttpAnswer | SendResult): a is HttpAnswer => 'status' in a

// undici wraps the socket error: `TypeError: fetch failed` with `cause.code` ECONNREFUSED, ENOTFOUND…;
// only the code goes out, the message names host and port
function networkCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; name?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string' && /^[A-Z0-9_]+$/.test(cause.code)) return cause.code
  if (typeof cause?.name === 'string' && /^\w+$/.test(cause.name)) return cause.name
  return 'network error'
}

/** ok for 2xx (the caller reads the body), else the HTTP status decides; undefined means "read the body". */
export function byStatus(a: HttpAnswer, now: number): SendResult | undefined {
  if (a.status >= 200 && a.status < 300) return undefined
  const detail = `HTTP ${a.status}`
  if (a.status === 429) {
    const after = retryAfter(a.headers.get('retry-after'), now)
    return { ok: false, retryable: true, detail, ...(after !== undefined ? { retryAfterMs: after } : {}) }
  }
  return { ok: false, retryable: a.status === 408 || a.status >= 500, detail }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3). */
export function retryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * A service's own words, made safe for the timeline: one line, no URL (WeCom appends "more info at
 * https://…" and a hint), none of the given secrets, short.
 */
export function clean(text: string, secrets: readonly (string | undefined)[] = []): string {
  let s = text.replace(/[\r\n\t]+/g, ' ')
  s = s.replace(/,?\s*hint:.*$/i, '').replace(/,?\s*(more info at|see)?\s*\S+:\/\/\S*/gi, '')
  for (const secret of secrets) if (secret && secret.length >= 4) s = s.split(secret).join('[redacted]')
  s = s.trim()
  return s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s
}
