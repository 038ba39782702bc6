// The responder's page (GET /r/<token>, broker/http/respond-routes.ts): the elevator, where the car
// stopped, time since trapped, and the four buttons. The token in the address is the permission;
// the page polls <token>/state every 10 s and after each action.
/* global document, window */  // browser module (eslint.config.js lints with node globals)

const $ = (id) => document.getElementById(id)
const BASE = window.location.pathname.replace(/\/+$/, '')
const POLL_MS = 10_000

let state = null // the last /state answer
let offset = 0 // server now − local now, so the counter follows the server's clock
let pending = null // the kind awaiting confirmation
let busy = false

const pad = (n) => String(n).padStart(2, '0')
function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000))
  const h = Math.floor(s / 3600)
  return h ? `${h}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`
}

function say(text, error = false) {
  $('msg').textContent = text
  $('msg').classList.toggle('error', error)
}

function tick() {
  if (!state) return
  const inc = state.incident
  const end = inc.closedAt ?? inc.releasedAt ?? (Date.now() + offset)
  $('trapped').textContent = duration(end - inc.trappedAt)
}

/** Which buttons still apply: none once closed; 已响应 until this party or an arrival did; 已到达 once. */
function applicable(s) {
  const st = s.incident.state
  const open = st !== '00' && st !== '05'
  return {
    responded: open && st !== '04' && !s.youActed,
    arrived: open && st !== '04',
    released: open,
    false_alarm: open,
  }
}

function render(s) {
  state = s
  offset = s.now - Date.now()
  const inc = s.incident
  $('drill').hidden = !inc.drill
  $('title').textContent = inc.alarmType && inc.alarmType !== 'entrapment' ? '电梯紧急告警 / Lift emergency' : '电梯困人 / Passenger trapped'
  $('party').textContent = `${s.party.name}（${s.party.roleZh}）`
  $('address').textContent = inc.address ?? inc.elevatorId
  $('building').textContent = inc.building ?? ''
  $('rescue-code').textContent = inc.rescueCode ?? '—'
  $('car-at').textContent = inc.carAt ?? '—'
  const st = $('state')
  st.dataset.state = inc.state
  st.textContent = `${inc.stateZh} / ${inc.stateEn}${inc.personsReleased !== undefined ? ` · ${inc.personsReleased} 人 / persons` : ''}`
  const ok = applicable(s)
  for (const b of document.querySelectorAll('.actions .act')) b.disabled = busy || !ok[b.dataset.kind]
  if (pending && !ok[pending]) closeConfirm()
  $('told').replaceChildren(...s.told.map((t) => {
    const li = document.createElement('li')
    li.dataset.state = t.state
    const who = t.partyName.includes(t.roleZh) ? t.partyName : `${t.roleZh} ${t.partyName}`
    li.textContent = `${who} · ${t.stateZh}`
    return li
  }))
  $('timeline').replaceChildren(...s.timeline.map((e) => {
    const li = document.createElement('li')
    li.textContent = e.line
    return li
  }))
  tick()
}

async function refresh() {
  try {
    const res = await fetch(`${BASE}/state`, { headers: { accept: 'application/json' }, cache: 'no-store' })
    if (res.status === 403 || res.status === 410) {
      window.location.reload() // the server answers the page that says why
      return
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    render(await res.json())
  } catch (err) {
    say(`无法刷新，稍后重试 / Cannot refresh, retrying (${err.message})`, true)
  }
}

async function act(kind, extra = {}) {
  busy = true
  for (const b of document.querySelectorAll('.actions .act')) b.disabled = true
  say('提交中… / Sending…')
  try {
    const res = await fetch(`${BASE}/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ kind, ...extra }),
    })
    let body = {}
    try { body = await res.json() } catch { /* the status says enough */ }
    if (res.ok) say('已记录 / Recorded')
    else if (res.status === 409) say(`未被接受 / Not accepted: ${body.message ?? ''}`, true)
    else say(`提交失败 / Failed: ${body.message ?? `HTTP ${res.status}`}`, true)
    busy = false
    if (res.ok && body.state) render(body.state)
    else await refresh()
  } catch (err) {
    busy = false
    say(`网络错误，请重试 / Network error, try again (${err.message})`, true)
    if (state) render(state)
  }
}

function openConfirm(kind) {
  pending = kind
  const released = kind === 'released'
  $('confirm-text').textContent = released ? '确认已解救被困人员？/ Confirm the passengers are released?' : '确认是误报？/ Confirm this is a false alarm?'
  $('persons-row').hidden = !released
  $('confirm').hidden = false
  if (released) $('persons').focus()
}
function closeConfirm() {
  pending = null
  $('confirm').hidden = true
}

function start() {
  for (const b of document.querySelectorAll('.actions .act')) {
    b.addEventListener('click', () => {
      const kind = b.dataset.kind
      if (kind === 'released' || kind === 'false_alarm') openConfirm(kind)
      else void act(kind)
    })
  }
  $('confirm-yes').addEventListener('click', () => {
    const kind = pending
    if (!kind) return
    if (kind === 'released') {
      const n = Number($('persons').value)
      if (!Number.isInteger(n) || n < 0 || n > 100) return say('请填写 0–100 的人数 / Enter a number 0–100', true)
      closeConfirm()
      return void act(kind, { persons: n })
    }
    closeConfirm()
    return void act(kind)
  })
  $('confirm-no').addEventListener('click', closeConfirm)
  void refresh()
  window.setInterval(() => void refresh(), POLL_MS)
  window.setInterval(tick, 1000)
}

start()
