import { Readable } from 'node:stream'
import ExcelJS from 'exceljs'
import { describe, expect, it } from 'vitest'
import { HAZARD_COLUMNS, HAZARD_SHEET, hazardsCsv, hazardsXlsx } from '../../../broker/records/hazard-export.ts'
import type { Hazard } from '../../../broker/records/types.ts'
import { LIFT1, T0 } from '../incidents/fixtures.ts'

const HOUR = 3_600_000
const HEAD = ['编号', '使用单位', '注册代码', '所在位置', '隐患描述', '隐患等级', '发现时间', '发现方式', '整改措施', '责任人', '整改期限', '完成时间', '验收人', '状态']

const hazard: Hazard = {
  id: 'hz-330922-2026-0001', number: '330922-2026-0001', elevatorId: LIFT1, registrationCode: LIFT1, region: '330922', township: '330922100',
  useUnit: 'wy-shahe', useUnitName: '沙河路物业', location: '嵊泗县菜园镇沙河路 18 号 1号楼 1单元',
  description: '30 天内监测发现困人 3 次，"门锁"回路, 疑似短接\n须查明原因', grade: 'major', foundAt: T0 + 3 * HOUR + 5 * 60_000, foundBy: 'monitoring',
  measures: '更换门锁', owner: '李安全员', deadline: T0 + 7 * 24 * HOUR, doneAt: T0 + 2 * 24 * HOUR, checkedBy: '张科长', state: 'closed', closedAt: T0 + 3 * 24 * HOUR,
  photos: [], timeline: [],
}
const open: Hazard = { ...hazard, id: 'hz-2', number: '330922-2026-0002', state: 'open', grade: 'general', foundBy: 'patrol', description: '照明损坏' }
// remove the optional columns of the open one
const { measures: _m, owner: _o, doneAt: _d, checkedBy: _c, useUnitName: _n, useUnit: _u, closedAt: _cl, ...bare } = open

const ROW = [
  '330922-2026-0001', '沙河路物业', LIFT1, '嵊泗县菜园镇沙河路 18 号 1号楼 1单元', hazard.description, '重大',
  // T0 is 08:00 China Standard Time
  '2026-01-01 11:05', '在线监测', '更换门锁', '李安全员', '2026-01-08 08:00', '2026-01-03 08:00', '张科长', '已销号',
]

describe('hazard register export', () => {
  it('the workbook opens with exceljs: the sheet, a frozen header of the register columns, the row as text', async () => {
    const buf = await hazardsXlsx([hazard, bare])
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(buf as unknown as ArrayBuffer)
    const ws = wb.getWorksheet(HAZARD_SHEET)!
    expect(ws).toBeDefined()
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 })
    const values = (n: number) => (ws.getRow(n).values as unknown[]).slice(1)
    expect(values(1)).toEqual(HEAD)
    expect(HAZARD_COLUMNS.map(([h]) => h)).toEqual(HEAD)
    expect(values(2)).toEqual(ROW)
    // the registration code stays a 20-digit text, not a rounded number
    expect(typeof ws.getCell('C2').value).toBe('string')
    expect(values(3)).toEqual(['330922-2026-0002', '', LIFT1, hazard.location, '照明损坏', '一般', '2026-01-01 11:05', '网格巡查', '', '', '2026-01-08 08:00', '', '', '待整改'])
    expect(ws.rowCount).toBe(3)
    expect(ws.getColumn(5).width).toBeGreaterThan(ws.getColumn(6).width!)
  })

  it('the CSV has a BOM, CRLF, RFC 4180 quoting and parses back to the same cells', async () => {
    const csv = hazardsCsv([hazard, bare])
    expect(csv.startsWith('\uFEFF编号,使用单位,')).toBe(true)
    expect(csv).toContain('"30 天内监测发现困人 3 次，""门锁""回路, 疑似短接\n须查明原因"')
    const wb = new ExcelJS.Workbook()
    const ws = await wb.csv.read(Readable.from([csv.slice(1)]), { map: (v: unknown) => v } as never)
    const rows: unknown[][] = []
    ws.eachRow((r) => rows.push((r.values as unknown[]).slice(1)))
    expect(rows[0]).toEqual(HEAD)
    expect(rows[1]).toEqual(ROW)
    expect(rows).toHaveLength(3)
    expect(hazardsCsv([])).toBe(`\uFEFF${HEAD.join(',')}\r\n`)
  })
})
