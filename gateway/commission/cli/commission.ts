// `liftwatch commission`: walks the installer through the checklist for each elevator of a
// gateway configuration, confirming every step from the live signals, then writes the report.
import { parseArgs } from 'node:util'
import logUpdate from 'log-update'
import type { ElevatorConfig, GatewayConfig } from '../../config.ts'
import { ModbusLink } from '../../modbus/link.ts'
import { currentStep, type ChecklistState } from '../checklist.ts'
import { lines, tr, type Lang } from '../i18n.ts'
import { describeLink, waitConnected } from '../link-options.ts'
import { UnitPoller } from '../unit-poller.ts'
import { renderCommission } from '../render.ts'
import { REASON_TEXT, STATUS_TEXT, buildReport, writeReport, type CommissioningReport } from '../report.ts'
import { CommissionRun, type RunUpdate } from '../session.ts'
import { STEP_IDS, parseSteps, type StepId } from '../steps.ts'
import { Problems, elevatorLink, fail, loadConfigOrFail, loadProfileOrFail, tapLogger, unreachable, usageProblems } from './common.ts'

const HELP = `usage: liftwatch commission --config FILE [options]
调试验收：逐步引导安装人员，并由实时信号确认每一步 / commissioning: a step-by-step checklist,
each step confirmed by watching the live signals, then a report (JSON + Markdown).

  --config FILE        gateway configuration (YAML)
  --elevator ID        only this elevator (default: every elevator in the file, one after another)
  --report DIR         where the reports go (default ./commissioning)
  --auto               no keys: wait for each step's signals until its timeout (scripts, CI)
  --step-timeout S     seconds each step may take (default 120)
  --steps LIST         steps, in order (default ${STEP_IDS.join(',')})
  --installer NAME     recorded in the report
  --connect-timeout MS give up on an elevator whose link does not connect (default 5000)
  --lang zh|en|both    language of the screen (default from LANG); the report has both
  --verbose            link log lines on stderr

keys 按键:  s 跳过本步 skip the step · q 结束调试 quit (remaining steps recorded as skipped)
`

interface Args {
  config: Readonly<GatewayConfig>; elevators: ElevatorConfig[]; reportDir: string; auto: boolean
  stepTimeoutMs: number; steps: StepId[]; installer?: string; connectTimeoutMs: number; lang: Lang; verbose: boolean
}

function parse(argv: string[]): Args | 'help' | undefined {
  let values
  try {
    ({ values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        config: { type: 'string' }, elevator: { type: 'string' }, report: { type: 'string', default: './commissioning' },
        auto: { type: 'boolean', default: false }, 'step-timeout': { type: 'string' }, steps: { type: 'string' },
        installer: { type: 'string' }, 'connect-timeout': { type: 'string' }, lang: { type: 'string' },
        verbose: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }))
  } catch (err) {
    usageProblems('commission', [(err as Error).message], HELP)
    return undefined
  }
  if (values.help) return 'help'
  const p = new Problems()
  if (!values.config) p.list.push('--config: is required')
  const stepTimeoutMs = p.int('step-timeout', values['step-timeout'], 1, 86_400, 120) * 1000
  const connectTimeoutMs = p.int('connect-timeout', values['connect-timeout'], 100, 600_000, 5000)
  const lang = p.lang(values.lang)
  const steps = values.steps === undefined ? [...STEP_IDS] : parseSteps(values.steps)
  if (!Array.isArray(steps)) p.list.push(`--steps: unknown ${steps.unknown.join(', ')} (steps: ${STEP_IDS.join(', ')})`)
  if (p.list.length || !Array.isArray(steps)) { usageProblems('commission', p.list, HELP); return undefined }
  const config = loadConfigOrFail('commission', values.config!)
  if (!config) return undefined
  const elevators = config.elevators.filter((e) => !values.elevator || e.id === values.elevator)
  if (elevators.length === 0) {
    fail('commission', { zh: `配置中没有电梯 ${values.elevator}`, en: `no elevator ${values.elevator} in ${values.config}` }, 2, config.elevators.map((e) => e.id))
    return undefined
  }
  return {
    config, elevators, reportDir: values.report!, auto: values.auto, stepTimeoutMs, steps, installer: values.installer,
    connectTimeoutMs, lang, verbose: values.verbose,
  }
}

export async function main(argv: string[]): Promise<void> {
  const args = parse(argv)
  if (args === 'help') { process.stdout.write(HELP); return }
  if (!args) return
  if (!args.auto && !process.stdin.isTTY) {
    process.stderr.write('liftwatch commission: 标准输入不是终端，按 --auto 运行\nliftwatch commission: stdin is not a terminal: running as --auto\n')
    args.auto = true
  }
  const tap = tapLogger('liftwatch-commission', args.verbose)
  const links = new Map<string, ModbusLink>()
  const results: CommissioningReport['result'][] = []
  try {
    for (const e of args.elevators) {
      const cfg = elevatorLink(args.config, e)
      let link = links.get(cfg.id)
      if (!link) {
        link = new ModbusLink(cfg, tap.log.child({ elevator: e.id }))
        links.set(cfg.id, link)
        link.start()
      }
      const result = await commissionOne(args, e, link, tap.lastProblem)
      results.push(result ?? 'fail')
    }
  } finally {
    await Promise.all([...links.values()].map((l) => l.stop()))
  }
  if (results.some((r) => r !== 'pass')) process.exitCode = 1
}

