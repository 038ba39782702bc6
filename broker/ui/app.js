// The live page: loads the snapshot (/api/elevators, /api/alarms?state=visible, the open
// incidents), then applies /api/events from the snapshot's event id on, so nothing between the
// two is lost or doubled (an incident event carries its whole summary: the last one applied wins).
/* global document */  // browser module (eslint.config.js lints with node globals)
import { Operator, postAck, toLogin } from './ack.js'
import { AlarmList } from './alarms.js'
import { Fleet } from './fleet.js'
import { Desk } from './incidents.js'
import { getLang, onLang, other, setCatalogue, setLang, t } from './i18n.js'
import { LiveStream } from './live.js'
import { Sound } from './sound.js'

const $ = (id) => document.getElementById(id)

/** elevatorId → { info, availability, last, alarms: Map<alarmId, AlarmEvent> } */
const store = new Map()
/** alarm ids this page has seen raised: a reload must not beep for them again */
const seen = new Set()
let loaded = false
let clockOffset = 0 // server time − browser time, from the stream's hello
const now = () => Date.now() + clockOffset

const sound = new Sound($('sound'))
const fleet = new Fleet($('fleet'), $('fleet-empty'), store, summary)
const operator = new Operator($('operator'))
const list = new AlarmList($('alarms'), $('no-alarms'), $('alarm-count'), store, { now, onPick: (id) => fleet.reveal(id), onAck: ack })
const desk = new Desk({ store, now, csrf: () => operator.csrf })
const live = new LiveStream({
  onEvent: apply,
  onReset: () => load(),
  onStatus: status,
  onHello: (h) => { clockOffset = h.now - Date.now() },
  // the session may have ended (logged out elsewhere, too old): operator.load() then goes to /login
  onGiveUp: () => operator.load().catch((err) => {
    // eslint-disable-next-line no-console -- the browser console is this page's log
    console.warn('session check failed', err)
  }),
})

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } })
  if (res.status === 401) toLogin()
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
  return res.json()
}

const seqOf = (id) => Number(id.split(':')[1])

let loadFailures = 0
async function load() {
  live.close()
  try {
    if (!loaded) {
      await operator.load()
      setCatalogue((await getJson('/api/catalogue')).types)
    }
    const [e, a, inc] = await Promise.all([getJson('/api/elevators'), getJson('/api/alarms?state=visible&limit=5000'),
      // a broker without the response chain has no incidents: the desk band stays hidden
      getJson('/api/incidents?open=true').catch((err) => (/HTTP 404$/.test(err.message) ? null : Promise.reject(err)))])
    // both snapshots must come from one broker process; resume from the older of the two
    if (e.eventId.split(':')[0] !== a.eventId.split(':')[0]) return load()
    const since = seqOf(e.eventId) <= seqOf(a.eventId) ? e.eventId : a.eventId
    store.clear()
    for (const v of e.elevators) {
      const { availability, last, activeAlarms, ...info } = v
      store.set(v.elevatorId, { info, availability, last, alarms: new Map(activeAlarms.map((x) => [x.id, x])) })
    }
    // the visible list holds every active alarm (and cleared ones awaiting acknowledgement);
    // the elevators' own lists only matter past its limit
    const shown = new Map()
    for (const rec of store.values()) for (const x of rec.alarms.values()) shown.set(x.id, x)
    for (const x of a.alarms) {
      shown.set(x.id, x)
      if (x.state === 'raised') record(x.elevatorId).alarms.set(x.id, x)
    }
    for (const x of shown.values()) {
      if (x.state !== 'raised') continue
      // entrapments raised while this page was away from the stream still deserve the cue
      if (loaded && x.type === 'entrapment' && !seen.has(x.id)) sound.entrapment()
      seen.add(x.id)
    }
    fleet.reset()
    document.getElementById('desk').hidden = inc === null
    desk.setElevators()
    desk.reset(inc?.incidents ?? [])
    list.setRule(a.keepUntilAcked ?? ['critical'])
    list.reset(shown.values())
    loaded = true
    loadFailures = 0
    live.open(since)
  } catch (err) {
    loadFailures++
    const seconds = Math.min(30, 2 ** Math.min(loadFailures - 1, 5))
    status('disconnected', seconds)
    // eslint-disable-next-line no-console -- the browser console is this page's log
    console.warn('snapshot load failed', err)
    setTimeout(load, seconds * 1000)
  }
}

