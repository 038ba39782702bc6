// Issue 13's first acceptance through the real broker: a car traps a passenger three times within
// 30 days (here within seconds: telemetry over MQTT, the real detectors and alarm store) → the
// hazard register registers one hazard on its own, the township and the county bureau are told
// through their robots (simulators/notify/receivers.ts checks the requests), and the register's
// XLSX export, read back with exceljs, holds the register's columns and that row.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ExcelJS from 'exceljs'
import mqtt, { type MqttClient } from 'mqtt'
import { stringify } from 'yaml'
import { telemetryTopic, type Telemetry } from '../../../protocol/index.ts'
import { hashPassword } from '../../../broker/mqtt/passwords.ts'
import type { Hazard } from '../../../broker/records/types.ts'
import { Receivers } from '../../../simulators/notify/receivers.ts'
import { startBrokerApp, type BrokerRun } from '../../helpers/broker-app.ts'
import { sampleTelemetry } from '../../protocol/fixtures.ts'
import { elevator, partiesFor, REGION, ROBOT } from '../response/county.ts'

const LIFT = '31103309222024010001'
const TRAPPED: Partial<Telemetry> = { floor: '3', floorIndex: 3, position: 9.4, doorZone: false, door: 'closed', moving: false, occupied: true }
const LEVEL: Partial<Telemetry> = { floor: '3', floorIndex: 3, position: 8.0, doorZone: true, door: 'open', moving: false, occupied: false }

describe('three entrapments of one car', () => {
  const recv = new Receivers()
  let broker: BrokerRun | undefined
  let gw: MqttClient | undefined
  afterAll(async () => {
    await gw?.endAsync()
    await broker?.stop()
    await recv.stop()
  })

  it('register a hazard on their own, tell the township and the bureau, and export it', async () => {
    await recv.start()
    const dir = mkdtempSync(join(tmpdir(), 'lw-hazard-e2e-'))
    const parties = partiesFor(recv, [LIFT]) as { organisations: Record<string, unknown>[]; endpoints: Record<string, unknown>[] }
    const bureau = recv.add('webhook', 'hook-bureau', 'SEC-bureau-5a1f')
    parties.organisations.push({ id: 'ss-amr', kind: 'bureau', name: '嵊泗县市场监督管理局', channels: [{ kind: 'webhook', ref: bureau.id }] })
    parties.endpoints.push({ id: bureau.id, kind: 'webhook', url: bureau.url, secret: bureau.secret })
    writeFileSync(join(dir, 'parties.yaml'), stringify(parties))
    broker = await startBrokerApp({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: { 'gw-h': { role: 'gateway', hash: await hashPassword('gw-h-pw', { N: 1024, r: 8, p: 1 }) } } },
      registry: { elevators: [elevator(LIFT, 1, 'gw-h')] },
      parties: { path: join(dir, 'parties.yaml') },
      alarms: { path: join(dir, 'alarms.db') },
      // a trap is an alarm after 1 s, and a release clears it at once
      detectors: { alarms: { clearHoldMs: 0, flappingHoldMs: 0 }, detectors: { entrapment: { outsideDoorZoneMs: 1000 } } },
    }, join(dir, 'broker.yaml'))
    gw = await mqtt.connectAsync(broker.url, { username: 'gw-h', password: 'gw-h-pw', clientId: 'gw-h', reconnectPeriod: 0 })
    let seq = 0
    const send = (state: Partial<Telemetry>) => gw!.publishAsync(telemetryTopic(REGION, LIFT), JSON.stringify(sampleTelemetry({ ...state, ts: Date.now(), seq: ++seq, boot: 'boot-h', gateway: 'gw-h' })), { qos: 1 })
    const admin = await broker.login()
    const hazards = async () => (await admin.json<{ hazards: Hazard[] }>(`/api/hazards?elevator=${LIFT}`)).hazards
    const alarms = async () => (await admin.json<{ alarms: { type: string; state: string }[] }>(`/api/alarms?elevator=${LIFT}&state=all`)).alarms.filter((a) => a.type === 'entrapment')
    const until = async (what: string, pred: () => Promise<boolean>) => {
      const end = Date.now() + 15_000
      while (!(await pred())) { if (Date.now() > end) throw new Error(`${what}: not within 15 s`); await new Promise((r) => setTimeout(r, 100)) }
    }

    for (let n = 1; n <= 3; n++) {
      await send(TRAPPED)
      const beat = setInterval(() => void send(TRAPPED), 200)
      await until(`entrapment ${n}`, async () => (await alarms()).length === n)
      clearInterval(beat)
      // not before the third
      if (n < 3) expect(await hazards()).toEqual([])
      await send(LEVEL)
      await until(`release ${n}`, async () => (await alarms()).every((a) => a.state === 'cleared'))
    }
    await until('the hazard', async () => (await hazards()).length === 1)
    const [h] = await hazards()
    expect(h).toMatchObject({ elevatorId: LIFT, foundBy: 'monitoring', state: 'open', grade: 'major', registrationCode: LIFT })
    expect(h!.description).toContain('困人')
    // the township (its DingTalk group) and the bureau (its webhook) are told
    const town = await recv.waitFor((r) => r.endpointId === ROBOT.township && r.text.includes('隐患'), 10_000)
    expect(town.text).toContain(h!.number)
    await recv.waitFor((r) => r.endpointId === bureau.id && r.text.includes('隐患'), 10_000)

    // the register's export
    const res = await fetch(`${broker.base}/api/hazards.xlsx?elevator=${LIFT}`, { headers: { cookie: admin.cookie } })
    expect(res.status).toBe(200)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ExcelJS.Buffer)
    const sheet = wb.getWorksheet('重大安全隐患登记表')!
    const header = (sheet.getRow(1).values as unknown[]).slice(1)
    expect(header).toEqual(['编号', '使用单位', '注册代码', '所在位置', '隐患描述', '隐患等级', '发现时间', '发现方式', '整改措施', '责任人', '整改期限', '完成时间', '验收人', '状态'])
    const row = (sheet.getRow(2).values as unknown[]).slice(1)
    expect(row[0]).toBe(h!.number)
    expect(row[2]).toBe(LIFT)
    expect(sheet.rowCount).toBe(2)
  }, 90_000)
})
