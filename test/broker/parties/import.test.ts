// The real `liftwatch import` on real .xlsx and .csv files made with exceljs in a temp directory.
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import ExcelJS from 'exceljs'
import { LIFTWATCH } from '../../helpers/cli.ts'
import { loadRegistry } from '../../../broker/registry/registry.ts'
import { loadParties, warnings } from '../../../broker/parties/directory.ts'

const run = async (args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, [LIFTWATCH, 'import', ...args])
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

type Rows = (string | number)[][]
const ELEVATORS: Rows = [
  ['注册代码', '救援码', '地址', '楼栋', '乡镇代码', '村社区代码', '维保单位', '使用单位', '楼道长', '网格员', '额定速度', '层站', '网关'],
  ['31103309222024010001', '33001', '嵊泗县菜园镇沙河路 18 号', '1号楼 1单元', '330922100', '330922100001', '舟山某电梯维保有限公司', 'wy-shahe-18', 'p-chen', '周网格员', 1.75, 'B1,1,2,3,4,5,6', 'gw-demo-01'],
  ['31103309222024010002', '33002', '嵊泗县菜园镇沙河路 18 号', '1号楼 2单元', '330922100', '330922100001', 'zs-lift', 'wy-shahe-18', 'p-chen', 'p-zhou', 1, 12, 'gw-demo-01'],
]
const ORGS: Rows = [
  ['编号', '类型', '名称', '值班电话', '乡镇代码', '通知渠道'],
  ['zs-lift', '维保单位', '舟山某电梯维保有限公司', '0580-5081234', '', 'sms:sms-main'],
  ['wy-shahe-18', '物业', '沙河路 18 号物业', '', '', ''],
  ['caiyuan', '乡镇', '菜园镇人民政府', '', '330922100', ''],
]
const PEOPLE: Rows = [
  ['编号', '姓名', '手机', '角色', '单位', '区划代码', '通知渠道'],
  ['p-chen', '陈楼道长', '13800000003', '楼道长', '', '330922100001', 'sms:sms-main'],
  ['p-zhou', '周网格员', '13800000004', '网格员', '', '330922100001', 'sms:sms-main'],
  ['p-xu', '徐干部', '13800000005', '乡镇', 'caiyuan', '330922100', 'sms:sms-main'],
]
const ENDPOINTS: Rows = [['编号', '类型', '短信模板', '密钥ID', '密钥变量'], ['sms-main', 'sms', 'SMS_000000', 'EXAMPLE-KEY-ID', 'LW_SMS_SECRET']]

async function workbook(file: string, sheets: Record<string, Rows>): Promise<string> {
  const wb = new ExcelJS.Workbook()
  for (const [name, rows] of Object.entries(sheets)) wb.addWorksheet(name).addRows(rows)
  await wb.xlsx.writeFile(file)
  return file
}
const tmp = () => mkdtempSync(join(tmpdir(), 'lw-import-'))

