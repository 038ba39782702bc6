// The hazard register page (GET /api/hazards, broker/http/hazard-routes.ts): the register's
// columns as a table (cards on a phone), filters, exports, registration by hand and each hazard's
// changes to closure with its timeline and photos. Times are China Standard Time, as the export.
/* global document, window */  // browser module (eslint.config.js lints with node globals)
import { Operator, toLogin } from './ack.js'
import { getLang, onLang, other, setLang } from './i18n.js'

const $ = (id) => document.getElementById(id)
const CST = 8 * 3_600_000
const TEXT = {
  title: ['重大安全隐患登记表', 'Hazard register'], live: ['实时监测', 'Live'], state: ['状态', 'State'], openAny: ['未销号', 'Not closed'],
  overdue: ['已逾期', 'Overdue'], s_open: ['待整改', 'Open'], s_rectifying: ['整改中', 'Rectifying'], s_rectified: ['已整改', 'Rectified'],
  s_closed: ['已销号', 'Closed'], all: ['全部', 'All'], region: ['区划代码', 'Region code'], elevator: ['注册代码', 'Registration code'],
  from: ['发现自', 'Found from'], to: ['至', 'to'], search: ['查询', 'Search'], xlsx: ['导出 Excel', 'Export Excel'], csv: ['导出 CSV', 'Export CSV'],
  new: ['登记隐患', 'Register a hazard'], description: ['隐患描述', 'Description'], grade: ['隐患等级', 'Grade'], major: ['重大', 'Major'],
  general: ['一般', 'General'], owner: ['责任人', 'Responsible'], deadline: ['整改期限', 'Deadline'], save: ['保存', 'Save'], cancel: ['取消', 'Cancel'],
  number: ['编号', 'Number'], useUnit: ['使用单位', 'Use unit'], location: ['所在位置', 'Location'], foundAt: ['发现时间', 'Found'],
  foundBy: ['发现方式', 'Found by'], measures: ['整改措施', 'Measures'], doneAt: ['完成时间', 'Done'], checkedBy: ['验收人', 'Checked by'],
  open: ['处理', 'Open'], count: ['共 {n} 条', '{n} hazards'], none: ['没有符合条件的隐患', 'No hazards match'], change: ['变更', 'Change'],
  toState: ['改为', 'Move to'], assign: ['指派责任人 / 期限', 'Assign owner / deadline'], note: ['备注', 'Note'], apply: ['提交', 'Submit'],
  timeline: ['记录', 'Timeline'], photos: ['照片', 'Photos'], late: ['逾期', 'overdue'], saved: ['已保存', 'Saved'],
  monitoring: ['在线监测', 'Monitoring'], patrol: ['网格巡查', 'Patrol'], complaint: ['群众投诉', 'Complaint'], inspection: ['定期检验', 'Inspection'],
  drill: ['应急演练', 'Drill'], manual: ['人工登记', 'By hand'],
}
const t = (k, vars = {}) => (TEXT[k]?.[getLang() === 'zh' ? 0 : 1] ?? k).replace(/\{(\w+)\}/g, (_, v) => String(vars[v] ?? ''))
const NEXT = { open: ['rectifying'], rectifying: ['rectified'], rectified: ['closed', 'rectifying'], closed: [] }
const COLS = ['number', 'useUnit', 'elevator', 'location', 'description', 'grade', 'foundAt', 'foundBy', 'deadline', 'owner', 'state', '']

const operator = new Operator($('user'))
let list = []
let now = 0
let opened = window.location.hash.slice(1) || null

function cst(ms) {
  return ms == null ? '' : new Date(ms + CST).toISOString().slice(0, 16).replace('T', ' ')
}
/** 'YYYY-MM-DD' (a CST day) → its first ms; `next`: the first ms of the day after */
function dayStart(s, next = false) {
  const [y, m, d] = s.split('-').map(Number)
  return Date.UTC(y, m - 1, d + (next ? 1 : 0)) - CST
}

function query() {
  const q = new URLSearchParams()
  const f = $('filters')
  if (f.state.value) q.set('state', f.state.value)
  for (const k of ['region', 'elevator']) if (f[k].value.trim()) q.set(k, f[k].value.trim())
  if (f.from.value) q.set('from', String(dayStart(f.from.value)))
  if (f.to.value) q.set('to', String(dayStart(f.to.value, true)))
  return q.toString()
}

