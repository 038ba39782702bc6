// Live alarm list: what the monitoring centre must see (/api/alarms?state=visible). Every active
// alarm, and a cleared one of a keepUntilAcked severity until someone acknowledges it: a cleared
// entrapment nobody confirmed must not slip off the screen. Critical first, then newest. An alarm
// that leaves on clearing stays a few seconds, greyed, so the desk sees it go rather than vanish.
/* global document */  // browser module (eslint.config.js lints with node globals)
import { ackText, alarmCode, alarmName, clock, duration, other, t } from './i18n.js'
import { displayName } from './fleet.js'

const CLEARED_LINGER_MS = 8000
const RANK = { critical: 0, major: 1, minor: 2, warning: 3 }

// the server's order: severity, newest raised, id
const before = (x, y) => (RANK[x.severity] - RANK[y.severity] || y.raisedAt - x.raisedAt || (x.id < y.id ? 1 : -1)) < 0

export const ackStateOf = (a) => a.ackState ?? `${a.state === 'raised' ? 'active' : 'cleared'}-${a.ackedAt == null ? 'unacked' : 'acked'}`

function el(tag, cls, parent, text) {
  const n = document.createElement(tag)
  if (cls) n.className = cls
  if (text !== undefined) n.textContent = text
  if (parent) parent.append(n)
  return n
}

export class AlarmList {
  constructor(root, none, count, store, { now, onPick, onAck }) {
    this.root = root
    this.none = none
    this.count = count
    this.store = store
    this.now = now
    this.keep = new Set(['critical'])
    this.items = new Map() // alarm id → { li, alarm, timer, …cells }
    root.addEventListener('click', (ev) => {
      const li = ev.target.closest('li[data-elevator]')
      if (!li) return
      if (ev.target.closest('.al-ack-btn')) onAck(li.dataset.id)
      else onPick(li.dataset.elevator)
    })
  }

  /** The severities the server keeps listed after clearing until acknowledged. */
  setRule(keepUntilAcked) {
    this.keep = new Set(keepUntilAcked)
  }

  stays(a) {
    return a.state === 'raised' || (a.ackedAt == null && this.keep.has(a.severity))
  }

  get(id) {
    return this.items.get(id)?.alarm
  }

  reset(alarms) {
    for (const it of this.items.values()) clearTimeout(it.timer)
    this.items.clear()
    this.root.replaceChildren()
    for (const a of [...alarms].filter((x) => this.stays(x)).sort((x, y) => (before(x, y) ? -1 : 1))) this.add(a, false, true)
    this.counted()
  }

  /** Applies an alarm as stored (lifecycle or ack event); returns true when it is newly listed. */
  apply(alarm) {
    const it = this.items.get(alarm.id)
    if (it?.timer) return false // already on its way out
    if (this.stays(alarm)) {
      if (!it) {
        this.add(alarm, alarm.state === 'raised')
        this.counted()
        return true
      }
      it.alarm = alarm
      this.fill(it)
      this.place(it)
      return false
    }
    if (!it) return false
    const wasCleared = it.alarm.state === 'cleared'
    it.alarm = alarm
    if (wasCleared) {
      // acknowledged after it cleared: done, nothing more to watch
      this.drop(it)
      return false
    }
    it.timer = setTimeout(() => this.drop(it), CLEARED_LINGER_MS)
    it.li.classList.add('leaving')
    this.fill(it)
    this.counted()
    return false
  }

  /** Our own acknowledgement's answer: it may be older than an event already applied. */
  acked(alarm) {
    const cur = this.get(alarm.id)
    if (!cur || cur.ackedAt != null) return
    this.apply({ ...cur, ackedAt: alarm.ackedAt, ackedBy: alarm.ackedBy, ackState: `${cur.state === 'raised' ? 'active' : 'cleared'}-acked` })
  }

  /** While the acknowledgement is on its way; `error` when it failed. */
  pending(id, busy, error = '') {
    const it = this.items.get(id)
    if (!it) return
    it.busy = busy
    it.error = error
    this.fill(it)
  }

  drop(it) {
    clearTimeout(it.timer)
    it.li.remove()
    this.items.delete(it.alarm.id)
    this.counted()
  }

