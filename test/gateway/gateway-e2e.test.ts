// The gateway end to end with real peers: the simulator over Modbus TCP (3 cars) and over RTU on a
// socat pty pair (2 cars sharing the link), the real gateway (built in-process from its config
// file), a real aedes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { validateTelemetry, type ControllerState } from '../../protocol/index.ts'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { parseScenario } from '../../simulators/scenario.ts'
import { startAedes, collector, type TestBroker, type Received } from '../helpers/broker.ts'
import { ptyPair, type PtyPair } from '../helpers/socat.ts'
import { startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'

const silent = pino({ level: 'silent' })
// car 1 of the TCP fleet: a rider boards at 1 for 5; the car sticks between floors at 14 s
const trip = parseScenario(`
name: e2e-trip
description: { zh: 测试行程, en: test trip }
duration: 600
steps:
  - { at: 0.5, set: { hallCalls: [{ landing: 1, direction: up }] } }
  - { at: 1, set: { board: 1, carCalls: [5] } }
  - { at: 14, set: { faults: { stuck: true } } }
expect: []
alarms: [entrapment]
`, 'e2e-trip.yaml')

const stateOf = (m: Received): ControllerState => {
  // faultType is the profile's reading of faultCode, not controller state
  const { v: _v, ts: _ts, seq: _s, boot: _b, gateway: _g, reason: _r, faultType: _f, ...state } = m.json as Record<string, unknown>
  return state as unknown as ControllerState
}

describe('gateway: simulator (TCP + RTU) → gateway → aedes', () => {
  let broker: TestBroker
  let pty: PtyPair
  let tcpFleet: Fleet, rtuFleet: Fleet
  let sims: Simulator[]
  let gw: GatewayRun
  let sub: Awaited<ReturnType<typeof collector>>

  beforeAll(async () => {
    broker = await startAedes()
    sub = await collector(`mqtt://127.0.0.1:${broker.port}`, ['lift/v1/#'])
    pty = await ptyPair()
    tcpFleet = new Fleet({ elevators: 3, region: '330922', seed: 11, traffic: 0, scenario: trip })
    rtuFleet = new Fleet({ elevators: 2, region: '330923', seed: 12, traffic: 0 })
    sims = [
      new Simulator(tcpFleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 50 }, silent),
      new Simulator(rtuFleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 50, serial: { path: pty.a, baudRate: 38400 } }, silent),
    ]
    const [tcpInfo] = await Promise.all(sims.map((s) => s.start()))
    const { dir, configFile } = writeGatewayConfig({
      brokerPort: broker.port,
      links: [
        { id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: tcpInfo!.tcp[0]!.port, timeoutMs: 500 },
        { id: 'rs485', transport: 'rtu', path: pty.b, baudRate: 38400, timeoutMs: 500 },
      ],
      elevators: [
        ...tcpFleet.cars.map((c, i) => ({ id: c.elevatorId, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
        ...rtuFleet.cars.map((c, i) => ({ id: c.elevatorId, region: '330923', link: 'rs485', unitId: i + 1, profile: 'liftwatch-ref' })),
      ],
    })
    gw = await startGateway(configFile, dir)
  })

  afterAll(async () => {
    await gw?.stop()
    await sub?.close()
    await Promise.all(sims.map((s) => s.stop()))
    await pty?.close()
    await broker?.close()
  })

  it('the broker receives telemetry equal to every simulated car, in valid v1 messages', async () => {
    const cars = [...tcpFleet.cars, ...rtuFleet.cars]
    const latest = (id: string) => sub.messages.filter((m) => m.topic.endsWith(`/${id}/telemetry`)).at(-1)
    // the trip is over and the car stuck once car 1 has stood still for a while
    await sub.waitFor(() => tcpFleet.t > 16 && cars.every((c) => {
      const m = latest(c.elevatorId)
      return m !== undefined && JSON.stringify(stateOf(m)) === JSON.stringify(c.view)
    }), 40_000)
    for (const c of cars) expect(stateOf(latest(c.elevatorId)!)).toEqual(c.view)

    const telemetry = sub.messages.filter((m) => m.topic.endsWith('/telemetry'))
    for (const m of telemetry) expect(validateTelemetry(m.json)).toMatchObject({ ok: true })
    // car 1 travelled, then stopped between floors with its passenger
    const car1 = telemetry.filter((m) => m.topic.includes(tcpFleet.cars[0]!.elevatorId)).map(stateOf)
    expect(car1.some((s) => s.moving && s.direction === 'up')).toBe(true)
    expect(car1.at(-1)).toMatchObject({ moving: false, doorZone: false, occupied: true, door: 'closed' })
    // seq counts from 0 without gaps per elevator within one boot
    for (const c of cars) {
      const seqs = telemetry.filter((m) => m.topic.includes(c.elevatorId)).map((m) => m.json.seq as number)
      expect(seqs).toEqual(seqs.map((_, i) => i))
    }
  })

  it('status (retained, online, lists the elevators) and per-elevator availability online', async () => {
    await sub.waitFor((ms) => ms.some((m) => m.topic === 'lift/v1/gateways/gw-test/status'))
    const status = sub.messages.find((m) => m.topic === 'lift/v1/gateways/gw-test/status')!
    expect(status.json).toMatchObject({ v: 1, state: 'online', boot: expect.any(String) })
    expect((status.json.elevators as string[]).sort()).toEqual([...tcpFleet.cars, ...rtuFleet.cars].map((c) => c.elevatorId).sort())
    for (const c of [...tcpFleet.cars, ...rtuFleet.cars]) {
      const a = sub.messages.find((m) => m.topic.endsWith(`/${c.elevatorId}/availability`))
      expect(a?.json).toMatchObject({ state: 'online', gateway: 'gw-test' })
    }
  })

  it('serves Prometheus metrics: polls per elevator, outbox depth', async () => {
    const text = await gw.metrics()
    expect(text).toMatch(/liftwatch_gateway_polls_total\{elevator="31103309222024010001",result="ok"\} [1-9]/)
    expect(text).toMatch(/liftwatch_gateway_outbox_depth \d+/)
    expect(text).toMatch(/liftwatch_gateway_publish_latency_seconds_count [1-9]/)
  })
})