async function api(url, body) {
  const init = body === undefined
    ? { cache: 'no-store', headers: { accept: 'application/json' } }
    : { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', 'x-csrf-token': operator.csrf ?? '' }, body: JSON.stringify(body) }
  const res = await fetch(url, init)
  if (res.status === 401) toLogin()
  let data = {}
  try { data = await res.json() } catch { /* not JSON: the status says enough */ }
  if (!res.ok) throw new Error(data.message ?? `HTTP ${res.status}`)
  return data
}

function showError(err) {
  $('error').textContent = err ? String(err.message ?? err) : ''
}

async function load() {
  showError(null)
  const q = query()
  $('xlsx').href = `/api/hazards.xlsx${q ? `?${q}` : ''}`
  $('csv').href = `/api/hazards.csv${q ? `?${q}` : ''}`
  try {
    const r = await api(`/api/hazards${q ? `?${q}` : ''}`)
    list = r.hazards
    now = r.now
    if (opened && !list.some((h) => h.id === opened)) {
      try { list.unshift(await api(`/api/hazards/${encodeURIComponent(opened)}`)) } catch { opened = null }
    }
    render()
  } catch (err) { showError(err) }
}

function cell(tr, label, text, cls) {
  const td = tr.insertCell()
  td.dataset.label = label
  td.textContent = text
  if (cls) td.className = cls
  return td
}

function render() {
  for (const el of document.querySelectorAll('[data-h]')) el.textContent = t(el.dataset.h)
  document.title = `${t('title')} · LiftWatch`
  $('lang').textContent = other() === 'en' ? 'English' : '中文'
  const head = $('head')
  head.replaceChildren(...COLS.map((k) => { const th = document.createElement('th'); th.textContent = k ? t(k) : ''; return th }))
  $('count').textContent = t('count', { n: list.length })
  const rows = $('rows')
  rows.replaceChildren()
  if (!list.length) { const td = rows.insertRow().insertCell(); td.colSpan = COLS.length; td.textContent = t('none') }
  for (const h of list) {
    const tr = rows.insertRow()
    tr.dataset.id = h.id
    tr.className = `hz-row hz-${h.state}${late(h) ? ' hz-late' : ''}`
    const values = [h.number, h.useUnitName ?? h.useUnit ?? '', h.registrationCode, h.location, h.description, t(h.grade), cst(h.foundAt), t(h.foundBy), cst(h.deadline), h.owner ?? '']
    COLS.slice(0, values.length).forEach((k, i) => cell(tr, t(k), values[i], k === 'description' ? 'hz-desc' : k === 'elevator' ? 'mono' : ''))
    cell(tr, t('state'), `${t(`s_${h.state}`)}${late(h) ? ` · ${t('late')}` : ''}`, 'hz-state')
    const btn = document.createElement('button')
    btn.type = 'button'
    btn.className = 'btn'
    btn.textContent = t('open')
    btn.addEventListener('click', () => { opened = opened === h.id ? null : h.id; render() })
    tr.insertCell().append(btn)
    if (opened === h.id) {
      const td = rows.insertRow().insertCell()
      td.colSpan = COLS.length
      td.className = 'hz-detail'
      td.append(detail(h))
    }
  }
}

const late = (h) => (h.state === 'open' || h.state === 'rectifying') && now >= h.deadline

function detail(h) {
  const box = document.createElement('div')
  box.className = 'hz-card'
  const form = document.createElement('form')
  form.className = 'hz-change'
  const kind = select('kind', [...NEXT[h.state].map((s) => [`state:${s}`, `${t('toState')} ${t(`s_${s}`)}`]), ...(h.state === 'closed' ? [] : [['assign', t('assign')]]), ['note', t('note')]])
  const fields = document.createElement('div')
  fields.className = 'hz-fields'
  const redraw = () => {
    const k = kind.value
    fields.replaceChildren(...(k === 'state:rectified' ? [input('measures', t('measures'), h.measures)]
      : k === 'state:closed' ? [input('checkedBy', t('checkedBy'))]
        : k === 'assign' ? [input('owner', t('owner'), h.owner), input('deadline', t('deadline'), '', 'date')]
          : k === 'note' ? [input('text', t('note'))] : []))
  }
  kind.addEventListener('change', redraw)
  redraw()
  const submit = document.createElement('button')
  submit.type = 'submit'
  submit.className = 'btn primary'
  submit.textContent = t('apply')
  form.append(labelled(t('change'), kind), fields, submit)
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    const k = kind.value
    const v = (n) => form.elements.namedItem(n)?.value.trim() || undefined
    const body = k.startsWith('state:') ? { kind: 'state', state: k.slice(6), measures: v('measures'), checkedBy: v('checkedBy') }
      : k === 'assign' ? { kind: 'assign', owner: v('owner'), deadline: v('deadline') ? dayStart(v('deadline'), true) - 60_000 : undefined }
        : { kind: 'note', text: v('text') }
    try {
      const r = await api(`/api/hazards/${encodeURIComponent(h.id)}/changes`, body)
      list = list.map((x) => (x.id === h.id ? r.hazard : x))
      showError(null)
      render()
    } catch (err) { showError(err) }
  })
  box.append(form)
  if (h.photos.length) {
    const ph = document.createElement('div')
    ph.className = 'hz-photos'
    for (const id of h.photos) {
      const a = document.createElement('a')
      a.href = `/api/photos/${encodeURIComponent(id)}`
      a.target = '_blank'
      const img = document.createElement('img')
      img.src = a.href
      img.alt = t('photos')
      a.append(img)
      ph.append(a)
    }
    box.append(ph)
  }
  const ol = document.createElement('ol')
  ol.className = 'hz-timeline'
  for (const e of [...h.timeline].reverse()) {
    const li = document.createElement('li')
    const d = e.detail ?? {}
    const what = e.kind === 'state' ? `${t(`s_${d.from}`)} → ${t(`s_${d.to}`)}${d.measures ? `：${d.measures}` : ''}${d.checkedBy ? `（${d.checkedBy}）` : ''}`
      : e.kind === 'note' ? d.text : e.kind === 'assign' ? `${d.owner}${d.deadline ? ` · ${cst(d.deadline)}` : ''}`
        : e.kind === 'delivery' ? `${d.party} ${d.channel}: ${d.detail}` : e.kind === 'notify' ? (d.told ?? []).map((x) => x.party).join('、') : (d.sourceRef ?? '')
    li.textContent = `${cst(e.at)} ${e.actor.name} · ${e.kind} ${what ?? ''}`
    ol.append(li)
  }
  box.append(ol)
  return box
}

