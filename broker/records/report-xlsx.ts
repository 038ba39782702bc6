// The monthly report as a workbook (exceljs): 概览 (the whole), 乡镇 (per township), 告警 (alarms by
// type and township), 隐患 (hazards), 巡查与演练 (patrols and drills), 群众投诉 (residents' reports).
// Headers zh-CN first, English second, as the printable page (broker/ui/report.html).
import ExcelJS from 'exceljs'
import type { MonthlyReport, ReportRow } from './report.ts'

export const REPORT_SHEETS = ['概览', '乡镇', '告警', '隐患', '巡查与演练', '群众投诉'] as const

const pct = (x: number | undefined) => (x === undefined ? '' : Math.round(x * 1000) / 10)
const min = (ms: number | null | undefined) => (ms === null || ms === undefined ? '' : Math.round(ms / 600) / 100)

const KPI_HEAD = ['困人事件 / Incidents', '3分钟响应率% / 3-min response %', '到达及时率% / Arrival in limit %', '平均到达(分) / Mean arrival (min)', '平均救援(分) / Mean rescue (min)', '平均现场(分) / Mean on site (min)']
const kpiCells = (r: ReportRow) => r.kpi
  ? [r.kpi.incidents, pct(r.kpi.responseRate), pct(r.kpi.arrivalInLimitRate), min(r.kpi.meanArrivalMs), min(r.kpi.meanRescueMs), min(r.kpi.meanOnSiteMs)]
  : [0, '', '', '', '', '']

function sheet(wb: ExcelJS.Workbook, name: string, head: readonly string[], rows: readonly (readonly (string | number)[])[]): void {
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] })
  ws.addRow([...head]).font = { bold: true }
  for (const r of rows) ws.addRow([...r])
  ws.columns.forEach((c, i) => { c.width = Math.max(10, Math.min(36, (head[i]?.length ?? 8) + 2)) })
}

export async function reportXlsx(r: MonthlyReport): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  wb.creator = 'LiftWatch'
  wb.created = new Date(r.generatedAt)
  const rows = [...r.townships, r.total]
  const t = r.total
  sheet(wb, '概览', ['项目 / Item', '数值 / Value'], [
    ['统计期 / Period', r.period], ['区域 / Region', r.region], ['电梯数 / Elevators', t.elevators],
    ...KPI_HEAD.map((h, i) => [h, kpiCells(t)[i]!] as const),
    ['告警 / Alarms', t.alarms], ['新增隐患 / Hazards opened', t.hazards.opened], ['销号隐患 / Hazards closed', t.hazards.closed],
    ['超期隐患 / Hazards overdue', t.hazards.overdue], ['网格巡查 / Patrols', t.patrols], ['应急演练 / Drills', t.drills],
    ['群众投诉 / Residents\' reports', t.complaints.filed], ['按时受理 / Acknowledged in time', t.complaints.ackInTime],
    ['按时办结 / Resolved in time', t.complaints.resolvedInTime],
  ])
  sheet(wb, '乡镇', ['乡镇代码 / Code', '乡镇 / Township', '电梯数 / Elevators', ...KPI_HEAD, '告警 / Alarms'],
    rows.map((x) => [x.key, x.name, x.elevators, ...kpiCells(x), x.alarms]))
  const towns = r.townships.map((x) => x.key)
  sheet(wb, '告警', ['类型 / Type', '名称 / Name', '级别 / Severity', '合计 / Total', ...r.townships.map((x) => x.name)],
    r.alarmsByType.map((a) => [a.type, a.zh, a.severity, a.count, ...towns.map((k) => a.byTownship[k] ?? 0)]))
  sheet(wb, '隐患', ['乡镇 / Township', '新增 / Opened', '销号 / Closed', '超期 / Overdue'],
    rows.map((x) => [x.name, x.hazards.opened, x.hazards.closed, x.hazards.overdue]))
  sheet(wb, '巡查与演练', ['乡镇 / Township', '电梯数 / Elevators', '网格巡查 / Patrols', '应急演练 / Drills'],
    rows.map((x) => [x.name, x.elevators, x.patrols, x.drills]))
  sheet(wb, '群众投诉', ['乡镇 / Township', '受理 / Filed', '按时受理 / Ack in time', '按时办结 / Resolved in time'],
    rows.map((x) => [x.name, x.complaints.filed, x.complaints.ackInTime, x.complaints.resolvedInTime]))
  return Buffer.from(await wb.xlsx.writeBuffer())
}
