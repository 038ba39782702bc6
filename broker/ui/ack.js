// Who is logged in, and acknowledging an alarm as them. The broker takes the operator's name from
// the session (broker/http/auth.ts), never from the page; writes carry the session's csrf token.
/* global window, document */  // browser module (eslint.config.js lints with node globals)
import { t } from './i18n.js'

/** Any 401: the session ended (idle, logged out elsewhere, broker restarted): log in again. */
export function toLogin() {
  window.location.assign('/login')
}

export class Operator {
  constructor(button) {
    this.button = button
    this.user = null
    this.csrf = null
    button.addEventListener('click', () => this.logout())
    this.label()
  }

  get name() { return this.user?.name ?? '' }

  /** GET /api/me: the user and the csrf token for writes. */
  async load() {
    const res = await fetch('/api/me', { cache: 'no-store', headers: { accept: 'application/json' } })
    if (res.status === 401) return toLogin()
    if (!res.ok) throw new Error(`/api/me: HTTP ${res.status}`)
    const me = await res.json()
    this.user = me.user
    this.csrf = me.csrf
    this.label()
  }

  async logout() {
    try {
      await fetch('/api/logout', { method: 'POST', headers: { accept: 'application/json', 'x-csrf-token': this.csrf ?? '' } })
    } finally {
      toLogin()
    }
  }

  label() {
    const name = this.name
    this.button.textContent = name ? t('operator', { name }) : t('operatorUnset')
    this.button.title = t('logout')
    this.button.classList.toggle('unset', !name)
    document.documentElement.dataset.user = this.user?.username ?? ''
  }
}

/** POST /api/alarms/:id/ack; resolves with the alarm as stored, rejects with the API's message. */
export async function postAck(id, csrf) {
  const res = await fetch(`/api/alarms/${encodeURIComponent(id)}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf ?? '' },
    body: '{}',
  })
  if (res.status === 401) toLogin()
  let body = {}
  try { body = await res.json() } catch { /* not JSON: the status says enough */ }
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`)
  return body.alarm
}