function select(name, options) {
  const s = document.createElement('select')
  s.name = name
  for (const [value, text] of options) { const o = document.createElement('option'); o.value = value; o.textContent = text; s.append(o) }
  return s
}
function input(name, label, value = '', type = 'text') {
  const i = document.createElement('input')
  i.name = name
  i.type = type
  i.value = value ?? ''
  i.maxLength = name === 'measures' || name === 'text' ? 2000 : 100
  return labelled(label, i)
}
function labelled(text, el) {
  const l = document.createElement('label')
  const s = document.createElement('span')
  s.textContent = text
  l.append(s, ' ', el)
  return l
}

$('filters').addEventListener('submit', (ev) => { ev.preventDefault(); void load() })
$('new').addEventListener('click', () => { $('register').hidden = !$('register').hidden })
$('cancel').addEventListener('click', () => { $('register').hidden = true })
$('register').addEventListener('submit', async (ev) => {
  ev.preventDefault()
  const f = ev.target
  const body = { elevatorId: f.elevatorId.value.trim(), description: f.description.value.trim(), grade: f.grade.value }
  if (f.owner.value.trim()) body.owner = f.owner.value.trim()
  if (f.deadline.value) body.deadline = dayStart(f.deadline.value, true) - 60_000
  try {
    const r = await api('/api/hazards', body)
    f.reset()
    f.hidden = true
    opened = r.hazard.id
    await load()
  } catch (err) { showError(err) }
})
$('lang').addEventListener('click', () => setLang(other()))
onLang(render)
operator.load().then(load, showError)
