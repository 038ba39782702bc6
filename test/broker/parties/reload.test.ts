// A real broker in this process: reloading its registry and parties keeps MQTT clients connected,
// puts the new files in effect, and a broken file leaves the old ones.
import { afterEach, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { startBrokerApp, type BrokerRun } from '../../helpers/broker-app.ts'
import { startCli } from '../../helpers/cli.ts'
import { sampleTelemetry } from '../../protocol/fixtures.ts'
import { telemetryTopic } from '../../../protocol/index.ts'
import { brokerConfigData, PASSWORDS, REGISTRY, tempDir, writeYaml } from '../mqtt/fixtures.ts'

// all in 菜园镇 (the fixture's third car is in 330902: moved here, its topic region is not exercised)
const [E1, E2, E3] = REGISTRY.elevators.map((e) => ({ ...e, region: '330922', township: '330922100', village: '330922100001', maintenance: 'lift-co', property: 'prop-co' }))
const parties = (elevators: { id: string }[], extra: Record<string, unknown> = {}) => ({
  organisations: [
    { id: 'lift-co', kind: 'maintenance', name: '某维保公司', dutyPhone: '0580-5081234', channels: [{ kind: 'sms', ref: 'sms' }] },
    { id: 'prop-co', kind: 'property', name: '某物业' },
    { id: 'caiyuan', kind: 'township', name: '菜园镇', township: '330922100' },
    // the default escalation policy's level 3 goes through the desk (110/119) and to the bureau
    { id: 'desk-96333', kind: 'desk', name: '96333', dutyPhone: '96333' },
  ],
  people: [{ id: 'p1', name: '陈楼道长', phone: '13800000003', role: 'steward', channels: [{ kind: 'sms', ref: 'sms' }] }],
  endpoints: [{ id: 'sms', kind: 'sms', template: 'SMS_1', keyId: 'key-1', secret: 'inline-sms-secret' }],
  elevators: elevators.map((e) => ({ elevatorId: e.id, maintenance: 'lift-co', property: 'prop-co', steward: 'p1', village: '330922100001', township: '330922100' })),
  ...extra,
})

let run: BrokerRun | undefined
let client: MqttClient | undefined
afterEach(async () => {
  await client?.endAsync()
  await run?.stop()
  client = run = undefined
})

describe('broker reload', () => {
  it('swaps registry and parties without dropping a connection; a broken file keeps the old ones', async () => {
    const dir = tempDir()
    writeYaml(dir, 'registry.yaml', { elevators: [E1, E2] })
    writeYaml(dir, 'parties.yaml', parties([E1!, E2!]))
    run = await startBrokerApp({ ...await brokerConfigData(dir), registry: 'registry.yaml', parties: { path: 'parties.yaml' } }, join(dir, 'broker.yaml'))
    const { broker } = run
    client = await mqtt.connectAsync(run.url, { username: 'gw-a', password: PASSWORDS['gw-a'], clientId: 'gw-a', reconnectPeriod: 0 })
    let closes = 0
    client.on('close', () => { closes++ })
    expect(broker.parties.elevator(E3!.id)).toBeUndefined()

    writeYaml(dir, 'registry.yaml', { elevators: [E1, E2, E3] })
    writeYaml(dir, 'parties.yaml', parties([E1!, E2!, E3!]))
    expect(broker.reload()).toEqual({ ok: true, problems: [] })
    expect(broker.cfg.registry.elevator(E3!.id)?.gatewayId).toBe('gw-b')
    expect(broker.parties.partiesFor(E3!.id, 'township').map((p) => p.id)).toEqual(['caiyuan'])
    await run.waitFor('registry and parties reloaded')

    // the registry changes, but the parties file is broken: neither is taken
    writeYaml(dir, 'registry.yaml', { elevators: [E1] })
    writeYaml(dir, 'parties.yaml', parties([E1!], { people: [{ id: 'p1', name: '陈', phone: '1381234', role: 'steward' }] }))
    const refused = broker.reload()
    expect(refused.ok).toBe(false)
    expect(refused.problems).toEqual([{ file: join(dir, 'parties.yaml'), path: 'people.0.phone', message: 'must match pattern "^1[3-9][0-9]{9}$"' }])
    const line = await run.waitFor(/reload refused/)
    expect(line).toMatchObject({ path: 'people.0.phone', file: join(dir, 'parties.yaml') })
    expect(broker.cfg.registry.elevators.map((e) => e.id)).toEqual([E1!.id, E2!.id, E3!.id])
    expect(broker.parties.elevator(E3!.id)).toBeDefined()

    // still the same connection, and it still works
    await client.publishAsync(telemetryTopic(E1!.region, E1!.id), JSON.stringify(sampleTelemetry({ ts: Date.now(), seq: 1, boot: 'b1', gateway: 'gw-a' })), { qos: 1 })
    expect(client.connected).toBe(true)
    expect(closes).toBe(0)
    // no secret in any log line of the broker
    expect(JSON.stringify(run.lines)).not.toContain('inline-sms-secret')
  })

  it('warns at start when registry and directory disagree', async () => {
    const dir = tempDir()
    writeYaml(dir, 'registry.yaml', { elevators: [E1, E2] })
    writeYaml(dir, 'parties.yaml', parties([E1!]))
    run = await startBrokerApp({ ...await brokerConfigData(dir), registry: 'registry.yaml', parties: { path: 'parties.yaml' } }, join(dir, 'broker.yaml'))
    const w = await run.waitFor('parties directory warning')
    expect(w).toMatchObject({ path: 'elevators', problem: `registry elevator ${E2!.id} has no parties` })
  })
})

describe('liftwatch broker and SIGHUP', () => {
  it('a real broker process reloads on SIGHUP and keeps running', async () => {
    const dir = tempDir()
    writeYaml(dir, 'registry.yaml', { elevators: [E1, E2] })
    writeYaml(dir, 'parties.yaml', parties([E1!]))
    const config = writeYaml(dir, 'broker.yaml', { ...await brokerConfigData(dir), registry: 'registry.yaml', parties: { path: 'parties.yaml' } })
    const cli = startCli(['broker', '--config', config])
    try {
      await cli.waitFor('broker started')
      writeYaml(dir, 'parties.yaml', parties([E1!, E2!]))
      cli.proc.kill('SIGHUP')
      expect(await cli.waitFor('registry and parties reloaded')).toMatchObject({ elevators: 2, parties: 2 })
      writeFileSync(join(dir, 'parties.yaml'), 'elevators: [unclosed')
      cli.proc.kill('SIGHUP')
      expect(await cli.waitFor(/reload refused/)).toMatchObject({ file: join(dir, 'parties.yaml'), path: '(yaml)' })
      expect(cli.proc.exitCode).toBeNull()
    } finally {
      expect(await cli.stop()).toBe(0)
    }
  })
})
