// `liftwatch report` (broker/records/report-cli.ts) against the real broker host in this process
// (test/helpers/broker-app.ts): a desk call's incident answered through the API, then the command
// writes the month's report as JSON and as XLSX with an API token; its KPIs are the API's. Bad
// arguments and a refused token exit 2.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { main } from '../../../broker/records/report-cli.ts'
import { periodBounds, type MonthlyReport } from '../../../broker/records/report.ts'
import { monthOf } from '../../../response/index.ts'
import { Receivers } from '../../../simulators/notify/receivers.ts'
import type { BrokerRun } from '../../helpers/broker-app.ts'
import { startCountyBroker, TOWNSHIP } from '../response/county.ts'

const LIFT = '31103309222024010001'

describe('liftwatch report', () => {
  const recv = new Receivers()
  let broker: BrokerRun | undefined
  const saved = process.env.LIFTWATCH_TOKEN
  afterEach(() => { process.exitCode = undefined })
  afterAll(async () => {
    if (saved === undefined) delete process.env.LIFTWATCH_TOKEN
    else process.env.LIFTWATCH_TOKEN = saved
    await broker?.stop()
    await recv.stop()
  })

  it('writes the month as JSON and XLSX with the API\'s KPIs; bad arguments and refusals exit 2', async () => {
    await recv.start()
    const run = await startCountyBroker(recv, [LIFT], 'report')
    broker = run.broker
    const { token, dir } = run
    const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await fetch(`${broker!.base}${path}`, {
        method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
      })
      expect(res.status, path).toBe(200)
      return res.json() as Promise<Record<string, unknown>>
    }
    // an entrapment reported by phone, answered at the desk
    const { incident } = await api('POST', '/api/incidents', { foundBy: 'rescueCode', code: '33001', caller: '住户' }) as { incident: { id: string } }
    for (const a of [{ kind: 'responded', onBehalfOf: 'maintenance' }, { kind: 'arrived', onBehalfOf: 'maintenance' }, { kind: 'released', persons: 1 }]) {
      await api('POST', `/api/incidents/${incident.id}/actions`, a)
    }

    const month = monthOf(Date.now())
    const { from, to } = periodBounds(month)!
    process.env.LIFTWATCH_TOKEN = token
    const json = join(dir, 'report.json')
    await main(['--month', month, '--region', '330922', '--out', json, '--url', broker.base])
    expect(process.exitCode ?? 0).toBe(0)
    const rep = JSON.parse(readFileSync(json, 'utf8')) as MonthlyReport
    const county = await api('GET', `/api/kpis?by=county&from=${from}&to=${to}`) as { rows: unknown[] }
    const towns = await api('GET', `/api/kpis?by=township&from=${from}&to=${to}`) as { rows: unknown[] }
    expect(rep.total.kpi).toMatchObject({ incidents: 1, responseRate: 1 })
    expect([rep.total.kpi]).toEqual(county.rows)
    expect(rep.townships.map((t) => t.kpi)).toEqual(towns.rows)
    expect(rep.townships.map((t) => [t.key, t.name])).toEqual([[TOWNSHIP, '菜园镇政府']])

    const xlsx = join(dir, 'report.xlsx')
    await main(['--month', month, '--out', xlsx, '--url', broker.base])
    expect(process.exitCode ?? 0).toBe(0)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.readFile(xlsx)
    expect(wb.getWorksheet('概览')!.getRow(5).values).toEqual([undefined, '困人事件 / Incidents', 1])

    // bad arguments, no token, a refused token: exit 2, nothing written
    await main(['--month', '2026-13', '--out', join(dir, 'x.json'), '--url', broker.base])
    expect(process.exitCode).toBe(2)
    process.exitCode = undefined
    await main(['--month', month, '--out', join(dir, 'x.csv'), '--url', broker.base])
    expect(process.exitCode).toBe(2)
    process.exitCode = undefined
    process.env.LIFTWATCH_TOKEN = 'not-a-token'
    await main(['--month', month, '--out', join(dir, 'x.json'), '--url', broker.base])
    expect(process.exitCode).toBe(2)
    expect(() => readFileSync(join(dir, 'x.json'))).toThrow()
  }, 60_000)
})
