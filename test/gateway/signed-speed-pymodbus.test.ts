// Acceptance, issue 10 "Profiles and commissioning": a controller nobody here wrote (Debian's
// python3-pymodbus, test/peers/pymodbus_server.py) reports speed with its sign (negative = down)
// and 32-bit values low word first (CDAB); a profile that says so; the real gateway (in-process,
// from its config file) → the real broker host (aedes, ingest, detectors). A trip down arrives
// with speed ≥ 0 and direction down, nothing is rejected, and the profile's fault-code map raises
// its alarm at the broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { stringify } from 'yaml'
import { encode, registrationCode, type Profile } from '../../protocol/index.ts'
import { startBrokerApp, type BrokerRun } from '../helpers/broker-app.ts'
import { collector, type Received } from '../helpers/broker.ts'
import { freePort } from '../helpers/ports.ts'
import { metricUntil, metricValue, startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'
import { signedCdab } from './signed-cdab.ts'

const PYTHON = '/usr/bin/python3' // Debian's, where python3-pymodbus lives
const ID = registrationCode('3110', '330922', '202401', 7)

// the broker's own map knows only the reference controller's 81; this controller's 52 comes from its profile
const profile: Profile = signedCdab({
  name: 'signed-cdab', description: 'pymodbus controller: signed speed, CDAB words', faultCodes: { 52: 'restart_prevented' },
  extra: { safetyCircuit: { area: 'discrete', address: 2, type: 'bool' } },
})
const PARKED = { moving: false, doorZone: true, safetyCircuit: true, floorIndex: 3, position: 9, speed: 0, door: 'closed', faultCode: 0, floor: '4' }

/** The controller's registers for these values, as the JSON pymodbus_server.py reads. */
function registers(values: Record<string, unknown>): string {
  const img = encode(profile, values)
  const area = <T>(a: (T | undefined)[], fill: T) => Array.from({ length: Math.max(a.length, 16) }, (_, i) => a[i] ?? fill)
  return JSON.stringify({ units: { 1: { coil: area(img.coil, false), discrete: area(img.discrete, false), holding: area(img.holding, 0), input: [] } } })
}

describe('a signed-speed CDAB controller (python3-pymodbus) → gateway → broker', () => {
  let py: ChildProcess | undefined
  let broker: BrokerRun | undefined
  let gw: GatewayRun | undefined
  let sub: Awaited<ReturnType<typeof collector>>
  let set: (values: Record<string, unknown>) => Promise<void>
  const telemetry = () => sub.messages.filter((m) => m.topic.endsWith(`/${ID}/telemetry`))
  const seen = (pred: (t: Received['json']) => boolean) => sub.waitFor(() => telemetry().some((m) => pred(m.json)), 15_000)
  const brokerMetrics = async () => await (await (await broker!.login()).get('/metrics')).text()

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-signed-'))
    writeFileSync(join(dir, 'registers.json'), registers(PARKED))
    writeFileSync(join(dir, 'signed-cdab.yaml'), stringify(profile))
    const port = await freePort()
    py = spawn(PYTHON, [new URL('../peers/pymodbus_server.py', import.meta.url).pathname, join(dir, 'registers.json'), String(port)], { stdio: ['pipe', 'pipe', 'pipe'] })
    let stderr = ''
    py.stderr!.on('data', (d) => { stderr += d })
    const lines = createInterface({ input: py.stdout! })
    const waitLine = (line: string) => new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`pymodbus server exited ${code}: ${stderr}`))
      py!.once('exit', onExit)
      const onLine = (l: string) => { if (l === line) { lines.off('line', onLine); py!.off('exit', onExit); resolve() } }
      lines.on('line', onLine)
    })
    await waitLine(`listening ${port}`)
    let applied = 0
    set = async (values) => {
      const done = waitLine(`applied ${++applied}`)
      py!.stdin!.write(`${registers({ ...PARKED, ...values })}\n`)
      await done
    }

    broker = await startBrokerApp({
      mqtt: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, allowAnonymous: true },
      registry: {
        elevators: [{
          id: ID, registrationCode: ID, rescueCode: '33001', region: '330922', address: '嵊泗县菜园镇测试路 1 号', building: '1号楼',
          landings: ['1', '2', '3', '4', '5'], ratedSpeed: 1.0, gatewayId: 'gw-test',
        }],
      },
      alarms: { path: join(dir, 'alarms.db') },
    })
    sub = await collector(broker.url, ['lift/v1/+/+/telemetry', 'lift/v1/+/+/alarm'])
    const cfg = writeGatewayConfig({
      brokerPort: broker.ports.mqtt.tcp!,
      links: [{ id: 'py', transport: 'tcp', host: '127.0.0.1', port, timeoutMs: 1000 }],
      elevators: [{ id: ID, link: 'py', unitId: 1, profile: join(dir, 'signed-cdab.yaml') }],
    }, dir)
    gw = await startGateway(cfg.configFile, cfg.dir)
    await seen((t) => t.floorIndex === 3 && t.moving === false)
  }, 30_000)

  afterAll(async () => {
    await sub?.close()
    await gw?.stop()
    py?.kill()
    await broker?.stop()
  })

  it('a trip down arrives with speed ≥ 0 and direction down, nothing rejected; the profile\'s fault code raises its alarm', async () => {
    // the trip down: contactor in, accelerating, full speed, levelling, stopped a floor lower
    await set({ moving: true })
    await set({ moving: true, speed: -0.4, position: 8.9, doorZone: false })
    await seen((t) => t.speed === 0.4)
    await set({ moving: true, speed: -1.0, position: 7.5, doorZone: false })
    await seen((t) => t.speed === 1)
    await set({ moving: true, speed: -0.2, position: 6.05, floorIndex: 2 })
    await seen((t) => t.speed === 0.2)
    await set({ floorIndex: 2, position: 6, floor: '3' })
    await seen((t) => t.position === 6 && t.speed === 0 && t.moving === false)

    const trip = telemetry().map((m) => m.json)
    for (const t of trip) expect(t.speed as number, JSON.stringify(t)).toBeGreaterThanOrEqual(0)
    // a poll may read the coils and the registers either side of an update: every moving sample
    // still says down, and the trip's speeds all arrived
    const moving = trip.filter((t) => t.moving)
    expect(moving.map((t) => t.direction)).toEqual(moving.map(() => 'down'))
    // the speeds are the registers' (the coil of `moving` may be read before an update, the
    // registers after: a loaded machine showed 0.4 m/s arrive beside moving: false)
    expect(trip.map((t) => t.speed)).toEqual(expect.arrayContaining([0.4, 1, 0.2]))
    expect(trip.find((t) => t.position === 6 && t.speed === 0)).toMatchObject({ moving: false, direction: 'none', floorIndex: 2 })

    // a fault code only the profile maps
    await set({ floorIndex: 2, position: 6, floor: '3', faultCode: 52 })
    await sub.waitFor((ms) => ms.some((m) => m.topic.endsWith('/alarm') && m.json.type === 'restart_prevented'), 15_000)
    await seen((t) => t.faultCode === 52)
    expect(telemetry().find((m) => m.json.faultCode === 52)?.json).toMatchObject({ faultType: 'restart_prevented' })
    expect(sub.messages.find((m) => m.topic.endsWith('/alarm'))!.json).toMatchObject({ state: 'raised', elevatorId: ID, evidence: { faultCode: 52 } })

    const metrics = await brokerMetrics()
    expect(metricValue(metrics, 'liftwatch_broker_ingest', { gateway: 'gw-test', stat: 'accepted' })).toBeGreaterThanOrEqual(trip.length)
    expect(metricValue(metrics, 'liftwatch_broker_ingest', { gateway: 'gw-test', stat: 'invalid' })).toBe(0)
    expect(metricValue(await gw!.metrics(), 'liftwatch_gateway_telemetry_invalid_total')).toBe(0)
    expect(gw!.lines.filter((l) => l.msg === 'profile warning')).toEqual([])
  })

  it('a value the contract rejects (a 12-character floor label) is counted and logged by the gateway, never published', async () => {
    const before = telemetry().length
    await set({ floorIndex: 2, position: 6, floor: 'LOBBY-EAST-1' })
    const metric = { elevator: ID, field: 'floor' }
    await metricUntil(gw!, 'liftwatch_gateway_telemetry_invalid_total', (v) => v >= 3, 'three polls rejected', { labels: metric })
    await set({ floorIndex: 2, position: 6, floor: 'L2' })
    await seen((t) => t.floor === 'L2')
    expect(telemetry().slice(before).map((m) => m.json.floor)).toEqual(['L2'])
    // one line for the polls in a row, with the field and the value
    const logged = gw!.lines.filter((l) => l.msg === 'telemetry rejected by the v1 contract, not published')
    expect(logged).toEqual([expect.objectContaining({ elevator: ID, field: 'floor', value: 'LOBBY-EAST-1', problem: 'floor: must NOT have more than 8 characters' })])
    expect(metricValue(await brokerMetrics(), 'liftwatch_broker_ingest', { gateway: 'gw-test', stat: 'invalid' })).toBe(0)
    // the seq has no gap where the rejected samples were
    const seqs = telemetry().map((m) => m.json.seq as number)
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i))
  })
})
