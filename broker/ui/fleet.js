// Fleet grid: one card per elevator, built once. Events only mark cards dirty; one animation
// frame renders the dirty ones, and a card touches a DOM node only when its value changed, so
// a fleet of thousands stays smooth under a stream of state events.
/* global document, requestAnimationFrame */  // browser module (eslint.config.js lints with node globals)
import { alarmName, doorText, getLang, modeText, t } from './i18n.js'

export const SEVERITY = { critical: 4, major: 3, minor: 2, warning: 1 }
const ARROW = { up: '▲', down: '▼', none: '·' }

export function topAlarm(alarms) {
  let top
  for (const a of alarms.values()) {
    if (!top || SEVERITY[a.severity] > SEVERITY[top.severity] || (a.severity === top.severity && a.raisedAt > top.raisedAt)) top = a
  }
  return top
}

export const displayName = (info) => info.building || info.address || info.elevatorId

function el(tag, cls, parent) {
  const n = document.createElement(tag)
  if (cls) n.className = cls
  if (parent) parent.append(n)
  return n
}

export class Fleet {
  constructor(root, empty, store, onSummary) {
    this.root = root
    this.empty = empty
    this.store = store // elevatorId → { info, availability, last, alarms: Map }
    this.onSummary = onSummary
    this.cards = new Map()
    this.dirty = new Set()
    this.raf = 0
    this.query = ''
    this.onlyAlarms = false
    this.shown = -1
  }

  /** Rebuilds every card from the store (first load, or a reload after a stream reset). */
  reset() {
    this.cards.clear()
    const frag = document.createDocumentFragment()
    const recs = [...this.store.values()].sort((a, b) =>
      (a.info.region || '').localeCompare(b.info.region || '') ||
      displayName(a.info).localeCompare(displayName(b.info), 'zh-CN', { numeric: true }) ||
      a.info.elevatorId.localeCompare(b.info.elevatorId))
    for (const rec of recs) frag.append(this.create(rec))
    this.root.replaceChildren(frag)
    this.markAll()
  }

  /** A card for an elevator first heard of through the event stream. */
  ensure(id) {
    if (!this.cards.has(id)) this.root.append(this.create(this.store.get(id)))
  }

  create(rec) {
    const { info } = rec
    const root = el('div', 'card')
    root.dataset.id = info.elevatorId
    const head = el('div', 'c-head', root)
    const dot = el('span', 'c-dot', head)
    const name = el('span', 'c-name', head)
    const mode = el('span', 'c-mode', head)
    const code = el('div', 'c-code', root)
    const body = el('div', 'c-body', root)
    const dir = el('span', 'c-dir', body)
    const floor = el('span', 'c-floor', body)
    const door = el('span', 'c-door', body)
    const alarm = el('div', 'c-alarm', root)
    name.textContent = displayName(info)
    code.textContent = info.registrationCode || (info.elevatorId !== name.textContent ? info.elevatorId : '')
    const hay = [info.elevatorId, info.registrationCode, info.rescueCode, info.building, info.address, info.gatewayId]
    const card = { root, dot, name, mode, code, dir, floor, door, alarm, v: {}, hay: hay.filter(Boolean).join(' ').toLowerCase() }
    this.cards.set(info.elevatorId, card)
    return root
  }

  mark(id) {
    this.dirty.add(id)
    if (!this.raf) this.raf = requestAnimationFrame(() => this.flush())
  }

  markAll() {
    for (const id of this.cards.keys()) this.dirty.add(id)
    if (!this.raf) this.raf = requestAnimationFrame(() => this.flush())
  }

  setFilter(query, onlyAlarms) {
    this.query = query.trim().toLowerCase()
    this.onlyAlarms = onlyAlarms
    this.markAll()
  }

  flush() {
    this.raf = 0
    for (const id of this.dirty) {
      const card = this.cards.get(id)
      const rec = this.store.get(id)
      if (card && rec) this.render(card, rec)
    }
    this.dirty.clear()
    this.summarise()
  }

  render(card, rec) {
    const last = rec.last
    const top = topAlarm(rec.alarms)
    const visible = (!this.onlyAlarms || rec.alarms.size > 0) && (!this.query || card.hay.includes(this.query))
    const cls = `card av-${rec.availability}${top ? ` sev-${top.severity}` : ''}${last?.moving ? ' moving' : ''}${visible ? '' : ' hidden'}`
    set(card, 'cls', cls, (v) => { card.root.className = v })
    set(card, 'dir', last ? ARROW[last.direction] ?? '·' : '', (v) => { card.dir.textContent = v })
    set(card, 'floor', last ? last.floor : '–', (v) => { card.floor.textContent = v })
    const status = rec.availability === 'online' ? '' : t(rec.availability)
    set(card, 'door', status || (last ? doorText(last.door) : ''), (v) => { card.door.textContent = v })
    set(card, 'mode', last ? modeText(last.mode) : '', (v) => { card.mode.textContent = v })
    let alarmText = ''
    if (top) {
      alarmText = alarmName(top.type)
      if (rec.alarms.size > 1) alarmText += ` ${t('more', { n: rec.alarms.size })}`
    }
    set(card, 'alarm', alarmText, (v) => { card.alarm.textContent = v })
    const lang = getLang()
    if (card.v.titleLang !== lang) {
      card.v.titleLang = lang
      const i = rec.info
      card.root.title = [displayName(i), i.address, i.registrationCode && `${t('regCode')} ${i.registrationCode}`,
        i.rescueCode && `${t('rescueCode')} ${i.rescueCode}`, i.gatewayId && `${t('gateway')} ${i.gatewayId}`].filter(Boolean).join('\n')
    }
  }

  summarise() {
    let online = 0, offline = 0, alarmed = 0, trapped = 0, shown = 0
    for (const [id, rec] of this.store) {
      if (rec.availability === 'online') online++
      else if (rec.availability === 'offline') offline++
      if (rec.alarms.size) alarmed++
      for (const a of rec.alarms.values()) if (a.type === 'entrapment') { trapped++; break }
      if (!this.cards.get(id)?.v.cls?.endsWith(' hidden')) shown++
    }
    this.empty.hidden = shown > 0 || this.store.size === 0
    this.onSummary({ total: this.store.size, online, offline, alarmed, trapped })
  }

  /** Scrolls a card into view and flashes it (from a click in the alarm list). */
  reveal(id) {
    const card = this.cards.get(id)
    if (!card) return
    card.root.scrollIntoView({ block: 'center', behavior: 'smooth' })
    // Web Animations, not a class: render() owns className
    card.root.animate([{ backgroundColor: '#1f4f7a' }, {}], { duration: 1200, iterations: 2, easing: 'ease-out' })
  }
}

function set(card, key, value, apply) {
  if (card.v[key] === value) return
  card.v[key] = value
  apply(value)
}
