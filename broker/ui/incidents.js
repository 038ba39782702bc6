// The 96333 desk on the live page: open entrapment incidents in a red band above everything else,
// each with its state and running timers (trapped for, time to the next escalation and whom it
// tells); a township filter, a phone-call form (rescue or registration code), drills and history
// search. Clicking an incident opens its panel (incident-panel.js). Reads /api/incidents; live
// `incident` events (broker/http/broker-view.ts) keep the band current.
/* global document, window, Option */  // browser module (eslint.config.js lints with node globals)
import { clock, stateText, t } from './i18n.js'
import { displayName } from './fleet.js'
import { api, el, IncidentPanel, placeOf, timers } from './incident-panel.js'

const isOpen = (s) => s.state !== '00' && s.state !== '05'
const $ = (id) => document.getElementById(id)

export class Desk {
  /** `store`: the live page's elevatorId → { info, … }; `csrf()`: the session's token */
  constructor({ store, now, csrf }) {
    this.store = store
    this.now = now
    this.csrf = csrf
    this.open = new Map() // incident id → IncidentSummary
    this.rows = new Map() // incident id → { li, trapped, step }
    this.township = ''
    this.root = $('desk')
    this.list = $('incidents')
    this.panel = new IncidentPanel($('inc-panel'), { now, csrf, onChange: () => {} })
    this.list.addEventListener('click', (ev) => this.pick(ev))
    $('inc-history').addEventListener('click', (ev) => this.pick(ev))
    $('inc-township').addEventListener('change', () => { this.township = $('inc-township').value; this.render(); this.drillChoices() })
    for (const [button, form] of [['inc-call-btn', 'call-form'], ['inc-history-btn', 'history-form'], ['inc-drill-btn', 'drill-form']]) {
      $(button).addEventListener('click', () => this.toggle(form))
    }
    for (const b of this.root.querySelectorAll('button[data-cancel]')) b.addEventListener('click', () => this.toggle(''))
    $('call-form').addEventListener('submit', (ev) => { ev.preventDefault(); void this.call() })
    $('history-form').addEventListener('submit', (ev) => { ev.preventDefault(); void this.search() })
    $('drill-form').addEventListener('submit', (ev) => { ev.preventDefault(); void this.drill() })
  }

  pick(ev) {
    const li = ev.target.closest('li[data-id]')
    if (li) void this.panel.show(li.dataset.id)
  }

  toggle(form) {
    for (const id of ['call-form', 'history-form', 'drill-form']) {
      const f = $(id)
      f.hidden = id !== form || !f.hidden
      if (!f.hidden) f.querySelector('input, select')?.focus()
    }
    if (form !== 'history-form') $('inc-history').replaceChildren()
    this.message('')
  }

  message(text) {
    $('desk-msg').textContent = text
  }

  /** the snapshot: the open incidents (GET /api/incidents?open=true) */
  reset(incidents) {
    this.open.clear()
    for (const s of incidents) if (isOpen(s)) this.open.set(s.id, s)
    this.render()
  }

  /** a live `incident` event */
  apply(s) {
    if (isOpen(s)) this.open.set(s.id, s)
    else this.open.delete(s.id)
    this.render()
    this.panel.changed(s)
  }

  /** the townships of the elevators in view, for the filter and the drill list */
  setElevators() {
    const sel = $('inc-township')
    const codes = [...new Set([...this.store.values()].map((r) => r.info.township).filter(Boolean))].sort()
    sel.replaceChildren(new Option(t('allTownships'), ''), ...codes.map((c) => new Option(c, c)))
    sel.value = codes.includes(this.township) ? this.township : ''
    this.township = sel.value
    this.drillChoices()
  }

  drillChoices() {
    const recs = [...this.store.values()].filter((r) => !this.township || r.info.township === this.township)
      .sort((a, b) => displayName(a.info).localeCompare(displayName(b.info), 'zh-CN', { numeric: true }))
    $('drill-elevator').replaceChildren(...recs.map((r) => new Option(`${displayName(r.info)}${r.info.rescueCode ? ` · ${r.info.rescueCode}` : ''}`, r.info.elevatorId)))
  }

