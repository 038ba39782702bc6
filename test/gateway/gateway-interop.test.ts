// Peers nobody here wrote: a python3-pymodbus controller, Debian's mosquitto broker.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import pino from 'pino'
import { encode, liftwatchRef, type ControllerState } from '../../protocol/index.ts'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { startAedes, collector, type TestBroker } from '../helpers/broker.ts'
import { startMosquitto } from '../helpers/mosquitto.ts'
import { freePort } from '../helpers/ports.ts'
import { startGateway, startGatewayCli, writeGatewayConfig, type GatewayCliRun, type GatewayRun } from '../helpers/gateway.ts'
import { run } from '../helpers/cli.ts'

const PYTHON = '/usr/bin/python3' // Debian's, where python3-pymodbus lives
const stateOf = (json: Record<string, unknown>) => {
  const { v: _v, ts: _t, seq: _s, boot: _b, gateway: _g, reason: _r, ...s } = json
  return s
}

const trapped: ControllerState = {
  floor: '12A', floorIndex: 13, position: 41.257, speed: 0, direction: 'none', moving: false, door: 'closed',
  doorZone: false, occupied: true, load: 12.5, alarmButton: true, safetyCircuit: true, mode: 'normal',
  power: 'battery', upLimit: false, downLimit: false, faultCode: 12,
}
const inspection: ControllerState = {
  ...trapped, floor: 'B2', floorIndex: 0, position: -0.02, speed: 0.3, direction: 'down', moving: true, door: 'closed',
  doorZone: true, occupied: null, load: null, alarmButton: false, mode: 'inspection', power: 'mains', faultCode: 0,
}

describe('gateway ↔ a python3-pymodbus controller', () => {
  let py: ChildProcess | undefined
  let broker: TestBroker | undefined
  let gw: GatewayRun | undefined
  afterAll(async () => {
    await gw?.stop()
    py?.kill()
    await broker?.close()
  })

  it('publishes the telemetry the registers hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-pymodbus-'))
    const units: Record<string, unknown> = {}
    for (const [unit, s] of [[1, trapped], [2, inspection]] as const) {
      const img = encode(liftwatchRef, { ...s, landings: 16, ratedSpeed: 2.5, tripCount: 123_456, mainLanding: 2 })
      units[unit] = { coil: [...img.coil].map((b) => b ?? false), discrete: [...img.discrete].map((b) => b ?? false), holding: [...img.holding].map((r) => r ?? 0), input: [...img.input].map((r) => r ?? 0) }
    }
    writeFileSync(join(dir, 'registers.json'), JSON.stringify({ units }))
    const port = await freePort()
    py = spawn(PYTHON, [new URL('../peers/pymodbus_server.py', import.meta.url).pathname, join(dir, 'registers.json'), String(port)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    py.stderr!.on('data', (d) => { stderr += d })
    await new Promise<void>((resolve, reject) => {
      py!.once('exit', (code) => reject(new Error(`pymodbus server exited ${code}: ${stderr}`)))
      createInterface({ input: py!.stdout! }).on('line', (l) => { if (l.startsWith('listening')) resolve() })
    })

    broker = await startAedes()
    const sub = await collector(`mqtt://127.0.0.1:${broker.port}`, ['lift/v1/+/+/telemetry'])
    const cfg = writeGatewayConfig({
      brokerPort: broker.port,
      links: [{ id: 'py', transport: 'tcp', host: '127.0.0.1', port, timeoutMs: 1000 }],
      elevators: [
        { id: 'PY-1', link: 'py', unitId: 1, profile: 'liftwatch-ref' },
        { id: 'PY-2', link: 'py', unitId: 2, profile: 'liftwatch-ref' },
      ],
    })
    gw = await startGateway(cfg.configFile, cfg.dir)
    await sub.waitFor((ms) => ['PY-1', 'PY-2'].every((id) => ms.some((m) => m.topic.includes(`/${id}/`))), 20_000)
    // liftwatch-ref maps only 81: code 12 goes out with faultType null (the profile maps it to nothing)
    expect(stateOf(sub.messages.find((m) => m.topic.includes('/PY-1/'))!.json)).toEqual({ ...trapped, faultType: null })
    expect(stateOf(sub.messages.find((m) => m.topic.includes('/PY-2/'))!.json)).toEqual(inspection)
    await sub.close()
  })
})

