// The grid administrator's patrol page (broker/http/patrol-routes.ts). Opened through a personal
// link (/g/<token>: the token in the address is the permission) or logged in (/ui/patrol.html: the
// session, writes with its csrf token). Choose a lift (overdue first), answer the ten items 正常 /
// 异常, a note and a photo for each 异常 (uploaded as soon as it is taken), submit; the answer names
// the hazards registered.
/* global document, window */  // browser module (eslint.config.js lints with node globals)

const $ = (id) => document.getElementById(id)
const LINK = window.location.pathname.startsWith('/g/')
const BASE = window.location.pathname.replace(/\/+$/, '')
const URLS = LINK
  ? { state: `${BASE}/state`, patrols: `${BASE}/patrols`, photos: `${BASE}/photos` }
  : { state: '/api/patrols/state', patrols: '/api/patrols', photos: '/api/photos' }

let csrf = ''
let state = null // the last /state answer
let car = null // the lift being patrolled
let answers = new Map() // item id → { ok, note, photos: [], uploading }

function say(text, error = false) {
  $('msg').textContent = text
  $('msg').classList.toggle('error', error)
}

const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(e.dataset, v)
    else if (k in e) e[k] = v
    else e.setAttribute(k, v)
  }
  for (const c of children) e.append(c)
  return e
}

// the county keeps China Standard Time
const dateOf = (ms) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10)

