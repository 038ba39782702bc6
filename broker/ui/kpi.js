// The KPI page: per township, maintenance unit and month over a range of months (GET /api/kpis,
// response/kpi.ts Aggregate): incidents, the 3-minute response rate, the arrival-in-limit rate,
// mean arrival and mean rescue times. Months are China Standard Time, as response/kpi.ts counts them.
/* global document, window */  // browser module (eslint.config.js lints with node globals)
import { toLogin } from './ack.js'
import { getLang, onLang, other, setLang, t } from './i18n.js'

const $ = (id) => document.getElementById(id)
const CST = 8 * 3_600_000
const GROUPS = [['township', 'byTownship'], ['maintenance', 'byMaintenance'], ['month', 'byMonth']]
let last = null // [from, to, results] on screen, redrawn on a language switch

/** '2025-03' → its first millisecond in CST; `next` the first of the month after */
function monthStart(ym, next = false) {
  const [y, m] = ym.split('-').map(Number)
  return Date.UTC(y, m - 1 + (next ? 1 : 0), 1) - CST
}

const pct = (x) => (x == null || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)}%`)
function minutes(ms) {
  if (ms == null) return '—'
  const m = ms / 60_000
  return getLang() === 'zh' ? `${m.toFixed(1)} 分钟` : `${m.toFixed(1)} min`
}

async function getJson(url) {
  const res = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } })
  if (res.status === 401) toLogin()
  let body = {}
  try { body = await res.json() } catch { /* not JSON: the status says enough */ }
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`)
  return body
}

function table(title, by, rows) {
  const wrap = document.createElement('div')
  wrap.className = 'kpi-table-wrap'
  const tab = document.createElement('table')
  tab.className = 'kpi-table'
  tab.dataset.by = by
  tab.createCaption().textContent = title
  const head = tab.createTHead().insertRow()
  for (const k of ['', 'kIncidents', 'kResponse', 'kArrival', 'kMeanArrival', 'kMeanRescue']) {
    const th = document.createElement('th')
    th.textContent = k ? t(k) : t(by === 'month' ? 'byMonth' : by === 'maintenance' ? 'byMaintenance' : 'byTownship').replace(/^按|^By /, '')
    head.append(th)
  }
  const body = tab.createTBody()
  for (const r of rows) {
    const tr = body.insertRow()
    tr.dataset.key = r.key
    for (const v of [r.key, String(r.incidents), pct(r.responseRate), pct(r.arrivalInLimitRate), minutes(r.meanArrivalMs), minutes(r.meanRescueMs)]) {
      tr.insertCell().textContent = v
    }
  }
  if (!rows.length) {
    const td = body.insertRow().insertCell()
    td.colSpan = 6
    td.textContent = t('noRows')
  }
  wrap.append(tab)
  return wrap
}

function draw() {
  if (!last) return
  const [from, to, results] = last
  $('period').textContent = `${from} – ${to}`
  $('tables').replaceChildren(...results.map(({ by, key, rows }) => table(t(key), by, rows)))
}

async function load() {
  const from = $('from').value
  const to = $('to').value
  if (!from || !to) return
  const q = `from=${monthStart(from)}&to=${monthStart(to, true)}`
  try {
    const results = await Promise.all(GROUPS.map(async ([by, key]) => ({ by, key, rows: (await getJson(`/api/kpis?by=${by}&${q}`)).rows })))
    last = [from, to, results]
    $('error').textContent = ''
    draw()
  } catch (err) {
    $('error').textContent = t('actFailed', { m: err.message })
  }
}

function relabel() {
  for (const n of document.querySelectorAll('[data-t]')) n.textContent = t(n.dataset.t)
  $('lang').textContent = t('langSwitch')
  document.title = `${t('kpiTitle')} · LiftWatch`
  draw()
}

// the last twelve months, this one included, in CST
const nowCst = new Date(Date.now() + CST)
const ym = (y, m) => `${y + Math.floor(m / 12)}-${String((m % 12 + 12) % 12 + 1).padStart(2, '0')}`
$('to').value = ym(nowCst.getUTCFullYear(), nowCst.getUTCMonth())
$('from').value = ym(nowCst.getUTCFullYear() - 1, nowCst.getUTCMonth() + 1)
$('range').addEventListener('submit', (ev) => { ev.preventDefault(); void load() })
$('print').addEventListener('click', () => window.print())
$('lang').addEventListener('click', () => setLang(other()))
onLang(relabel)
setLang(getLang())
void load()
