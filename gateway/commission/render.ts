// Screens for the probe and the commissioning run, as text. Pure: the CLI writes them.
import { currentStep, needsUndo, remainingMs, type ChecklistState } from './checklist.ts'
import { lines, padEnd, tr, truncate, width, type Lang, type Text } from './i18n.ts'
import type { PollStats, Sample } from './unit-poller.ts'
import { REASON_TEXT, STATUS_TEXT } from './report.ts'
import { addressText, valueText, type Snapshot } from './snapshot.ts'
import { STEPS, factsOf } from './steps.ts'

export const T = {
  probe: { zh: '现场调试', en: 'probe' },
  commission: { zh: '调试验收', en: 'commissioning' },
  unit: { zh: '从站', en: 'unit' },
  profile: { zh: '点位配置', en: 'profile' },
  link: { zh: '链路', en: 'link' },
  connected: { zh: '已连接', en: 'connected' },
  reconnecting: { zh: '重连中', en: 'reconnecting' },
  polls: { zh: '轮询', en: 'polls' },
  failed: { zh: '失败', en: 'failed' },
  partial: { zh: '部分', en: 'partial' },
  requests: { zh: '请求/次', en: 'requests/poll' },
  latency: { zh: '延迟', en: 'latency' },
  lastError: { zh: '最近错误', en: 'last error' },
  point: { zh: '点位', en: 'point' },
  area: { zh: '区', en: 'area' },
  address: { zh: '地址', en: 'address' },
  raw: { zh: '原始值', en: 'raw' },
  value: { zh: '解码值', en: 'value' },
  changes: { zh: '变化', en: 'changes' },
  legend: { zh: '* = 自上次刷新后有变化；地址按点位配置书写', en: '* = changed since the last refresh; addresses as written in the profile' },
  ctrlC: { zh: 'Ctrl-C 退出', en: 'Ctrl-C to quit' },
  waiting: { zh: '等待第一次读取…', en: 'waiting for the first read…' },
  stale: { zh: '本次读取失败，下表为上次读取的值', en: 'this read failed: the table shows the last values read at' },
  elevator: { zh: '电梯', en: 'elevator' },
  step: { zh: '步骤', en: 'step' },
  timeLeft: { zh: '剩余', en: 'time left' },
  live: { zh: '实时信号', en: 'live signals' },
  target: { zh: '目标', en: 'target' },
  undo: {
    zh: '信号已处于目标状态：请先让它离开该状态再回来，以证明接线正确。',
    en: 'The signal already shows the target state: make it leave that state and come back, to prove the wiring.',
  },
  keys: { zh: '[s] 跳过本步  [q] 结束调试', en: '[s] skip this step  [q] quit' },
  auto: { zh: '自动模式：等待信号变化', en: 'automatic: waiting for the signals' },
  done: { zh: '全部步骤已完成', en: 'all steps decided' },
} satisfies Record<string, Text>

/** Rows padded to common column widths (CJK-aware). */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))))
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : padEnd(c, widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)]
}

