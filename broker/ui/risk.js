// The risk page (GET /api/risk, broker/records/risk.ts): every car's grade with its reasons, ranked
// within its township — cards at phone width, a table when wide. zh-CN first.
/* global document */  // browser module (eslint.config.js lints with node globals)
import { toLogin } from './ack.js'
import { getLang, other, setLang } from './i18n.js'

const T = {
  zh: { title: '电梯风险评估', live: '实时监测', report: '月报', township: '乡镇', grade: '等级', all: '全部', high: '高', medium: '中', low: '低',
    rank: '排名', elevator: '电梯', score: '分值', reasons: '原因', none: '无', summary: (h, m, l) => `高风险 ${h} 台，中风险 ${m} 台，低风险 ${l} 台` },
  en: { title: 'Elevator risk', live: 'Live', report: 'Monthly report', township: 'Township', grade: 'Grade', all: 'All', high: 'High', medium: 'Medium', low: 'Low',
    rank: 'Rank', elevator: 'Elevator', score: 'Score', reasons: 'Reasons', none: 'none', summary: (h, m, l) => `${h} high, ${m} medium, ${l} low` },
}
const $ = (id) => document.getElementById(id)
const t = (k) => T[getLang()][k]
let rows = []

const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e }
const reasonText = (r) => r.reasons.map((x) => `${getLang() === 'zh' ? x.zh : x.en} (+${x.points})`)
const place = (r) => [r.address, r.building].filter(Boolean).join(' ')

function draw() {
  for (const e of document.querySelectorAll('[data-r]')) e.textContent = t(e.dataset.r)
  $('lang').textContent = getLang() === 'zh' ? 'English' : '中文'
  const grade = $('grade').value
  const shown = rows.filter((r) => !grade || r.grade === grade)
  const n = (g) => rows.filter((r) => r.grade === g).length
  $('summary').textContent = t('summary')(n('high'), n('medium'), n('low'))
  $('cards').replaceChildren(...shown.map((r) => {
    const card = el('article', 'rk-card')
    const h = el('h3')
    h.append(el('span', `rk-grade rk-${r.grade}`, t(r.grade)), el('span', '', `#${r.rank} · ${r.score}`), el('span', '', place(r)))
    const ul = el('ul')
    for (const s of reasonText(r)) ul.append(el('li', '', s))
    card.append(h, el('div', 'kpi-note', `${r.registrationCode} · ${r.township ?? ''}`), r.reasons.length ? ul : el('div', 'kpi-note', t('none')))
    return card
  }))
  $('head').replaceChildren(...['rank', 'township', 'elevator', 'grade', 'score', 'reasons'].map((k) => el('th', '', t(k))))
  $('rows').replaceChildren(...shown.map((r) => {
    const tr = el('tr')
    tr.append(el('td', '', String(r.rank)), el('td', '', r.township ?? ''), el('td', 'why', `${r.registrationCode} ${place(r)}`),
      el('td', '', t(r.grade)), el('td', '', String(r.score)), el('td', 'why', reasonText(r).join('；') || t('none')))
    return tr
  }))
}

async function load() {
  const town = $('township').value
  const res = await fetch(`/api/risk${town ? `?township=${town}` : ''}`, { cache: 'no-store', headers: { accept: 'application/json' } })
  if (res.status === 401) return toLogin()
  const body = await res.json().catch(() => ({}))
  if (!res.ok) { $('error').textContent = body.message ?? `HTTP ${res.status}`; return }
  $('error').textContent = ''
  rows = body.rows
  const sel = $('township')
  if (sel.options.length === 1) {
    for (const code of [...new Set(rows.map((r) => r.township).filter(Boolean))].sort()) { const o = el('option', '', code); o.value = code; sel.append(o) }
  }
  draw()
}

$('township').addEventListener('change', () => void load())
$('grade').addEventListener('change', draw)
$('lang').addEventListener('click', () => { setLang(other()); draw() })
draw()
void load()
