// `liftwatch drill --elevator ID`: an emergency drill (应急演练) through the running broker's real
// chain — a simulated entrapment opens a drill incident, every message goes out marked 【演练】 —
// printing each time reached as it happens and a summary at the end (docs/domain.md#response-chain).
// It speaks the broker's HTTP API with an API token (liftwatch user token add); the drill is kept
// as an incident with drill: true, which the six-monthly drill record counts.
import type { Incident, IncidentState, TimelineEntry } from '../../response/index.ts'
import { INCIDENT_STATES, incidentKpi, isClosed } from '../../response/index.ts'
import type { IncidentDetail } from './types.ts'

export interface DrillOptions {
  /** the broker's HTTP origin, e.g. http://127.0.0.1:8080 */
  url: string
  token: string
  elevatorId: string
  /** stop waiting after this long (the drill goes on at the broker; the desk closes it) */
  timeoutMs: number
  pollMs?: number
  out: (line: string) => void
  /** wall clock by default; tests may pass their own */
  sleep?: (ms: number) => Promise<void>
}

export interface DrillResult {
  incidentId: string
  state: IncidentState
  /** ms from the alarm to each milestone reached */
  reached: Partial<Record<'firstDelivered' | 'allAtOnceDelivered' | 'responded' | 'arrived' | 'released', number>>
  completed: boolean
}

const ROLE_ZH: Record<string, string> = {
  maintenance: '维保单位', property: '物业/使用单位', steward: '楼道长', grid: '网格员', township: '乡镇',
  desk: '96333', rescuer: '就近救援人员', bureau: '县市场监管局', police: '110/119',
}

export const formatMs = (ms: number): string => {
  const s = Math.max(0, Math.round(ms / 1000))
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

async function api<T>(o: DrillOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(path, o.url), {
    method,
    headers: { authorization: `Bearer ${o.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  })
  const text = await res.text()
  if (!res.ok) {
    let message = text
    try { message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text } catch { /* the body as is */ }
    throw new Error(`${method} ${path}: HTTP ${res.status} ${message}`)
  }
  return JSON.parse(text) as T
}

/** One line per new timeline entry worth showing; `since` is the alarm time. */
function describe(e: TimelineEntry, since: number): string | null {
  const t = `+${formatMs(e.at - since).padStart(10)}`
  switch (e.kind) {
    case 'notify': return `${t}  通知 notify ${ROLE_ZH[e.role] ?? e.role}${e.reminder ? ' (提醒 reminder)' : ''} · ${e.step}`
    case 'delivery': return e.ok ? `${t}  送达 delivered ${e.notificationId} (第 ${e.attempt} 次 attempt)` : `${t}  未送达 failed ${e.notificationId}: ${e.detail}`
    case 'step_skipped': return `${t}  跳过 skipped ${e.step} (${e.because})`
    case 'action': return `${t}  ${INCIDENT_STATES[e.state].zh} ${e.action.kind} · ${e.actor.name}`
    case 'rejected': return `${t}  拒绝 rejected ${e.action.kind}: ${e.reason}`
    default: return null
  }
}

function milestones(i: Incident): DrillResult['reached'] {
  const k = incidentKpi(i)
  const first = i.timeline.find((e) => e.kind === 'delivery' && e.ok)
  const atOnce = i.timeline.filter((e) => e.kind === 'notify' && e.step === 'at_once').map((e) => (e.kind === 'notify' ? e.notificationId : ''))
  const delivered = new Map<string, number>()
  for (const e of i.timeline) if (e.kind === 'delivery' && e.ok && !delivered.has(e.notificationId)) delivered.set(e.notificationId, e.at)
  const allAtOnce = atOnce.length && atOnce.every((id) => delivered.has(id)) ? Math.max(...atOnce.map((id) => delivered.get(id)!)) : undefined
  return {
    ...(first ? { firstDelivered: first.at - i.alarmAt } : {}),
    ...(allAtOnce !== undefined ? { allAtOnceDelivered: allAtOnce - i.alarmAt } : {}),
    ...(k.responseMs !== undefined ? { responded: k.responseMs } : {}),
    ...(k.arrivalMs !== undefined ? { arrived: k.arrivalMs } : {}),
    ...(k.rescueMs !== undefined ? { released: k.rescueMs } : {}),
  }
}

export async function runDrill(o: DrillOptions): Promise<DrillResult> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const started = Date.now()
  const { incident: opened } = await api<{ incident: Incident }>(o, 'POST', '/api/drills', { elevatorId: o.elevatorId })
  o.out(`【演练】 drill ${opened.id} · 电梯 elevator ${o.elevatorId} · 策略 policy ${opened.policy}`)
  let shown = 0
  let inc = opened
  for (;;) {
    const detail = await api<IncidentDetail>(o, 'GET', `/api/incidents/${encodeURIComponent(opened.id)}`)
    inc = detail.incident
    for (const e of inc.timeline.slice(shown)) {
      const line = describe(e, inc.alarmAt)
      if (line) o.out(line)
    }
    shown = inc.timeline.length
    if (isClosed(inc.state) || Date.now() - started >= o.timeoutMs) break
    await sleep(o.pollMs ?? 1000)
  }
  const reached = milestones(inc)
  const label: Record<keyof DrillResult['reached'], string> = {
    firstDelivered: '首条送达 first delivered', allAtOnceDelivered: '首批全部送达 all first notices delivered',
    responded: '响应 responded', arrived: '到达 arrived', released: '解救 released',
  }
  o.out(`—— 演练结果 drill result: ${INCIDENT_STATES[inc.state].zh} / ${INCIDENT_STATES[inc.state].en}`)
  for (const k of Object.keys(label) as (keyof typeof label)[]) {
    o.out(`  ${label[k].padEnd(34)} ${reached[k] !== undefined ? formatMs(reached[k]) : '未达到 not reached'}`)
  }
  return { incidentId: inc.id, state: inc.state, reached, completed: inc.state === '00' }
}
