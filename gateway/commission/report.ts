// The commissioning report: JSON for machines and a zh-CN + English Markdown page for people.
// Built by pure functions; writeReport is the only I/O.
import { SOFTWARE_VERSION } from '../version.ts'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PointValue, Profile } from '../../protocol/index.ts'
import type { ElevatorConfig, LinkConfig } from '../config.ts'
import type { ChecklistState, StepReason, StepStatus, Summary } from './checklist.ts'
import { summary } from './checklist.ts'
import type { Text } from './i18n.ts'
import { describeLink } from './link-options.ts'
import type { PollStats } from './unit-poller.ts'
import { addressText, valueText, type ErrorInfo, type Snapshot } from './snapshot.ts'
import { STEPS, type StepId } from './steps.ts'


export interface ReportStep {
  id: StepId; title: Text; status: StepStatus; reason: StepReason
  startedAt: string; endedAt: string; durationMs: number
  before: Record<string, PointValue>; observed: Record<string, PointValue>
  detail?: string
}
export interface ReportPoint {
  name: string; area: string; address: number; protocolAddress: number; count: number; type: string
  raw: readonly number[] | boolean | null; rawText: string; value: PointValue | null; changes: number; error?: ErrorInfo
}
export interface CommissioningReport {
  v: 1
  kind: 'liftwatch-commissioning'
  software: { name: 'liftwatch'; version: string; node: string }
  gateway: { id: string; region: string }
  elevator: { id: string; region: string; unitId: number; pollMs: number }
  link: Partial<LinkConfig> & { description: string }
  profile: { name: string; description: string; addressBase: 0 | 1 }
  mode: 'interactive' | 'auto'
  installer?: string
  startedAt: string
  finishedAt: string
  /** pass = every step passed; fail = one failed; incomplete = skipped ones, none failed */
  result: 'pass' | 'fail' | 'incomplete'
  summary: Summary
  steps: ReportStep[]
  poll: PollStats
  points: ReportPoint[]
}