function record(id) {
  let rec = store.get(id)
  if (!rec) {
    rec = { info: { elevatorId: id, region: '' }, availability: 'unknown', last: undefined, alarms: new Map() }
    store.set(id, rec)
    fleet.ensure(id)
  }
  return rec
}

function apply(ev) {
  if (ev.kind === 'state') {
    const rec = record(ev.elevatorId)
    // a late or replayed sample must not overwrite a newer one
    if (rec.last && ev.telemetry.ts < rec.last.ts) return
    rec.last = ev.telemetry
    fleet.mark(ev.elevatorId)
  } else if (ev.kind === 'availability') {
    record(ev.elevatorId).availability = ev.state
    fleet.mark(ev.elevatorId)
  } else if (ev.kind === 'alarm' || ev.kind === 'ack') {
    // both carry the alarm as stored, acknowledgement included
    const a = ev.alarm
    const rec = record(a.elevatorId)
    if (a.state === 'raised') rec.alarms.set(a.id, a)
    else rec.alarms.delete(a.id)
    const isNew = list.apply(a)
    if (isNew && a.state === 'raised' && a.type === 'entrapment' && !seen.has(a.id)) sound.entrapment()
    if (a.state === 'raised') seen.add(a.id)
    fleet.mark(a.elevatorId)
  } else if (ev.kind === 'incident') {
    desk.apply(ev.incident)
  }
}

async function ack(id) {
  list.pending(id, true)
  try {
    list.acked(await postAck(id, operator.csrf))
    list.pending(id, false)
  } catch (err) {
    list.pending(id, false, err.message)
    // eslint-disable-next-line no-console -- the browser console is this page's log
    console.warn('acknowledgement failed', err)
  }
}

let lastStatus = ['connecting']
function status(state, seconds) {
  lastStatus = [state, seconds]
  const conn = $('conn')
  conn.className = `conn conn-${state}`
  conn.dataset.state = state
  conn.textContent = state === 'disconnected' ? t('disconnected', { s: seconds }) : t(state)
}

let lastSummary = { total: 0, online: 0, offline: 0, alarmed: 0, trapped: 0 }
function summary(s) {
  lastSummary = s
  for (const k of ['total', 'online', 'offline', 'alarmed', 'trapped']) {
    const n = $(`sum-${k}`)
    if (n.textContent !== String(s[k])) n.textContent = String(s[k])
  }
  $('sum-trapped').parentElement.classList.toggle('hot', s.trapped > 0)
  document.title = (s.trapped ? `(${s.trapped}) ${t('trapped')} · ` : '') + t('title')
}

function relabel() {
  for (const n of document.querySelectorAll('[data-t]')) n.textContent = t(n.dataset.t)
  for (const n of document.querySelectorAll('[data-t-placeholder]')) n.placeholder = t(n.dataset.tPlaceholder)
  $('lang').textContent = t('langSwitch')
  $('lang').lang = other() === 'zh' ? 'zh-CN' : 'en'
  sound.label()
  operator.label()
  status(...lastStatus)
  summary(lastSummary)
  fleet.markAll()
  list.relabel()
  desk.relabel()
}

$('lang').addEventListener('click', () => setLang(other()))
onLang(relabel)
const filter = () => fleet.setFilter($('filter').value, $('only-alarms').checked)
$('filter').addEventListener('input', filter)
$('only-alarms').addEventListener('change', filter)
setInterval(() => { list.tick(); desk.tick() }, 1000)

setLang(getLang())
load()
