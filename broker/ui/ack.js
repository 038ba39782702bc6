// Acknowledging an alarm from the page. The HTTP API has no login, so the operator's name is
// asked once and kept in localStorage; it goes into the alarm record and the broker log.
/* global window */  // browser module (eslint.config.js lints with node globals)
import { t } from './i18n.js'

const KEY = 'liftwatch.operator'
const MAX = 64 // the API's limit, in characters

export class Operator {
  constructor(button) {
    this.button = button
    this.memo = '' // when localStorage is unavailable (private mode)
    button.addEventListener('click', () => this.ask())
    this.label()
  }

  get name() {
    try { return localStorage.getItem(KEY) ?? '' } catch { return this.memo }
  }

  /** Asks for the name (prefilled with the current one); '' when cancelled or blank. */
  ask() {
    const given = window.prompt(t('operatorPrompt'), this.name)
    // by characters, not UTF-16 units, so a name is never cut inside one
    const name = given === null ? '' : [...given.trim()].slice(0, MAX).join('').trim()
    if (name) {
      this.memo = name
      try { localStorage.setItem(KEY, name) } catch { /* private mode: remembered for this tab */ }
    }
    this.label()
    return name
  }

  label() {
    const name = this.name
    this.button.textContent = name ? t('operator', { name }) : t('operatorUnset')
    this.button.classList.toggle('unset', !name)
  }
}

/** POST /api/alarms/:id/ack; resolves with the alarm as stored, rejects with the API's message. */
export async function postAck(id, by) {
  const res = await fetch(`/api/alarms/${encodeURIComponent(id)}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ by }),
  })
  let body = {}
  try { body = await res.json() } catch { /* not JSON: the status says enough */ }
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`)
  return body.alarm
}
