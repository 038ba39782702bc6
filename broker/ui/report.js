// The printable monthly report (GET /api/reports/monthly, broker/records/report.ts): the county's
// overview, per township KPIs and records, alarms by type. zh-CN first; A4 print from the browser.
/* global document, window, location */  // browser module (eslint.config.js lints with node globals)
import { toLogin } from './ack.js'
import { getLang, other, setLang } from './i18n.js'

const T = {
  zh: {
    title: '电梯安全监管月报', live: '实时监测', risk: '风险评估', print: '打印', month: '月份', region: '区域代码', show: '查询', xlsx: '下载 Excel',
    overview: '概览', townships: '各乡镇', alarms: '告警分类', item: '项目', value: '数值', township: '乡镇', elevators: '电梯数',
    incidents: '困人事件', response: '3分钟响应率', arrival: '到达及时率', meanArrival: '平均到达', meanRescue: '平均救援',
    alarmCount: '告警', hzOpened: '新增隐患', hzClosed: '销号隐患', hzOverdue: '超期隐患', patrols: '网格巡查', drills: '应急演练',
    complaints: '群众投诉', ackInTime: '按时受理', resolvedInTime: '按时办结', type: '类型', total: '合计', none: '无', min: '分钟', heading: (p, r) => `${p} 电梯安全监管月报（${r}）`,
  },
  en: {
    title: 'Monthly elevator safety report', live: 'Live', risk: 'Risk', print: 'Print', month: 'Month', region: 'Region code', show: 'Show', xlsx: 'Download Excel',
    overview: 'Overview', townships: 'Townships', alarms: 'Alarms by type', item: 'Item', value: 'Value', township: 'Township', elevators: 'Elevators',
    incidents: 'Incidents', response: '3-min response', arrival: 'Arrival in limit', meanArrival: 'Mean arrival', meanRescue: 'Mean rescue',
    alarmCount: 'Alarms', hzOpened: 'Hazards opened', hzClosed: 'Hazards closed', hzOverdue: 'Hazards overdue', patrols: 'Patrols', drills: 'Drills',
    complaints: "Residents' reports", ackInTime: 'Acknowledged in time', resolvedInTime: 'Resolved in time', type: 'Type', total: 'Total', none: 'none', min: 'min', heading: (p, r) => `Elevator safety report ${p} (${r})`,
  },
}
let lang = getLang()
let last = null
const $ = (id) => document.getElementById(id)
const t = (k) => T[lang][k]
const pct = (x) => (x == null ? '—' : `${(x * 100).toFixed(1)}%`)
const mins = (ms) => (ms == null ? '—' : `${(ms / 60_000).toFixed(1)} ${t('min')}`)

function table(caption, head, rows) {
  const wrap = document.createElement('div')
  wrap.className = 'kpi-table-wrap'
  const h2 = document.createElement('h2')
  h2.textContent = caption
  const tab = document.createElement('table')
  tab.className = 'kpi-table'
  const hr = tab.createTHead().insertRow()
  for (const k of head) { const th = document.createElement('th'); th.textContent = k; hr.append(th) }
  const body = tab.createTBody()
  for (const r of rows) {
    const tr = body.insertRow()
    r.forEach((v, i) => { const td = tr.insertCell(); td.textContent = String(v); if (i === 0) td.className = 'name' })
  }
  if (!rows.length) { const td = body.insertRow().insertCell(); td.colSpan = head.length; td.textContent = t('none') }
  wrap.append(h2, tab)
  return wrap
}

function draw() {
  for (const el of document.querySelectorAll('[data-r]')) el.textContent = t(el.dataset.r)
  $('lang').textContent = lang === 'zh' ? 'English' : '中文'
  if (!last) return
  const r = last
  $('heading').textContent = t('heading')(r.period, r.total.name)
  const k = r.total.kpi
  const overview = [
    [t('elevators'), r.total.elevators], [t('incidents'), k?.incidents ?? 0], [t('response'), pct(k?.responseRate)], [t('arrival'), pct(k?.arrivalInLimitRate)],
    [t('meanArrival'), mins(k?.meanArrivalMs)], [t('meanRescue'), mins(k?.meanRescueMs)], [t('alarmCount'), r.total.alarms],
    [t('hzOpened'), r.total.hazards.opened], [t('hzClosed'), r.total.hazards.closed], [t('hzOverdue'), r.total.hazards.overdue],
    [t('patrols'), r.total.patrols], [t('drills'), r.total.drills], [t('complaints'), r.total.complaints.filed],
    [t('ackInTime'), r.total.complaints.ackInTime], [t('resolvedInTime'), r.total.complaints.resolvedInTime],
  ]
  const towns = [...r.townships, r.total].map((x) => [x.name, x.elevators, x.kpi?.incidents ?? 0, pct(x.kpi?.responseRate), pct(x.kpi?.arrivalInLimitRate),
    mins(x.kpi?.meanArrivalMs), x.alarms, x.hazards.opened, x.hazards.closed, x.hazards.overdue, x.patrols, x.drills, x.complaints.filed])
  const alarms = r.alarmsByType.map((a) => [lang === 'zh' ? a.zh : a.en, a.count, ...r.townships.map((x) => a.byTownship[x.key] ?? 0)])
  $('out').replaceChildren(
    table(t('overview'), [t('item'), t('value')], overview),
    table(t('townships'), [t('township'), t('elevators'), t('incidents'), t('response'), t('arrival'), t('meanArrival'), t('alarmCount'),
      t('hzOpened'), t('hzClosed'), t('hzOverdue'), t('patrols'), t('drills'), t('complaints')], towns),
    table(t('alarms'), [t('type'), t('total'), ...r.townships.map((x) => x.name)], alarms),
  )
}

async function load() {
  const q = new URLSearchParams({ month: $('month').value })
  if ($('region').value) q.set('region', $('region').value)
  $('xlsx').href = `/api/reports/monthly?${q}&format=xlsx`
  const res = await fetch(`/api/reports/monthly?${q}`, { cache: 'no-store', headers: { accept: 'application/json' } })
  if (res.status === 401) return toLogin()
  const body = await res.json().catch(() => ({}))
  if (!res.ok) { $('error').textContent = body.message ?? `HTTP ${res.status}`; return }
  $('error').textContent = ''
  last = body
  window.history.replaceState(null, '', `?${q}`)
  draw()
}

const params = new URLSearchParams(location.search)
// the last full month, China Standard Time
const now = new Date(Date.now() + 8 * 3_600_000)
const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))
$('month').value = params.get('month') ?? prev.toISOString().slice(0, 7)
$('region').value = params.get('region') ?? ''
$('q').addEventListener('submit', (e) => { e.preventDefault(); void load() })
$('print').addEventListener('click', () => window.print())
$('lang').addEventListener('click', () => { setLang(other()); lang = getLang(); draw() })
draw()
void load()
