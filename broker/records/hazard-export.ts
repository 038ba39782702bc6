// The register exported for reporting upward (docs/domain.md#kpis): the form's columns in zh-CN,
// times as China Standard Time text, as a workbook (exceljs) and as CSV (RFC 4180, UTF-8 with a BOM
// so Excel opens it in Chinese). Codes stay text: a 20-digit registration code as a number would round.
import ExcelJS from 'exceljs'
import { cst, FOUND_BY_ZH, GRADE_ZH } from './hazard-rules.ts'
import { HAZARD_STATE_ZH, type Hazard } from './types.ts'

export const HAZARD_SHEET = '重大安全隐患登记表'

/** The register's columns: header and width (characters). */
export const HAZARD_COLUMNS = [
  ['编号', 18], ['使用单位', 20], ['注册代码', 24], ['所在位置', 32], ['隐患描述', 40], ['隐患等级', 10], ['发现时间', 18],
  ['发现方式', 10], ['整改措施', 30], ['责任人', 12], ['整改期限', 18], ['完成时间', 18], ['验收人', 12], ['状态', 10],
] as const

export function hazardRow(h: Hazard): string[] {
  return [
    h.number, h.useUnitName ?? h.useUnit ?? '', h.registrationCode, h.location, h.description, GRADE_ZH[h.grade], cst(h.foundAt),
    FOUND_BY_ZH[h.foundBy], h.measures ?? '', h.owner ?? '', cst(h.deadline), cst(h.doneAt), h.checkedBy ?? '', HAZARD_STATE_ZH[h.state],
  ]
}

export async function hazardsXlsx(hazards: readonly Hazard[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  wb.creator = 'LiftWatch'
  const ws = wb.addWorksheet(HAZARD_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] })
  ws.columns = HAZARD_COLUMNS.map(([header, width]) => ({ header, width }))
  ws.getRow(1).font = { bold: true }
  for (const h of hazards) ws.addRow(hazardRow(h))
  ws.eachRow((row) => { row.alignment = { vertical: 'top', wrapText: true } })
  return Buffer.from(await wb.xlsx.writeBuffer())
}

const quote = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)

export function hazardsCsv(hazards: readonly Hazard[]): string {
  const lines = [HAZARD_COLUMNS.map(([h]) => h), ...hazards.map(hazardRow)].map((cells) => cells.map(quote).join(','))
  return `\uFEFF${lines.join('\r\n')}\r\n`
}