async function commissionOne(a: Args, e: ElevatorConfig, link: ModbusLink, lastProblem: () => string | undefined): Promise<CommissioningReport['result'] | undefined> {
  const linkCfg = elevatorLink(a.config, e)
  const where = describeLink(linkCfg)
  const profile = loadProfileOrFail('commission', e.profile)
  if (!profile) return undefined
  if (!(await waitConnected(link, a.connectTimeoutMs))) {
    unreachable('commission', `${where} (${e.id})`, a.connectTimeoutMs, lastProblem())
    return undefined
  }
  const pollMs = e.pollMs ?? a.config.polling.pollMs
  const poller = new UnitPoller(link, e.unitId, profile)
  const tty = process.stdout.isTTY === true
  const interactive = !a.auto
  const say = (s: string) => process.stdout.write(`${s}\n`)
  say(`== ${tr(a.lang, { zh: '电梯', en: 'elevator' })} ${e.id} · ${where} · unit ${e.unitId} · ${profile.name}`)
  const printed = { results: 0, step: -1 }
  const onUpdate = (u: RunUpdate) => {
    if (tty) {
      logUpdate(renderCommission({
        lang: a.lang, elevator: e.id, link: where, unitId: e.unitId, profile: profile.name, state: u.state, sample: u.sample,
        now: Date.now(), interactive, columns: process.stdout.columns || 120,
      }))
    } else {
      logLines(a.lang, u.state, printed, say)
    }
  }
  const run = new CommissionRun(poller, pollMs, {
    steps: a.steps, timeoutMs: a.stepTimeoutMs, points: Object.keys(profile.points),
    context: { tolerance: 0.15, ...(e.landings ? { landingHeights: e.landings.map((l) => l.height) } : {}) },
  }, onUpdate)
  const detach = attachControls(run, interactive)
  let outcome
  try {
    outcome = await run.run()
  } finally {
    detach()
  }
  if (tty) logUpdate.done()
  const report = buildReport({
    gateway: a.config.gateway, elevator: e, pollMs, link: linkCfg, profile, mode: a.auto ? 'auto' : 'interactive',
    ...(a.installer ? { installer: a.installer } : {}),
    startedAt: outcome.startedAt, finishedAt: outcome.finishedAt, checklist: outcome.state, snapshot: outcome.last?.snapshot,
    poll: outcome.last?.stats ?? { polls: 0, ok: 0, partial: 0, failed: 0, requests: 0 },
  })
  const files = writeReport(a.reportDir, report)
  const s = report.summary
  say(`${tr(a.lang, { zh: '结论', en: 'result' })}: ${tr(a.lang, STATUS_TEXT[report.result])} — ${s.pass}/${s.total} ` +
    `${tr(a.lang, { zh: '通过', en: 'passed' })}, ${s.fail} ${tr(a.lang, { zh: '未通过', en: 'failed' })}, ${s.skip} ${tr(a.lang, { zh: '跳过', en: 'skipped' })}`)
  say(`${tr(a.lang, { zh: '报告', en: 'report' })}: ${files.json}`)
  say(`${tr(a.lang, { zh: '报告', en: 'report' })}: ${files.markdown}`)
  return report.result
}

/** Line mode (no terminal): one line as each step begins and as each result is recorded. */
function logLines(lang: Lang, state: ChecklistState, printed: { results: number; step: number }, say: (s: string) => void): void {
  for (; printed.results < state.results.length; printed.results++) {
    const r = state.results[printed.results]!
    say(`  [${r.status}] ${r.id}: ${tr(lang, STATUS_TEXT[r.status])} — ${tr(lang, REASON_TEXT[r.reason])}${r.detail ? `: ${r.detail}` : ''} (${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s)`)
  }
  const step = currentStep(state)
  if (step && printed.step !== state.index) {
    printed.step = state.index
    say(`  [step ${state.index + 1}/${state.order.length}] ${step.id}: ${lines(lang, step.title).join(' / ')}`)
  }
}

/** Keys from a terminal (s, q, Ctrl-C), or signals when running unattended; returns the undo. */
function attachControls(run: CommissionRun, interactive: boolean): () => void {
  const onSignal = () => run.quit()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const stdin = process.stdin
  const onKey = (buf: Buffer) => {
    const k = buf.toString('utf8').toLowerCase()
    if (k === 's') run.skip()
    else if (k === 'q' || k === '\u0003') run.quit()
  }
  if (interactive) {
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on('data', onKey)
  }
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (interactive) {
      stdin.off('data', onKey)
      stdin.setRawMode(false)
      stdin.pause()
    }
  }
}