describe('liftwatch import', () => {
  it('turns a workbook into a registry and a directory the broker loads', async () => {
    const dir = tmp()
    const xlsx = await workbook(join(dir, '台账.xlsx'), { 电梯: ELEVATORS, 单位: ORGS, 人员: PEOPLE, 通道: ENDPOINTS })
    const r = await run([xlsx, '--out', join(dir, 'out')])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('2 台电梯 elevators, 3 个单位 organisations, 3 人 people')
    const reg = loadRegistry(join(dir, 'out', 'registry.yaml'))
    const parties = loadParties(join(dir, 'out', 'parties.yaml'))
    expect(reg.elevator('31103309222024010001')).toMatchObject({ region: '330922', maintenance: 'zs-lift', landings: ['B1', '1', '2', '3', '4', '5', '6'], ratedSpeed: 1.75 })
    expect(reg.elevator('31103309222024010002')?.landings).toHaveLength(12)
    // names resolved to ids
    expect(parties.elevator('31103309222024010001')).toMatchObject({ maintenance: 'zs-lift', grid: 'p-zhou', steward: 'p-chen' })
    expect(parties.organisation('zs-lift')?.kind).toBe('maintenance')
    expect(parties.partiesFor('31103309222024010002', 'township').map((p) => p.id)).toEqual(['caiyuan', 'p-xu'])
    expect(warnings(parties, reg)).toEqual([])
  })

  it('lists every error by sheet, row and column and writes nothing', async () => {
    const dir = tmp()
    const people = structuredClone(PEOPLE)
    people[1]![2] = '1381234'          // C2
    people[3]![3] = '书记'              // D4
    const elevators = structuredClone(ELEVATORS)
    elevators[2]![1] = '33001'          // duplicate rescue code, B3
    elevators[2]![6] = 'ghost-lift'     // G3
    const xlsx = await workbook(join(dir, 'bad.xlsx'), { 电梯: elevators, 单位: ORGS, 人员: people, 通道: ENDPOINTS })
    const r = await run([xlsx, '--out', join(dir, 'out')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('人员!C2: phone "1381234" is not a mobile number')
    expect(r.stderr).toContain('人员!D4: 角色 "书记" is not a role')
    expect(r.stdout).toBe('')
    expect(existsSync(join(dir, 'out'))).toBe(false)
    // the row-level errors stop before the cross-checks; fixed, the cross-check errors show
    people[1]![2] = '13800000003'
    people[3]![3] = '乡镇'
    await workbook(xlsx, { 电梯: elevators, 单位: ORGS, 人员: people, 通道: ENDPOINTS })
    const again = await run([xlsx, '--out', join(dir, 'out')])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('电梯!B3: rescueCode "33001" duplicate rescue code "33001" (also at index 0)')
    expect(again.stderr).toContain('电梯!G3: maintenance "ghost-lift" unknown organisation "ghost-lift"')
    expect(existsSync(join(dir, 'out'))).toBe(false)
  })

  it('refuses a 20-digit code stored as a number, and unknown or missing columns', async () => {
    const dir = tmp()
    const elevators = structuredClone(ELEVATORS)
    elevators[1]![0] = Number('31103309222024010001')   // as a clerk's Excel stores it: rounded
    elevators[0]![12] = '备注'
    const xlsx = await workbook(join(dir, 'bad.xlsx'), { 电梯: elevators, 单位: ORGS, 人员: PEOPLE, 通道: ENDPOINTS })
    const r = await run([xlsx, '--out', join(dir, 'out')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/电梯!A2: 注册代码 .* lost digits/)
    // one message for the bad cell, not a second one for the row it left without a code
    expect(r.stderr).not.toContain('is required')
    expect(r.stderr).toContain('电梯!M1: unknown column "备注"')
    expect(r.stderr).toContain('电梯!1: column 网关 (gatewayId) is missing')
  })

  it('reads one CSV file per sheet, English headers accepted', async () => {
    const dir = tmp()
    const csv = (name: string, rows: Rows) => {
      const file = join(dir, `${name}.csv`)
      writeFileSync(file, rows.map((r) => r.map((c) => `"${c}"`).join(',')).join('\n'))
      return file
    }
    const en = structuredClone(ELEVATORS)
    en[0] = ['registrationCode', 'rescueCode', 'address', 'building', 'township', 'village', 'maintenance', 'property', 'steward', 'grid', 'ratedSpeed', 'landings', 'gatewayId']
    const files = [csv('elevators', en), csv('单位', ORGS), csv('人员', PEOPLE), csv('通道', ENDPOINTS)]
    const r = await run([...files, '--out', join(dir, 'out')])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(readFileSync(join(dir, 'out', 'parties.yaml'), 'utf8')).toContain('elevatorId: "31103309222024010002"')
  })

  it('is a usage error without --out', async () => {
    const r = await run(['x.xlsx'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--out DIR is required')
  })
})