async function request(url, opts = {}) {
  const headers = { accept: 'application/json', ...(opts.headers ?? {}) }
  if (opts.method === 'POST' && !LINK) headers['x-csrf-token'] = csrf
  const res = await fetch(url, { cache: 'no-store', ...opts, headers })
  if (res.status === 401 && !LINK) { window.location.assign('/login'); throw new Error('请先登录 / Please log in') }
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`)
  return body
}

async function load() {
  if (!LINK) csrf = (await request('/api/me')).csrf ?? ''
  state = await request(URLS.state)
  $('person').textContent = `${state.person.name}（${state.person.roleZh}）`
  renderCars()
}

function dueText(d) {
  const last = d.lastAt === undefined ? '从未巡查 / Never patrolled' : `上次 / Last ${dateOf(d.lastAt)}`
  return d.overdue ? `已逾期 / Overdue · ${last}` : `${dateOf(d.dueAt)} 前 / Due by · ${last}`
}

function renderCars() {
  const list = $('cars')
  list.replaceChildren()
  if (!state.elevators.length) list.append(el('li', { className: 'hint' }, '没有需要巡查的电梯 / No lifts to patrol'))
  for (const d of state.elevators) {
    const b = el('button', { type: 'button', dataset: { overdue: String(d.overdue), elevator: d.elevatorId } },
      el('span', { className: 'where' }, `${d.address ?? d.elevatorId}${d.building ? ` ${d.building}` : ''}`),
      el('span', { className: 'due' }, dueText(d)))
    b.addEventListener('click', () => choose(d))
    list.append(el('li', {}, b))
  }
}

function choose(d) {
  car = d
  answers = new Map()
  $('car-address').textContent = d.address ?? d.elevatorId
  $('car-building').textContent = d.building ?? ''
  $('car-codes').textContent = `注册代码 / Reg. ${d.registrationCode ?? d.elevatorId}${d.rescueCode ? ` · 救援码 / Rescue ${d.rescueCode}` : ''}`
  renderItems()
  $('pick').hidden = true
  $('result').hidden = true
  $('form').hidden = false
  say('')
  window.scrollTo(0, 0)
}

function renderItems() {
  const list = $('items')
  list.replaceChildren()
  state.items.forEach((it, n) => {
    const name = `item-${it.id}`
    const radio = (value, text) => el('label', {}, el('input', { type: 'radio', name, value }), el('span', {}, text))
    const note = el('textarea', { maxLength: 500, placeholder: '情况说明 / What is wrong', dataset: { note: it.id } })
    const file = el('input', { type: 'file', accept: 'image/*', capture: 'environment', id: `photo-${it.id}`, dataset: { photo: it.id } })
    const photoState = el('p', { className: 'photo-state', dataset: { state: 'none' } }, '可拍照 / Add a photo')
    const detail = el('div', { className: 'detail', hidden: true },
      note, el('label', { className: 'photo-label', htmlFor: `photo-${it.id}` }, '拍照 / 选择照片 · Take a photo'), file, photoState)
    const li = el('li', { className: 'item', dataset: { item: it.id, answer: '' } },
      el('fieldset', {},
        el('legend', {}, `${n + 1}. ${it.zh}`, el('span', { className: 'en', lang: 'en' }, it.en)),
        el('div', { className: 'choice' }, radio('ok', '正常 / OK'), radio('bad', '异常 / Not OK')),
        detail))
    li.addEventListener('change', (ev) => {
      const t = ev.target
      if (t.name === name) {
        const a = answers.get(it.id) ?? { photos: [], note: '' }
        a.ok = t.value === 'ok'
        answers.set(it.id, a)
        li.dataset.answer = t.value
        detail.hidden = a.ok
        progress()
      } else if (t === file && file.files?.[0]) void upload(it.id, file.files[0], photoState)
    })
    note.addEventListener('input', () => { (answers.get(it.id) ?? {}).note = note.value })
    list.append(li)
  })
  progress()
}

async function upload(itemId, f, stateEl) {
  const a = answers.get(itemId)
  if (!a) return
  if (f.size > state.photoMaxBytes) {
    stateEl.dataset.state = 'error'
    stateEl.textContent = `照片太大（上限 ${Math.round(state.photoMaxBytes / 1048576)} MB）/ Photo too large`
    return
  }
  a.uploading = (a.uploading ?? 0) + 1
  stateEl.dataset.state = 'busy'
  stateEl.textContent = '照片上传中… / Uploading…'
  progress()
  try {
    const r = await request(URLS.photos, { method: 'POST', body: f, headers: { 'content-type': f.type || 'application/octet-stream' } })
    a.photos.push(r.id)
    stateEl.dataset.state = 'done'
    stateEl.textContent = `已上传 ${a.photos.length} 张照片 / ${a.photos.length} photo(s) uploaded`
  } catch (err) {
    stateEl.dataset.state = 'error'
    stateEl.textContent = err.message
  } finally {
    a.uploading--
    progress()
  }
}

function progress() {
  const total = state.items.length
  const done = state.items.filter((it) => answers.get(it.id)?.ok !== undefined).length
  const busy = [...answers.values()].some((a) => a.uploading > 0)
  $('progress').textContent = busy ? '照片上传中… / Uploading…' : `已检查 ${done}/${total} 项 / ${done} of ${total} checked`
  $('submit').disabled = done < total || busy
}

async function submit(ev) {
  ev.preventDefault()
  const results = state.items.map((it) => {
    const a = answers.get(it.id)
    const note = a.ok ? '' : (a.note ?? '').trim()
    return { item: it.id, ok: a.ok, ...(note ? { note } : {}), ...(!a.ok && a.photos.length ? { photos: a.photos } : {}) }
  })
  $('submit').disabled = true
  say('提交中… / Submitting…')
  try {
    const { patrol } = await request(URLS.patrols, { method: 'POST', body: JSON.stringify({ elevatorId: car.elevatorId, results }), headers: { 'content-type': 'application/json' } })
    const failed = results.filter((r) => !r.ok).length
    $('result-text').textContent = failed
      ? `${failed} 项异常，已登记隐患 ${patrol.hazardIds.length} 项 / ${failed} item(s) not OK, ${patrol.hazardIds.length} hazard(s) registered`
      : '全部正常 / All items OK'
    $('result-hazards').replaceChildren(...patrol.hazardIds.map((id) => el('li', { dataset: { hazard: id } }, `隐患 / Hazard ${id}`)))
    $('form').hidden = true
    $('result').hidden = false
    $('result').dataset.patrol = patrol.id
    say('')
    state = await request(URLS.state)
    renderCars()
  } catch (err) {
    say(`提交失败 / Not submitted: ${err.message}`, true)
    progress()
  }
}

function back() {
  car = null
  $('form').hidden = true
  $('result').hidden = true
  $('pick').hidden = false
  say('')
}

document.addEventListener('DOMContentLoaded', () => {
  $('form').addEventListener('submit', submit)
  $('change').addEventListener('click', back)
  $('next').addEventListener('click', back)
  load().catch((err) => say(`加载失败 / Could not load: ${err.message}`, true))
})