  /** `last`: the caller adds in order (reset), so the item goes at the end without a search. */
  add(alarm, fresh, last = false) {
    const li = el('li', `al${fresh ? ' fresh' : ''}`)
    li.dataset.id = alarm.id
    li.dataset.elevator = alarm.elevatorId
    li.dataset.type = alarm.type
    const head = el('div', 'al-head', li)
    const it = {
      li, alarm, timer: 0, busy: false, error: '',
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
    const ack = el('div', 'al-ackline', li)
    it.state = el('span', 'al-ack', ack)
    it.who = el('span', 'al-who', ack)
    it.button = el('button', 'btn al-ack-btn', ack)
    it.button.type = 'button'
    it.err = el('div', 'al-err', li)
    this.items.set(alarm.id, it)
    this.fill(it)
    if (last) this.root.append(li)
    else this.place(it)
  }

  /** Moves the item to its place in the order (severity and raisedAt may change). */
  place(it) {
    let next = null
    for (const li of this.root.children) {
      const other = this.items.get(li.dataset.id)
      if (li !== it.li && other && before(it.alarm, other.alarm)) { next = li; break }
    }
    if (it.li.nextSibling !== next || it.li.parentNode !== this.root) this.root.insertBefore(it.li, next)
  }

  fill(it) {
    const a = it.alarm
    const state = ackStateOf(a)
    const cleared = a.state === 'cleared'
    const li = it.li
    li.classList.remove(...[...li.classList].filter((c) => c.startsWith('sev-') || c.startsWith('ack-')))
    li.classList.add(`sev-${a.severity}`, `ack-${state}`)
    li.classList.toggle('cleared', cleared)
    li.dataset.ack = state
    const rec = this.store.get(a.elevatorId)
    const info = rec?.info ?? { elevatorId: a.elevatorId }
    it.name.textContent = alarmName(a.type)
    it.alt.textContent = alarmName(a.type, other())
    const code = alarmCode(a.type)
    it.code.textContent = code ? `#${code}` : ''
    it.drill.textContent = a.drill ? t('drill') : ''
    it.drill.hidden = !a.drill
    // flapping: one alarm for a condition that keeps coming back; late: found in replayed history,
    // still on by the live data (still trapped) or already over when it arrived
    const late = a.ongoing === true ? 'lateOngoing' : a.ongoing === false ? 'lateOver' : 'late'
    const flags = [a.flapping && t('flapping'), a.late && t(late)].filter(Boolean)
    if (flags.length) it.name.textContent += ` · ${flags.join(' · ')}`
    if (a.scope === 'gateway') {
      // a gateway offline: one alarm for all the elevators behind it
      it.where.textContent = `${t('gateway')} ${a.gatewayId ?? a.elevatorId}`
      it.addr.textContent = t('gatewayElevators', { n: (a.elevators ?? []).length })
    } else {
      const id = info.registrationCode || info.elevatorId
      it.where.textContent = displayName(info) === id ? id : `${displayName(info)} · ${id}`
      it.addr.textContent = [info.building && info.address, info.rescueCode && `${t('rescueCode')} ${info.rescueCode}`].filter(Boolean).join(' · ')
    }
    it.raised.textContent = `${t('raisedAt')} ${clock(a.raisedAt)}`
    it.dur.textContent = cleared ? `${t('cleared')} ${clock(a.clearedAt ?? this.now())}` : `${t('lasted')} ${duration(this.now() - a.raisedAt)}`
    it.state.textContent = ackText(state)
    it.who.textContent = a.ackedAt == null ? '' : t('ackedBy', { by: a.ackedBy ?? '', at: clock(a.ackedAt) })
    it.button.hidden = a.ackedAt != null || Boolean(it.timer)
    it.button.disabled = it.busy
    it.button.textContent = t(it.busy ? 'acking' : 'ack')
    it.err.textContent = it.error ? t('ackFailed', { m: it.error }) : ''
  }

  relabel() {
    for (const it of this.items.values()) this.fill(it)
  }

  /** Once a second: only the duration cells of active alarms change. */
  tick() {
    const now = this.now()
    const label = t('lasted')
    for (const it of this.items.values()) {
      if (it.alarm.state !== 'raised') continue
      const text = `${label} ${duration(now - it.alarm.raisedAt)}`
      if (it.dur.textContent !== text) it.dur.textContent = text
    }
  }

  counted() {
    let listed = 0
    for (const it of this.items.values()) if (!it.timer) listed++
    this.count.textContent = String(listed)
    this.none.hidden = this.items.size > 0
  }
}
