// The demo's response chain in one process: the demo's registry and parties against the demo's local
// receivers (bin/demo-notify.ts), a real broker, and the demo's simulated technician working in
// tenths of seconds instead of minutes. Car 1 reports a trapped passenger as its gateway would; the
// maintenance unit's WeCom group, the desk's webhook and the steward's SMS are told; the technician
// responds, arrives and releases through the link it received; the incident ends 00 with one released.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { demoFleet, demoRegistry, MAINTENANCE_ORGS, REGION } from '../bin/demo-files.ts'
import { demoParties, endpointIds, technicianPhone } from '../bin/demo-parties.ts'
import { startDemoNotify, type DemoNotify } from '../bin/demo-notify.ts'
import { DemoTechnician } from '../bin/demo-technician.ts'
import type { Received } from '../simulators/notify/receivers.ts'
import { hashPassword } from '../broker/mqtt/passwords.ts'
import type { IncidentDetail, IncidentSummary } from '../broker/incidents/types.ts'
import { startBrokerApp, type BrokerRun } from './helpers/broker-app.ts'
import { freePort } from './helpers/ports.ts'

const TRAPPED = { floor: '3', floorIndex: 2, position: 7.9, speed: 0, direction: 'none', moving: false, door: 'closed', doorZone: false,
  occupied: true, load: 12, alarmButton: false, safetyCircuit: true, mode: 'normal', power: 'mains', upLimit: false, downLimit: false, faultCode: 0 }
const QUICK = { respond: [0.1, 0.3], arrive: [0.1, 0.3], release: [0.1, 0.3] } as const

describe('the demo: an entrapment from alarm to release through the link', () => {
  let notify: DemoNotify | undefined
  let broker: BrokerRun | undefined
  let gw: mqtt.MqttClient | undefined
  afterAll(async () => {
    await gw?.endAsync(true)
    await broker?.stop()
    await notify?.stop()
  })

  it('reaches the maintenance WeCom group, the desk webhook and the steward; the technician responds, arrives, releases 1; 00', async () => {
    const printed: string[] = []
    let releasedLine: (l: string) => void = () => {}
    const released = new Promise<string>((resolve) => { releasedLine = resolve })
    notify = await startDemoNotify({ times: QUICK, print: (t) => { printed.push(t); if (/已解救|事件已结束|未能提交/.test(t)) releasedLine(t) } })
    const fleet = demoFleet()
    const dir = mkdtempSync(join(tmpdir(), 'lw-demo-incident-'))
    writeFileSync(join(dir, 'parties.yaml'), stringify(demoParties(fleet, notify.endpoints)))
    const http = await freePort()
    broker = await startBrokerApp({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users: { 'gw-demo-01': { role: 'gateway', hash: await hashPassword('gw-pw', { N: 1024, r: 8, p: 1 }) } } },
      http: { host: '127.0.0.1', port: http },
      registry: demoRegistry(fleet), parties: { path: 'parties.yaml' }, alarms: { path: join(dir, 'alarms.db') },
      detectors: { detectors: { entrapment: { outsideDoorZoneMs: 1000 } } },
      response: { linkBase: `http://127.0.0.1:${http}` },
    }, join(dir, 'broker.yaml'))
    const car1 = (demoRegistry(fleet).elevators[0] as { id: string }).id

    // car 1, as its gateway reports it: standing between floors, door shut, someone inside
    gw = await mqtt.connectAsync(broker.url, { clientId: 'gw-demo-01', username: 'gw-demo-01', password: 'gw-pw', reconnectPeriod: 0 })
    let seq = 0
    const report = () => void gw!.publishAsync(`lift/v1/${REGION}/${car1}/telemetry`,
      JSON.stringify({ v: 1, ts: Date.now(), seq: seq++, boot: 'demo-test', gateway: 'gw-demo-01', reason: 'heartbeat', ...TRAPPED }), { qos: 1 })
    report()
    const reporting = setInterval(report, 200)
    let wecom: Received
    try {
      // the entrapment's messages (the broker also warns of inspections falling due: docs/records.md)
      const trapped = (r: Received) => r.text.includes('困人') || r.text.includes('SMS_DEMO_TRAPPED')
      wecom = await notify.receivers.waitFor((r) => r.endpointId === endpointIds.wecom(MAINTENANCE_ORGS[0]) && trapped(r), 10_000)
      expect(wecom.text).toContain('【电梯困人】')
      expect(wecom.text).toMatch(new RegExp(`处置链接：http://127\\.0\\.0\\.1:${http}/r/`))
      const desk = await notify.receivers.waitFor((r) => r.endpointId === endpointIds.desk && trapped(r), 5000)
      expect((desk.body as { facts: { elevatorId: string } }).facts.elevatorId).toBe(car1)
      // car 1's steward (building 1) by SMS, and the technician by SMS besides the group
      await notify.receivers.waitFor((r) => r.kind === 'sms' && r.mobiles.includes('13800000300') && trapped(r), 5000)
      await notify.receivers.waitFor((r) => r.kind === 'sms' && r.mobiles.includes(technicianPhone(0)) && trapped(r), 5000)
    } finally {
      clearInterval(reporting)
    }
    expect(await released).toMatch(/\[维保技师1\] 已解救 1 人 \/ released/)
    const lines = printed.join('')
    expect(lines).toContain('[维保技师1] 已响应 / responded')
    expect(lines).toContain('[维保技师1] 已到达 / arrived')
    expect(lines).toMatch(/\[企业微信 维保群 舟山某电梯维保\] \S+\n {4}【电梯困人】/)
    expect(lines).toContain('[Webhook 96333 平台]')
    expect(notify.receivers.rejected).toEqual([])

    const admin = await broker.login()
    const { incidents } = await admin.json<{ incidents: IncidentSummary[] }>(`/api/incidents?elevator=${car1}`)
    expect(incidents).toHaveLength(1)
    const { incident } = await admin.json<IncidentDetail>(`/api/incidents/${incidents[0]!.id}`)
    expect(incident).toMatchObject({ state: '00', personsReleased: 1, drill: false, source: 'alarm' })
    const acts = incident.timeline.flatMap((e) => (e.kind === 'action' ? [`${e.action.kind}:${e.actor.via}`] : []))
    expect(acts).toEqual(['responded:link', 'arrived:link', 'released:link'])

    // the same notice read again once the incident is over: the broker says 409, the technician stops
    let closedLine: (l: string) => void = () => {}
    const closed = new Promise<string>((resolve) => { closedLine = resolve })
    const again = new DemoTechnician({ name: '维保技师9', endpoints: new Set([wecom.endpointId]), times: { respond: [0, 0], arrive: [0, 0], release: [0, 0] }, print: (l) => closedLine(l) })
    again.onMessage(wecom)
    expect(await closed).toMatch(/^\[维保技师9\] 事件已结束，不再处置 \/ the incident is closed already/)
    again.stop()
  }, 20_000)
})