export interface ReportInput {
  gateway: { id: string; region: string }
  elevator: ElevatorConfig
  pollMs: number
  link: LinkConfig
  profile: Profile
  mode: 'interactive' | 'auto'
  installer?: string
  startedAt: number
  finishedAt: number
  checklist: ChecklistState
  snapshot: Snapshot | undefined
  poll: PollStats
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** A TCP link's report leaves out the serial defaults, and a serial one the host. */
function linkFields(l: LinkConfig): Partial<LinkConfig> {
  const { baudRate, parity, dataBits, stopBits, path, host, port, ...rest } = l
  return l.transport === 'rtu' ? { ...rest, path, baudRate, parity, dataBits, stopBits } : { ...rest, host, port }
}

export function buildReport(i: ReportInput): CommissioningReport {
  const sum = summary(i.checklist)
  return {
    v: 1,
    kind: 'liftwatch-commissioning',
    software: { name: 'liftwatch', version: SOFTWARE_VERSION, node: process.version },
    gateway: i.gateway,
    elevator: { id: i.elevator.id, region: i.elevator.region ?? i.gateway.region, unitId: i.elevator.unitId, pollMs: i.pollMs },
    link: { ...linkFields(i.link), description: describeLink(i.link) },
    profile: { name: i.profile.name, description: i.profile.description, addressBase: i.profile.addressBase },
    mode: i.mode,
    ...(i.installer ? { installer: i.installer } : {}),
    startedAt: iso(i.startedAt),
    finishedAt: iso(i.finishedAt),
    result: sum.fail > 0 ? 'fail' : sum.pass === sum.total ? 'pass' : 'incomplete',
    summary: sum,
    steps: i.checklist.results.map((r) => ({
      id: r.id, title: STEPS[r.id].title, status: r.status, reason: r.reason,
      startedAt: iso(r.startedAt), endedAt: iso(r.endedAt), durationMs: r.endedAt - r.startedAt,
      before: { ...r.before }, observed: { ...r.observed }, ...(r.detail ? { detail: r.detail } : {}),
    })),
    poll: i.poll,
    points: (i.snapshot?.rows ?? []).map((r) => ({
      name: r.name, area: r.area, address: r.address, protocolAddress: r.protocolAddress, count: r.count, type: r.type,
      raw: r.raw, rawText: r.rawText, value: r.value ?? null, changes: r.changes, ...(r.error ? { error: r.error } : {}),
    })),
  }
}

export const STATUS_TEXT: Record<StepStatus | CommissioningReport['result'], Text> = {
  pass: { zh: '通过', en: 'PASS' }, fail: { zh: '未通过', en: 'FAIL' }, skip: { zh: '跳过', en: 'SKIP' },
  incomplete: { zh: '未完成', en: 'INCOMPLETE' },
}
export const REASON_TEXT: Record<StepReason, Text> = {
  seen: { zh: '观察到预期变化', en: 'expected change seen' },
  timeout: { zh: '超时', en: 'timed out' },
  skipped: { zh: '安装人员跳过', en: 'skipped by the installer' },
  quit: { zh: '调试中止', en: 'commissioning quit' },
  unmapped: { zh: '配置中无此信号', en: 'no signal for it in the profile' },
  mismatch: { zh: '信号与配置或彼此矛盾', en: 'signals contradict the configuration or each other' },
}

const both = (t: Text): string => `${t.zh} ${t.en}`
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ')
const values = (v: Record<string, PointValue>): string => Object.entries(v).map(([k, x]) => `${k}=${valueText(x)}`).join(', ') || '—'

export function reportMarkdown(r: CommissioningReport): string {
  const out = [
    '# 电梯监测终端调试报告 / Elevator monitoring commissioning report',
    '',
    '| 项目 Item | 内容 Value |',
    '|---|---|',
    `| 电梯 Elevator | \`${r.elevator.id}\` (${r.elevator.region}) |`,
    `| 网关 Gateway | \`${r.gateway.id}\` |`,
    `| 链路 Link | ${cell(r.link.description)} (link \`${r.link.id}\`, timeout ${r.link.timeoutMs} ms) |`,
    `| 从站地址 Unit id | ${r.elevator.unitId} |`,
    `| 点位配置 Profile | \`${r.profile.name}\` — ${cell(r.profile.description)} (addressBase ${r.profile.addressBase}) |`,
    ...(r.installer ? [`| 安装人员 Installer | ${cell(r.installer)} |`] : []),
    `| 方式 Mode | ${r.mode === 'auto' ? '自动 automatic' : '现场交互 interactive'} |`,
    `| 开始 Started | ${r.startedAt} |`,
    `| 结束 Finished | ${r.finishedAt} |`,
    `| 软件 Software | liftwatch ${r.software.version}, Node.js ${r.software.node} |`,
    `| 结论 Result | **${both(STATUS_TEXT[r.result])}** — ${r.summary.pass}/${r.summary.total} 通过 passed, ${r.summary.fail} 未通过 failed, ${r.summary.skip} 跳过 skipped |`,
    '',
    '## 检查步骤 Checklist',
    '',
    '| # | 步骤 Step | 结果 Result | 说明 Reason | 用时 Time | 开始时 Before | 结束时 Observed |',
    '|---|---|---|---|---|---|---|',
    ...r.steps.map((s, i) => `| ${i + 1} | ${both(s.title)} | ${both(STATUS_TEXT[s.status])} | ${both(REASON_TEXT[s.reason])}${s.detail ? `: ${cell(s.detail)}` : ''} | ${(s.durationMs / 1000).toFixed(1)} s | ${cell(values(s.before))} | ${cell(values(s.observed))} |`),
    '',
    '## 点位快照 Point snapshot',
    '',
    `地址按点位配置书写（addressBase ${r.profile.addressBase}）。 Addresses as written in the profile (addressBase ${r.profile.addressBase}).`,
    '',
    '| 点位 Point | 区 Area | 地址 Address | 原始值 Raw | 解码值 Value | 变化次数 Changes | 错误 Error |',
    '|---|---|---|---|---|---|---|',
    ...r.points.map((p) => `| \`${p.name}\` | ${p.area} | ${addressText(p)} | \`${p.rawText}\` | ${cell(valueText(p.value))} | ${p.changes} | ${p.error ? cell(p.error.text) : ''} |`),
    '',
    `轮询 Polls: ${r.poll.polls} (成功 ok ${r.poll.ok}, 部分 partial ${r.poll.partial}, 失败 failed ${r.poll.failed}); ` +
      `延迟 latency avg ${r.poll.avgLatencyMs ?? '—'} ms, max ${r.poll.maxLatencyMs ?? '—'} ms.`,
    '',
  ]
  return out.join('\n')
}

/** Writes `<elevator>-<start>.json` and `.md` into `dir` (created); returns both paths. */
export function writeReport(dir: string, r: CommissioningReport): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true })
  const stem = `${r.elevator.id}-${r.startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`
  const json = join(dir, `${stem}.json`)
  const markdown = join(dir, `${stem}.md`)
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`)
  writeFileSync(markdown, reportMarkdown(r))
  return { json, markdown }
}