describe('gateway → Debian mosquitto', () => {
  let mosq: Awaited<ReturnType<typeof startMosquitto>> | undefined
  let sim: Simulator | undefined
  // a child process: the last will needs the gateway killed outright
  let gw: GatewayCliRun | undefined
  afterAll(async () => {
    await gw?.cli.stop()
    await sim?.stop()
    await mosq?.close()
  })

  it('publishes telemetry, retained status and availability that mosquitto_sub receives', async () => {
    mosq = await startMosquitto()
    const fleet = new Fleet({ elevators: 2, region: '330922', seed: 2, traffic: 0 })
    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 100 }, pino({ level: 'silent' }))
    const info = await sim.start()
    const cfg = writeGatewayConfig({
      brokerPort: mosq.port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port }],
      elevators: fleet.cars.map((c, i) => ({ id: c.elevatorId, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
    })
    const sub = await collector(`mqtt://127.0.0.1:${mosq.port}`, ['lift/v1/#'])
    gw = await startGatewayCli(cfg.configFile, cfg.dir)
    await sub.waitFor((ms) => fleet.cars.every((c) => ms.some((m) => m.topic.endsWith(`/${c.elevatorId}/telemetry`))))
    const tel = sub.messages.filter((m) => m.topic.endsWith(`/${fleet.cars[0]!.elevatorId}/telemetry`)).at(-1)!
    expect(stateOf(tel.json)).toEqual(fleet.cars[0]!.view)
    await sub.close()
    // retained: a client arriving later still gets status and availability (Debian's own client)
    const r = await run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mosq.port), '-t', 'lift/v1/gateways/+/status', '-t', 'lift/v1/+/+/availability', '-C', '3', '-W', '10', '-v'])
    expect(r.stdout).toMatch(/lift\/v1\/gateways\/gw-test\/status \{"v":1,"state":"online"/)
    expect(r.stdout.match(/availability \{"v":1,.*"state":"online"/g)).toHaveLength(2)
    // the last will: the gateway killed outright → mosquitto publishes offline
    const will = await collector(`mqtt://127.0.0.1:${mosq.port}`, ['lift/v1/gateways/+/status'])
    await will.waitFor((ms) => ms.some((m) => m.json.state === 'online'))
    await gw.cli.stop('SIGKILL')
    await will.waitFor((ms) => ms.some((m) => m.json.state === 'offline'), 60_000)
    await will.close()
  }, 120_000)
})

describe('gateway configuration', () => {
  it('a broken config exits non-zero and lists every problem by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lw-badcfg-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, `gateway: { id: "bad id", region: "33" }
mqtt: { url: "http://nope", keepalive: 1 }
polling: { pollMs: 5, sure: true }
links: [{ id: a, transport: carrier-pigeon }]
elevators: [{ id: E1, link: a, unitId: 300 }]
`)
    const r = await run(process.execPath, [new URL('../../bin/liftwatch.js', import.meta.url).pathname, 'gateway', '--config', file])
    expect(r.code).toBe(2)
    for (const path of ['gateway.id', 'gateway.region', 'mqtt.url', 'mqtt.keepalive', 'polling.pollMs', 'polling.sure', 'links.0.transport', 'elevators.0.unitId', 'elevators.0.profile']) {
      expect(r.stderr, path).toContain(`  ${path}: `)
    }
    expect(r.stderr).toContain(file)
  })

  it('deploy/examples/gateway.yaml is valid and matches `liftwatch sim --elevators 2 --port 1502`', async () => {
    const { loadGatewayConfig } = await import('../../gateway/config.ts')
    const cfg = loadGatewayConfig(new URL('../../deploy/examples/gateway.yaml', import.meta.url).pathname)
    expect(cfg.mqtt.url).toBe('mqtt://127.0.0.1:1883')
    expect(cfg.links[0]).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: 1502 })
    const fleet = new Fleet({ elevators: 2, region: '330922', seed: 1, traffic: 0 })
    expect(cfg.elevators.map((e) => [e.id, e.unitId])).toEqual(fleet.cars.map((c, i) => [c.elevatorId, i + 1]))
  })
})

