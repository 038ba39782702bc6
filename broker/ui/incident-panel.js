// One incident, opened from the desk's band or history (incidents.js): every party told with its
// delivery state and whether its role responded, call buttons, the desk's actions (on someone's
// behalf, dispatch, arrived, released N, false alarm, note, drill) and the whole timeline. It reads
// GET /api/incidents/:id again after each action and on each live event of this incident.
/* global document, window */  // browser module (eslint.config.js lints with node globals)
import { alarmName, deliveryText, getLang, hms, mmss, roleText, roles, stateText, t } from './i18n.js'
import { toLogin } from './ack.js'

/** A JSON request; writes carry the csrf token. Resolves with the body, rejects with the API's message. */
export async function api(method, url, body, csrf) {
  const headers = { accept: 'application/json' }
  if (method !== 'GET') Object.assign(headers, { 'content-type': 'application/json', 'x-csrf-token': csrf ?? '' })
  const res = await fetch(url, { method, cache: 'no-store', headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  if (res.status === 401) toLogin()
  let json = {}
  try { json = await res.json() } catch { /* not JSON: the status says enough */ }
  if (!res.ok) throw new Error(json.message ?? `HTTP ${res.status}`)
  return json
}

export function el(tag, cls, parent, text) {
  const n = document.createElement(tag)
  if (cls) n.className = cls
  if (text !== undefined) n.textContent = text
  if (parent) parent.append(n)
  return n
}

export const placeOf = (s) => [s.building, s.address].filter(Boolean).join(' · ') || s.elevatorId

/** 被困 05:07 · 距升级 01:53（网格员、乡镇）: the band's and the panel's running timers */
export function timers(s, now) {
  const trapped = t('trappedFor', { t: mmss(now - s.trappedAt) })
  if (!s.nextStep || s.state === '00' || s.state === '05') return [trapped, '']
  const left = s.nextStep.dueAt - now
  const who = s.nextStep.roles.map(roleText).join(getLang() === 'zh' ? '、' : ', ')
  const step = left >= 0 ? t('escalateIn', { t: mmss(left) }) : t('escalateOverdue', { t: mmss(-left) })
  return [trapped, who ? `${step} (${who})` : step]
}

const sep = () => (getLang() === 'zh' ? '，' : ', ')

function entryText(e) {
  switch (e.kind) {
    case 'opened': return `${getLang() === 'zh' ? '事件开启' : 'Opened'} · ${e.source === 'desk' ? t('phoneCall') : alarmName('entrapment')}`
    case 'alarm': return `${alarmName(e.type)} · ${e.state === 'raised' ? t('raisedAt') : t('cleared')}`
    case 'notify': return `${getLang() === 'zh' ? '通知' : 'Told'} ${roleText(e.role)}${e.reminder ? (getLang() === 'zh' ? '（提醒）' : ' (reminder)') : ''}`
    case 'desk_call': return [t('phoneCall'), e.code, e.caller, e.note].filter(Boolean).join(sep())
    case 'step_skipped': return `${getLang() === 'zh' ? '跳过升级' : 'Step skipped'} ${e.step} (${stateText(e.because === 'arrived' ? '04' : '02')})`
    case 'dispatch_suggested': return getLang() === 'zh' ? '建议派遣其他救援单位' : 'Dispatch of another unit suggested'
    case 'delivery': return `${deliveryText(e.ok ? 'delivered' : 'failed')} #${e.attempt}${e.detail ? ` ${e.detail}` : ''}`
    case 'action': return actionText(e.action)
    case 'rejected': return `${actionText(e.action)} ✗ ${e.reason}`
    default: return e.kind
  }
}

function actionText(a) {
  switch (a.kind) {
    case 'responded': return stateText('02')
    case 'arrived': return stateText('04')
    case 'released': return [t('release', { n: a.persons }), a.cause, a.note].filter(Boolean).join(sep())
    case 'false_alarm': return [t('falseAlarm'), a.note].filter(Boolean).join(sep())
    case 'note': return `${t('note')}: ${a.text}`
    case 'dispatch': return `${t('dispatchOrg')}: ${a.org}`
    default: return a.kind
  }
}

export class IncidentPanel {
  constructor(dialog, { now, csrf, onChange }) {
    this.d = dialog
    this.now = now
    this.csrf = csrf
    this.onChange = onChange
    this.detail = null
    this.id = null
    this.$ = (id) => dialog.querySelector(`#${id}`)
    this.$('ip-close').addEventListener('click', () => this.close())
    dialog.addEventListener('close', () => { this.id = null; this.detail = null })
    this.$('ip-persons').addEventListener('input', () => this.relabel())
    this.$('ip-actions').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-act]')
      if (b) void this.act(b.dataset.act)
    })
    this.relabel()
  }

  async show(id) {
    this.id = id
    this.detail = null
    this.$('ip-err').textContent = ''
    for (const n of ['ip-parties', 'ip-callable', 'ip-timeline']) this.$(n).replaceChildren()
    this.$('ip-title').textContent = t('loading')
    if (!this.d.open) this.d.showModal()
    await this.refresh()
  }

  close() {
    if (this.d.open) this.d.close()
  }

  async refresh() {
    const id = this.id
    if (!id) return
    try {
      const detail = await api('GET', `/api/incidents/${encodeURIComponent(id)}`)
      if (this.id !== id) return
      this.detail = detail
      this.render()
    } catch (err) {
      if (this.id === id) this.$('ip-err').textContent = t('actFailed', { m: err.message })
    }
  }

  /** A live event of an incident: the panel reads its detail again when it shows that one. */
  changed(summary) {
    if (this.id === summary.id) void this.refresh()
  }

  async act(kind) {
    const s = this.detail?.summary
    if (!s) return
    let body
    if (kind === 'responded' || kind === 'arrived') body = { kind, onBehalfOf: this.$('ip-role').value }
    else if (kind === 'dispatch') body = { kind, org: this.$('ip-org').value.trim() }
    else if (kind === 'released') body = { kind, persons: Number(this.$('ip-persons').value), ...(this.$('ip-cause').value.trim() ? { cause: this.$('ip-cause').value.trim() } : {}) }
    else if (kind === 'note') body = { kind, text: this.$('ip-note').value.trim() }
    else if (kind === 'false_alarm') {
      if (!window.confirm(t('falseConfirm'))) return
      body = { kind }
    } else if (kind === 'drill') {
      if (!window.confirm(t('drillConfirm', { name: placeOf(s) }))) return
    }
    if ((kind === 'dispatch' && !body.org) || (kind === 'note' && !body.text)) return
    this.busy(true)
    try {
      if (kind === 'drill') {
        const res = await api('POST', '/api/drills', { elevatorId: s.elevatorId }, this.csrf())
        this.onChange?.()
        if (res.incident?.id) await this.show(res.incident.id)
        return
      }
      await api('POST', `/api/incidents/${encodeURIComponent(s.id)}/actions`, body, this.csrf())
      if (kind === 'note') this.$('ip-note').value = ''
      if (kind === 'dispatch') this.$('ip-org').value = ''
      this.$('ip-err').textContent = ''
      await this.refresh()
      this.onChange?.()
    } catch (err) {
      this.$('ip-err').textContent = t('actFailed', { m: err.message })
    } finally {
      this.busy(false)
    }
  }

  busy(on) {
    for (const b of this.$('ip-actions').querySelectorAll('button')) b.disabled = on || this.closed()
  }

  closed() {
    const st = this.detail?.summary.state
    return st === '00' || st === '05'
  }

  render() {
    const { summary: s, incident: inc, deliveries, callable } = this.detail
    this.d.dataset.state = s.state
    this.d.dataset.id = s.id
    this.$('ip-title').textContent = `${s.drill ? t('drillTag') : ''}${placeOf(s)}`
    this.$('ip-state').textContent = `${s.state} ${stateText(s.state)}`
    this.$('ip-state').className = `inc-state st-${s.state}`
    this.$('ip-sub').textContent = [s.rescueCode && `${t('rescueCode')} ${s.rescueCode}`, s.registrationCode, s.carAt && `${t('floor')} ${s.carAt}`]
      .filter(Boolean).join(' · ')
    this.tick()

    const acted = new Set(inc.acted ?? [])
    const calls = this.$('ip-callable')
    calls.replaceChildren()
    for (const c of callable) {
      const a = el('a', 'btn call', el('li', '', calls), `☎ ${roleText(c.role)} ${c.name}`)
      a.href = `tel:${c.phone.replace(/[^0-9+]/g, '')}`
    }
    const ul = this.$('ip-parties')
    ul.replaceChildren()
    if (!deliveries.length) el('li', 'placeholder', ul, t('noParties'))
    for (const d of deliveries) {
      const li = el('li', `party dl-${d.state}`, ul)
      li.dataset.party = d.partyId
      li.dataset.state = d.state
      const head = el('div', 'p-head', li)
      el('span', 'p-role', head, roleText(d.role))
      el('span', 'p-name', head, d.partyName)
      el('span', `p-resp${acted.has(d.role) ? ' yes' : ''}`, head, acted.has(d.role) ? t('responded') : t('notResponded'))
      const line = el('div', 'p-line', li)
      el('span', 'p-state', line, `${d.channel} · ${deliveryText(d.state)} · ${t('attempts', { n: d.attempts })}`)
      if (d.lastDetail) el('span', 'p-detail', line, d.lastDetail)
    }
    const ol = this.$('ip-timeline')
    ol.replaceChildren()
    for (const e of inc.timeline) {
      const li = el('li', `tl tl-${e.kind}`, ol)
      el('time', 'tl-at mono', li, hms(e.at))
      el('span', 'tl-who', li, e.actor?.name ?? '')
      el('span', 'tl-what', li, entryText(e))
    }
    this.busy(false)
  }

  /** every second while open: the timers */
  tick() {
    if (!this.detail || !this.d.open) return
    const [trapped, step] = timers(this.detail.summary, this.now())
    this.$('ip-trapped').textContent = trapped
    this.$('ip-step').textContent = step
  }

  relabel() {
    const sel = this.$('ip-role')
    const was = sel.value || 'maintenance'
    sel.replaceChildren(...roles().map((r) => Object.assign(document.createElement('option'), { value: r, textContent: roleText(r) })))
    sel.value = was
    this.$('ip-release').textContent = t('release', { n: this.$('ip-persons').value || 0 })
    if (this.detail) this.render()
  }
}