const two = (n: number): string => String(n).padStart(2, '0')
/** Local wall-clock time: what the installer's watch says. */
const clock = (ms: number): string => { const d = new Date(ms); return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}` }

export function statsLine(lang: Lang, stats: PollStats | undefined, connected: boolean): string[] {
  const s = stats ?? { polls: 0, ok: 0, partial: 0, failed: 0, requests: 0 }
  const latency = s.lastLatencyMs === undefined ? '—' : `${s.lastLatencyMs} ms (avg ${s.avgLatencyMs}, max ${s.maxLatencyMs})`
  const out = [
    `${tr(lang, T.link)}: ${tr(lang, connected ? T.connected : T.reconnecting)} · ${tr(lang, T.polls)} ${s.polls} ` +
      `(ok ${s.ok}, ${tr(lang, T.partial)} ${s.partial}, ${tr(lang, T.failed)} ${s.failed}) · ${tr(lang, T.requests)} ${s.requests} · ` +
      `${tr(lang, T.latency)} ${latency}`,
  ]
  if (s.lastError) out.push(`${tr(lang, T.lastError)}: ${s.lastError.text} (${s.lastError.code}, ${clock(s.lastError.at)})`)
  return out
}

export function pointTable(lang: Lang, snap: Snapshot): string[] {
  const rows = snap.rows.map((r) => [
    r.changed ? '*' : ' ', r.name, r.area, addressText(r), r.rawText, r.error ? `✗ ${r.error.text}` : r.valueText, String(r.changes),
  ])
  return table(['', tr(lang, T.point), tr(lang, T.area), tr(lang, T.address), tr(lang, T.raw), tr(lang, T.value), tr(lang, T.changes)], rows)
}

export interface ProbeView {
  readonly lang: Lang
  readonly link: string
  readonly unitId: number
  readonly profile: { name: string; addressBase: number }
  readonly sample: Sample | undefined
  readonly connected: boolean
  readonly columns: number
}

export function renderProbe(v: ProbeView): string {
  const { lang } = v
  const out = [
    `LiftWatch ${tr(lang, T.probe)} · ${v.link} · ${tr(lang, T.unit)} ${v.unitId} · ${tr(lang, T.profile)} ${v.profile.name} (addressBase ${v.profile.addressBase})`,
    ...statsLine(lang, v.sample?.stats, v.connected),
    ...(v.sample?.snapshot && !v.sample.fresh ? [`! ${tr(lang, T.stale)} ${clock(v.sample.snapshot.ts)}`] : []),
    '',
    ...(v.sample?.snapshot ? pointTable(lang, v.sample.snapshot) : [tr(lang, T.waiting)]),
    '',
    `${tr(lang, T.legend)} · ${tr(lang, T.ctrlC)}`,
  ]
  return out.map((l) => truncate(l, v.columns)).join('\n')
}

export interface CommissionView {
  readonly lang: Lang
  readonly elevator: string
  readonly link: string
  readonly unitId: number
  readonly profile: string
  readonly state: ChecklistState
  readonly sample: Sample | undefined
  readonly now: number
  readonly interactive: boolean
  readonly columns: number
}

const mark = { pass: '✓', fail: '✗', skip: '–' } as const

export function renderCommission(v: CommissionView): string {
  const { lang, state } = v
  const step = currentStep(state)
  const out = [`LiftWatch ${tr(lang, T.commission)} · ${tr(lang, T.elevator)} ${v.elevator} · ${v.link} · ${tr(lang, T.unit)} ${v.unitId} · ${tr(lang, T.profile)} ${v.profile}`, '']
  if (step) {
    out.push(`${tr(lang, T.step)} ${state.index + 1}/${state.order.length}: ${tr(lang, step.title)}   ` +
      `${tr(lang, T.timeLeft)} ${Math.ceil(remainingMs(state, v.now) / 1000)} s`)
    out.push(...lines(lang, step.instruction).map((l) => `  ${l}`))
    if (needsUndo(state)) out.push(...lines(lang, T.undo).map((l) => `  ! ${l}`))
    const values = v.sample?.snapshot?.values ?? {}
    const facts = factsOf(values, state.context)
    out.push('', `${tr(lang, T.target)}: ${step.target(state.points, facts)}`, `${tr(lang, T.live)}:`)
    const fields = step.fields.filter((f) => state.points.has(f))
    out.push(...table(['', ''], fields.map((f) => [`  ${f}`, valueText(values[f])])).slice(1))
  } else {
    out.push(tr(lang, T.done))
  }
  out.push('')
  state.order.forEach((id, i) => {
    const r = state.results[i]
    const title = tr(lang, STEPS[id].title)
    if (r) {
      out.push(`  ${mark[r.status]} ${i + 1} ${title} — ${tr(lang, STATUS_TEXT[r.status])}, ${tr(lang, REASON_TEXT[r.reason])} (${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s)`)
      if (r.detail) out.push(`      ${r.detail}`)
    }
    else out.push(`  ${i === state.index ? '▶' : '·'} ${i + 1} ${title}`)
  })
  out.push('', ...statsLine(lang, v.sample?.stats, v.sample?.connected ?? false), ...lines(lang, v.interactive ? T.keys : T.auto))
  return out.map((l) => truncate(l, v.columns)).join('\n')
}
