// The answer of a group robot (WeCom, DingTalk): HTTP 200 with `errcode`, 0 for delivered.
import type { SendResult } from '../types.ts'
import { byStatus, clean, parseJson, RATE_LIMIT_BACKOFF_MS, type HttpAnswer } from './http.ts'

export interface RobotCodes {
  /** rate limited: come back in a minute */
  readonly rateLimited: readonly number[]
  /** the service is busy or failed inside: try again */
  readonly transient: readonly number[]
}

export function robotResult(a: HttpAnswer, now: number, codes: RobotCodes, secrets: readonly (string | undefined)[]): SendResult {
  const status = byStatus(a, now)
  if (status) return status
  const body = parseJson(a.text)
  if (!body || typeof body.errcode !== 'number') return { ok: false, retryable: true, detail: `HTTP ${a.status} unexpected answer` }
  const code = body.errcode
  const msg = typeof body.errmsg === 'string' ? clean(body.errmsg, secrets) : ''
  if (code === 0) return { ok: true, retryable: false, detail: `HTTP ${a.status} errcode 0 ${msg}`.trim() }
  const detail = `errcode ${code} ${msg}`.trim()
  if (codes.rateLimited.includes(code)) return { ok: false, retryable: true, detail, retryAfterMs: RATE_LIMIT_BACKOFF_MS }
  // a bad key, a bad signature, a message the robot refuses: sending it again cannot help
  return { ok: false, retryable: codes.transient.includes(code), detail }
}
