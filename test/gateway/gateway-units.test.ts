// One unit on a shared link misbehaving must not cost its neighbours: a silent unit goes offline
// after 3 failed polls and back online when it answers; an address refused inside a coalesced read
// costs only that point.
import { afterAll, describe, expect, it } from 'vitest'
import pino from 'pino'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { CarUnit } from '../../simulators/unit.ts'
import { ModbusTcpServer } from '../../simulators/modbus/tcp-server.ts'
import { ModbusException } from '../../simulators/modbus/device.ts'
import { startAedes, collector, type TestBroker } from '../helpers/broker.ts'
import { metricUntil, metricValue, startGateway, writeGatewayConfig, type GatewayRun } from '../helpers/gateway.ts'

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms))
const silent = pino({ level: 'silent' })

describe('a silent unit among three on one TCP link', () => {
  let broker: TestBroker | undefined
  let sim: Simulator | undefined
  let gw: GatewayRun | undefined
  afterAll(async () => {
    await gw?.stop()
    await sim?.stop()
    await broker?.close()
  })

  it('goes offline after 3 failures, back online on recovery; the others keep their poll rate within 10 %', async () => {
    broker = await startAedes()
    const sub = await collector(`mqtt://127.0.0.1:${broker.port}`, ['lift/v1/+/+/availability'])
    const fleet = new Fleet({ elevators: 3, region: '330922', seed: 3, traffic: 0 })
    sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 100 }, silent)
    const info = await sim.start()
    const ids = fleet.cars.map((c) => c.elevatorId)
    const { dir, configFile } = writeGatewayConfig({
      brokerPort: broker.port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 300 }],
      elevators: ids.map((id, i) => ({ id, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
      polling: { pollMs: 100, offlineAfterFailures: 3 },
    })
    gw = await startGateway(configFile, dir)
    const availability = (id: string) => sub.messages.filter((m) => m.topic.includes(`/${id}/`)).map((m) => m.json.state)
    await sub.waitFor(() => ids.every((id) => availability(id).includes('online')))
    const okPolls = async () => {
      const m = await gw!.metrics()
      return ids.slice(1).map((id) => metricValue(m, 'liftwatch_gateway_polls_total', { elevator: id, result: 'ok' }))
    }
    const window = async (ms: number) => {
      const a = await okPolls()
      await delay(ms)
      const b = await okPolls()
      return b.map((v, i) => v - a[i]!)
    }
    // past the start-up: ten polls of each neighbour
    const settled = async (n: number) => {
      const from = await okPolls()
      for (const [i, id] of ids.slice(1).entries()) {
        await metricUntil(gw!, 'liftwatch_gateway_polls_total', (v) => v >= from[i]! + n, `${n} more polls of ${id}`, { labels: { elevator: id, result: 'ok' } })
      }
    }
    await settled(10)
    const before = await window(5000)

    const car = fleet.cars[0]!
    car.wire = { mode: 'silent' }
    car.version++
    await sub.waitFor(() => availability(ids[0]!).includes('offline'), 10_000)
    const offline = sub.messages.find((m) => m.topic.includes(`/${ids[0]}/`) && m.json.state === 'offline')!
    expect(offline.json).toMatchObject({ reason: 'LW_ERR_MODBUS_TIMEOUT', gateway: 'gw-test' })
    const m = await gw.metrics()
    expect(metricValue(m, 'liftwatch_gateway_poll_failures_total', { elevator: ids[0]! })).toBeGreaterThanOrEqual(3)
    // its three timeouts held the link ~900 ms, nine polls of each neighbour, caught up back to
    // back: fifteen more polls each are past the catch-up, so the window measures the steady rate
    await settled(15)
    const during = await window(5000)
    for (let i = 0; i < before.length; i++) {
      expect(Math.abs(during[i]! - before[i]!) / before[i]!, `unit ${i + 2}: ${before[i]} → ${during[i]}`).toBeLessThanOrEqual(0.1)
    }

    car.wire = { mode: 'ok' }
    car.version++
    await sub.waitFor(() => availability(ids[0]!).at(-1) === 'online', 40_000)
    await sub.close()
  }, 90_000)
})

describe('an address refused inside a coalesced read', () => {
  let broker: TestBroker | undefined
  let server: ModbusTcpServer | undefined
  let gw: GatewayRun | undefined
  afterAll(async () => {
    await gw?.stop()
    await server?.stop()
    await broker?.close()
  })

  it('still delivers the other points and logs the bad one once, with its address', async () => {
    const fleet = new Fleet({ elevators: 1, region: '330922', seed: 4, traffic: 0 })
    const unit = new CarUnit(fleet.source(0))
    // this controller has no fault-code register: any read touching input register 8 is refused
    const picky = Object.assign(Object.create(unit) as CarUnit, {
      readRegisters: (area: 'holding' | 'input', address: number, count: number) =>
        area === 'input' && address <= 8 && address + count > 8 ? ModbusException.IllegalDataAddress : unit.readRegisters(area, address, count),
    })
    server = new ModbusTcpServer({ port: 0, resolve: (id) => (id === 1 ? picky : undefined) })
    const port = await server.start()
    broker = await startAedes()
    const sub = await collector(`mqtt://127.0.0.1:${broker.port}`, ['lift/v1/+/+/telemetry'])
    const id = fleet.cars[0]!.elevatorId
    const { dir, configFile } = writeGatewayConfig({
      brokerPort: broker.port,
      links: [{ id: 'tcp', transport: 'tcp', host: '127.0.0.1', port, timeoutMs: 500 }],
      elevators: [{ id, link: 'tcp', unitId: 1, profile: 'liftwatch-ref' }],
      polling: { pollMs: 100 },
    })
    gw = await startGateway(configFile, dir)
    await sub.waitFor((ms) => ms.length >= 1)
    const { v: _v, ts: _t, seq: _s, boot: _b, gateway: _g, reason: _r, ...state } = sub.messages[0]!.json
    // every field but the unreadable fault code comes from the controller
    expect({ ...state, faultCode: fleet.cars[0]!.view.faultCode }).toEqual(fleet.cars[0]!.view)
    const polled = metricValue(await gw.metrics(), 'liftwatch_gateway_polls_total', { elevator: id, result: 'ok' })
    await metricUntil(gw, 'liftwatch_gateway_polls_total', (v) => v >= polled + 20, '20 more polls', { labels: { elevator: id, result: 'ok' } })
    const bad = gw.lines.filter((l) => l.msg === 'point unreadable')
    expect(bad).toHaveLength(1)
    expect(bad[0]).toMatchObject({ point: 'faultCode', area: 'input', address: 8, exceptionCode: 2 })
    expect(metricValue(await gw.metrics(), 'liftwatch_gateway_polls_total', { elevator: id, result: 'ok' })).toBeGreaterThan(10)
    await sub.close()
  }, 60_000)
})
