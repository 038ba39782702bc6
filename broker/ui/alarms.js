// Live alarm list, newest raised first: type in both languages (current one first), elevator,
// building and address, raised time and a ticking duration. A cleared alarm stays a few
// seconds, greyed, so the desk sees it go rather than vanish.
/* global document */  // browser module (eslint.config.js lints with node globals)
import { alarmCode, alarmName, clock, duration, other, t } from './i18n.js'
import { displayName } from './fleet.js'

const CLEARED_LINGER_MS = 8000

function el(tag, cls, parent, text) {
  const n = document.createElement(tag)
  if (cls) n.className = cls
  if (text !== undefined) n.textContent = text
  if (parent) parent.append(n)
  return n
}

export class AlarmList {
  constructor(root, none, count, store, { now, onPick }) {
    this.root = root
    this.none = none
    this.count = count
    this.store = store
    this.now = now
    this.onPick = onPick
    this.items = new Map() // alarm id → { li, alarm, dur, timer }
    root.addEventListener('click', (ev) => {
      const li = ev.target.closest('li[data-elevator]')
      if (li) onPick(li.dataset.elevator)
    })
  }

  reset(alarms) {
    for (const it of this.items.values()) clearTimeout(it.timer)
    this.items.clear()
    this.root.replaceChildren()
    for (const a of [...alarms].sort((x, y) => y.raisedAt - x.raisedAt)) this.add(a, false)
    this.counted()
  }

  /** Applies one lifecycle event; returns true when the alarm was not listed before. */
  apply(alarm) {
    const it = this.items.get(alarm.id)
    if (alarm.state === 'cleared') {
      if (it && !it.timer) {
        it.alarm = alarm
        it.li.classList.add('cleared')
        it.dur.textContent = `${t('cleared')} ${clock(alarm.clearedAt ?? this.now())}`
        it.timer = setTimeout(() => { it.li.remove(); this.items.delete(alarm.id); this.counted() }, CLEARED_LINGER_MS)
        this.counted()
      }
      return false
    }
    if (it) { it.alarm = alarm; this.fill(it); return false }
    this.add(alarm, true)
    this.counted()
    return true
  }

  add(alarm, fresh) {
    const li = el('li', `al sev-${alarm.severity}${fresh ? ' fresh' : ''}`)
    li.dataset.elevator = alarm.elevatorId
    li.dataset.type = alarm.type
    const head = el('div', 'al-head', li)
    const it = {
      li, alarm, timer: 0,
      name: el('span', 'al-name', head),
      alt: el('span', 'al-alt', head),
      code: el('span', 'al-code', head),
      drill: el('span', 'al-drill', head),
      where: el('div', 'al-where', li),
      addr: el('div', 'al-addr', li),
    }
    const time = el('div', 'al-time', li)
    it.raised = el('span', 'al-raised', time)
    it.dur = el('span', 'al-dur', time)
    this.items.set(alarm.id, it)
    this.fill(it)
    // newest first: insert before the first item raised earlier
    let before = null
    for (const other of this.items.values()) {
      if (other !== it && other.alarm.raisedAt < alarm.raisedAt && (!before || other.alarm.raisedAt > before.alarm.raisedAt)) before = other
    }
    this.root.insertBefore(li, before ? before.li : null)
  }

  fill(it) {
    const a = it.alarm
    const rec = this.store.get(a.elevatorId)
    const info = rec?.info ?? { elevatorId: a.elevatorId }
    it.name.textContent = alarmName(a.type)
    it.alt.textContent = alarmName(a.type, other())
    const code = alarmCode(a.type)
    it.code.textContent = code ? `#${code}` : ''
    it.drill.textContent = a.drill ? t('drill') : ''
    it.drill.hidden = !a.drill
    const id = info.registrationCode || info.elevatorId
    it.where.textContent = displayName(info) === id ? id : `${displayName(info)} · ${id}`
    it.addr.textContent = [info.building && info.address, info.rescueCode && `${t('rescueCode')} ${info.rescueCode}`].filter(Boolean).join(' · ')
    it.raised.textContent = `${t('raisedAt')} ${clock(a.raisedAt)}`
    if (!it.timer) it.dur.textContent = `${t('lasted')} ${duration(this.now() - a.raisedAt)}`
  }

  relabel() {
    for (const it of this.items.values()) this.fill(it)
  }

  /** Once a second: only the duration cells change. */
  tick() {
    const now = this.now()
    const label = t('lasted')
    for (const it of this.items.values()) {
      if (it.timer) continue
      const text = `${label} ${duration(now - it.alarm.raisedAt)}`
      if (it.dur.textContent !== text) it.dur.textContent = text
    }
  }

  counted() {
    let active = 0
    for (const it of this.items.values()) if (!it.timer) active++
    this.count.textContent = String(active)
    this.none.hidden = this.items.size > 0
  }
}
