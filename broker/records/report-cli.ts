// `liftwatch report --month 2026-11 --region 330922 --out FILE.xlsx|FILE.json`: the monthly report
// (broker/records/report.ts) fetched from the running broker's API with an API token — the broker
// owns the response store exclusively, so the report is the API's, KPIs and all. Exit 0 written,
// 2 bad arguments or the broker refused.
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { MonthlyReport } from './report.ts'

const HELP = `usage: liftwatch report --month YYYY-MM --out FILE.xlsx|FILE.json [--region CODE] [--url URL]
月度报表：从运行中的服务端取一个月的报表（各乡镇与全县：困人事件与考核指标、告警分类、隐患新增/销号/超期、
网格巡查、应急演练、群众投诉），写成 Excel（.xlsx）或 JSON。需要 API 令牌（liftwatch user token add），
放在环境变量 LIFTWATCH_TOKEN 中。
The monthly report per township and for the county from the running broker, as a workbook or JSON.
Needs an API token in LIFTWATCH_TOKEN.

  --month YYYY-MM  the month (China Standard Time)
  --region CODE    county (6 digits), township (9) or village (12); default: the token's scope
  --out FILE       .xlsx or .json
  --url URL        the broker's HTTP address (default http://127.0.0.1:8080)
  -h, --help       this text
`

export interface ReportFetch {
  url: string
  token: string
  month: string
  region?: string
  format: 'json' | 'xlsx'
}

/** The report's bytes from GET /api/reports/monthly; throws with the broker's message when refused. */
export async function fetchReport(o: ReportFetch): Promise<Buffer> {
  const u = new URL('/api/reports/monthly', o.url)
  u.searchParams.set('month', o.month)
  u.searchParams.set('format', o.format)
  if (o.region) u.searchParams.set('region', o.region)
  const res = await fetch(u, { headers: { authorization: `Bearer ${o.token}` } })
  const body = Buffer.from(await res.arrayBuffer())
  if (!res.ok) {
    let message = body.toString('utf8')
    try { message = (JSON.parse(message) as { message?: string }).message ?? message } catch { /* the body as is */ }
    throw new Error(`${res.status}: ${message}`)
  }
  return body
}

export async function main(argv: string[]): Promise<void> {
  let values: { month?: string | undefined; region?: string | undefined; out?: string | undefined; url?: string | undefined; help?: boolean | undefined }
  try {
    ({ values } = parseArgs({
      args: argv, strict: true,
      options: { month: { type: 'string' }, region: { type: 'string' }, out: { type: 'string' }, url: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (err) {
    process.stderr.write(`liftwatch report: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (values.help) { process.stdout.write(HELP); return }
  const token = process.env.LIFTWATCH_TOKEN
  const format = values.out?.endsWith('.xlsx') ? 'xlsx' : values.out?.endsWith('.json') ? 'json' : null
  const problem = !values.month || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.month) ? '--month YYYY-MM is required'
    : values.region !== undefined && !/^(\d{6}|\d{9}|\d{12})$/.test(values.region) ? `--region ${values.region}: 6, 9 or 12 digits`
      : !values.out || !format ? '--out FILE ending in .xlsx or .json is required'
        : !token ? 'set LIFTWATCH_TOKEN to an API token (liftwatch user token add)' : null
  if (problem) {
    process.stderr.write(`liftwatch report: ${problem}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  try {
    const body = await fetchReport({ url: values.url ?? 'http://127.0.0.1:8080', token: token!, month: values.month!, format: format!, ...(values.region ? { region: values.region } : {}) })
    await writeFile(values.out!, body)
    process.stdout.write(`${summary(format!, body, values.month!)}\n已写入 / written: ${values.out}\n`)
  } catch (err) {
    process.stderr.write(`liftwatch report: ${(err as Error).message}\n`)
    process.exitCode = 2
  }
}

function summary(format: 'json' | 'xlsx', body: Buffer, month: string): string {
  if (format === 'xlsx') return `${month} 月度报表 / monthly report: ${body.length} bytes`
  const r = JSON.parse(body.toString('utf8')) as MonthlyReport
  const k = r.total.kpi
  const rate = (x: number | undefined) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`)
  return `${r.period} ${r.total.name}: 困人 ${k?.incidents ?? 0} 起，3分钟响应率 ${rate(k?.responseRate)}，到达及时率 ${rate(k?.arrivalInLimitRate)}；`
    + `告警 ${r.total.alarms}，新增隐患 ${r.total.hazards.opened}，巡查 ${r.total.patrols}，演练 ${r.total.drills}，投诉 ${r.total.complaints.filed}`
}