  render() {
    const shown = [...this.open.values()].filter((s) => !this.township || s.township === this.township)
      .sort((a, b) => a.trappedAt - b.trappedAt || (a.id < b.id ? -1 : 1))
    this.rows.clear()
    this.list.replaceChildren(...shown.map((s) => this.row(s)))
    this.root.classList.toggle('hot', shown.some((s) => !s.drill))
    this.root.classList.toggle('drill-only', shown.length > 0 && shown.every((s) => s.drill))
    $('inc-count').textContent = String(shown.length)
    $('no-incidents').hidden = shown.length > 0
    this.tick()
  }

  row(s, history = false) {
    const li = el('li', `inc${s.drill ? ' drill' : ''}`)
    li.dataset.id = s.id
    li.dataset.state = s.state
    li.tabIndex = 0
    const head = el('div', 'inc-head', li)
    if (s.drill) el('span', 'inc-drill', head, t('drillTag'))
    el('span', 'inc-name', head, placeOf(s))
    el('span', `inc-state st-${s.state}`, head, stateText(s.state))
    const sub = el('div', 'inc-sub', li)
    if (s.rescueCode) el('span', 'mono', sub, `${t('rescueCode')} ${s.rescueCode}`)
    if (history) el('span', '', sub, clock(s.trappedAt))
    if (!history) {
      const tm = el('div', 'inc-timers', li)
      this.rows.set(s.id, { s, trapped: el('span', 'inc-trapped', tm), step: el('span', 'inc-step', tm) })
    }
    return li
  }

  /** every second: the band's and the panel's timers */
  tick() {
    const now = this.now()
    for (const r of this.rows.values()) {
      const [trapped, step] = timers(r.s, now)
      if (r.trapped.textContent !== trapped) r.trapped.textContent = trapped
      if (r.step.textContent !== step) r.step.textContent = step
    }
    this.panel.tick()
  }

  async call() {
    const f = $('call-form')
    const body = { foundBy: f.elements.foundBy.value, code: f.elements.code.value.trim() }
    for (const k of ['caller', 'note']) if (f.elements[k].value.trim()) body[k] = f.elements[k].value.trim()
    if (!body.code) return
    try {
      // the answer is the engine's Incident; the band hears of it through its live event
      const { incident } = await api('POST', '/api/incidents', body, this.csrf())
      f.reset()
      this.toggle('')
      if (incident?.id) void this.panel.show(incident.id)
    } catch (err) {
      this.message(t('actFailed', { m: err.message }))
    }
  }

  async drill() {
    const sel = $('drill-elevator')
    if (!sel.value || !window.confirm(t('drillConfirm', { name: sel.selectedOptions[0]?.textContent ?? sel.value }))) return
    try {
      const res = await api('POST', '/api/drills', { elevatorId: sel.value }, this.csrf())
      this.toggle('')
      if (res.incident?.id) void this.panel.show(res.incident.id)
    } catch (err) {
      this.message(t('actFailed', { m: err.message }))
    }
  }

  /** GET /api/incidents?from&to&elevator: the elevator by id, registration or rescue code */
  async search() {
    const f = $('history-form')
    const q = new URLSearchParams()
    const ms = (v) => (v ? String(new Date(v).getTime()) : '')
    if (f.elements.from.value) q.set('from', ms(f.elements.from.value))
    if (f.elements.to.value) q.set('to', ms(f.elements.to.value))
    const code = f.elements.elevator.value.trim()
    if (code) {
      const rec = [...this.store.values()].find((r) => [r.info.elevatorId, r.info.registrationCode, r.info.rescueCode].includes(code))
      q.set('elevator', rec?.info.elevatorId ?? code)
    }
    if (this.township) q.set('region', this.township)
    const out = $('inc-history')
    try {
      const { incidents } = await api('GET', `/api/incidents?${q}`)
      out.replaceChildren(...incidents.map((s) => this.row(s, true)))
      if (!incidents.length) el('li', 'placeholder', out, t('noHistory'))
      this.message('')
    } catch (err) {
      this.message(t('actFailed', { m: err.message }))
    }
  }

  relabel() {
    const sel = $('inc-township')
    if (sel.options[0]) sel.options[0].textContent = t('allTownships')
    this.render()
    this.panel.relabel()
  }
}
