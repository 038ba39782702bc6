import { EventEmitter, once } from 'node:events'
import { afterEach, describe, expect, it } from 'vitest'
import { decode, liftwatchRef, type Area, type Profile } from '../../../protocol/index.ts'
import { GatewayError, GatewayErrorCode } from '../../../gateway/errors.ts'
import { ModbusLink, type LinkEvents } from '../../../gateway/modbus/link.ts'
import { LinkPoller, nextDue, probeDelay, type Clock, type PollerEvents, type PollTarget } from '../../../gateway/modbus/link-poller.ts'
import { Fleet } from '../../../simulators/fleet.ts'
import { CarUnit } from '../../../simulators/unit.ts'
import type { BitArea, ModbusUnit, RegisterArea, WireBehaviour } from '../../../simulators/modbus/device.ts'
import { ModbusException } from '../../../simulators/modbus/device.ts'
import { Recorder, TestUnit, byId, captureLog, elapse, linkConfig, rtuServer, tcpServer } from './fixtures.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

/** A simulated car whose wire a test switches, and which can refuse one input register. */
class Car implements ModbusUnit {
  wireMode: WireBehaviour = { mode: 'ok' }
  refuseInput: number | undefined
  constructor(private readonly inner: CarUnit) {}
  readBits(area: BitArea, address: number, count: number) { return this.inner.readBits(area, address, count) }
  readRegisters(area: RegisterArea, address: number, count: number) {
    const r = this.refuseInput
    if (area === 'input' && r !== undefined && address <= r && r < address + count) return ModbusException.IllegalDataAddress
    return this.inner.readRegisters(area, address, count)
  }
  writeCoils() { return this.inner.writeCoils() }
  writeRegisters() { return this.inner.writeRegisters() }
  wire() { return this.wireMode }
}

function fleetOf(n: number): { fleet: Fleet; cars: Car[] } {
  const fleet = new Fleet({ elevators: n, region: '330922', seed: 11, traffic: 0 })
  return { fleet, cars: fleet.cars.map((c) => new Car(new CarUnit(fleet.source(c.index)))) }
}

async function rtuPoller(units: Record<number, ModbusUnit>, targets: PollTarget[], opts: { pollMs?: number; probe?: { minMs: number; maxMs: number } } = {}) {
  const rtu = await rtuServer(byId(units))
  const { log, lines } = captureLog()
  const link = new ModbusLink(linkConfig({ transport: 'rtu', path: rtu.path, timeoutMs: 300 }), log)
  const rec = new Recorder()
  const poller = new LinkPoller(link, targets, rec, log, { offlineAfterFailures: 3, probe: opts.probe })
  cleanups.push(() => rtu.stop(), () => link.stop(), () => poller.stop())
  link.start()
  poller.start()
  return { link, rec, poller, lines, rtu }
}

const target = (unitId: number, pollMs: number, profile: Profile = liftwatchRef): PollTarget => ({ key: `car${unitId}`, unitId, profile, pollMs })

describe('poll schedule', () => {
  it('is fixed-rate: the next poll is due a period after the last due time, restarting when far behind', () => {
    expect(nextDue(1000, 200, 1050)).toBe(1200)
    expect(nextDue(1000, 200, 1500)).toBe(1200) // 300 ms behind after a stall: caught up back to back
    expect(nextDue(1000, 200, 3000)).toBe(3000) // far behind: skip the missed slots
  })

  it('probes an offline unit with doubling, jittered delays', () => {
    const probe = { minMs: 2000, maxMs: 30_000 }
    expect([0, 1, 2, 3, 4, 9].map((k) => probeDelay(k, probe, () => 1))).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000])
    expect(probeDelay(0, probe, () => 0)).toBe(1000)
  })
})

/** Virtual time for the schedule: timers run in order as the test advances the clock. */
class FakeClock implements Clock {
  t = 0
  private seq = 0
  private timers: { at: number; id: number; fn: () => void }[] = []
  now() { return this.t }
  setTimeout(fn: () => void, ms: number) { const id = ++this.seq; this.timers.push({ at: this.t + ms, id, fn }); return id }
  clearTimeout(id: unknown) { this.timers = this.timers.filter((t) => t.id !== id) }
  async advanceTo(end: number) {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve))
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!next) break
      this.timers = this.timers.filter((t) => t !== next)
      this.t = next.at
      next.fn()
    }
    this.t = end
  }
}

/** A link on virtual time: answers after 30 ms, or times out after 300 ms. */
class VirtualLink extends EventEmitter<LinkEvents> {
  connected = true
  silent = false
  constructor(private readonly clock: FakeClock) { super() }
  read(unitId: number, _area: Area, address: number, count: number): Promise<number[]> {
    return new Promise((resolve, reject) => {
      if (this.silent) this.clock.setTimeout(() => reject(new GatewayError(GatewayErrorCode.ModbusTimeout, 'no answer', { unitId, address })), 300)
      else this.clock.setTimeout(() => resolve(Array.from({ length: count }, () => 0)), 30)
    })
  }
}

describe('LinkPoller schedule (virtual time)', () => {
  const one: Profile = { name: 'one', description: '', addressBase: 0, points: { a: { area: 'holding', address: 0, type: 'u16' } } }
  const setup = () => {
    const clock = new FakeClock()
    const link = new VirtualLink(clock)
    const samples: number[] = []
    const failures: [number, number][] = []
    const events: PollerEvents = {
      sample: (_k, _i, at) => { samples.push(at) },
      failure: (_k, _e, n) => { failures.push([clock.now(), n]) },
      polled: () => {},
    }
    const poller = new LinkPoller(link, [target(1, 100, one)], events, captureLog().log, { offlineAfterFailures: 3, clock, random: () => 1 })
    return { clock, link, samples, failures, poller }
  }

  it('polls at a fixed rate that does not drift by the request time', async () => {
    const { clock, samples, poller } = setup()
    poller.start()
    await clock.advanceTo(450)
    expect(samples).toEqual([30, 130, 230, 330, 430])
    await poller.stop()
  })

  it('probes an offline unit with backoff and returns to its rate at once when it answers', async () => {
    const { clock, link, samples, failures, poller } = setup()
    link.silent = true
    poller.start()
    await clock.advanceTo(7600)
    // Three failures at full rate (caught up back to back), then probes 2 s and 4 s apart.
    expect(failures).toEqual([[300, 1], [600, 2], [900, 3], [3200, 4], [7500, 5]])
    link.silent = false
    await clock.advanceTo(15_800)
    expect(samples).toEqual([15_530, 15_630, 15_730])
    // stop() waits for the poll in flight, which ends on virtual time.
    const stopped = poller.stop()
    await clock.advanceTo(16_000)
    await stopped
    expect(samples).toHaveLength(3)
  })
})

describe('LinkPoller', () => {
  it('polls two units sharing one RTU link, each decoding to its own car, ≤ 4 requests a poll', async () => {
    const { fleet, cars } = fleetOf(2)
    const { rec, link } = await rtuPoller({ 1: cars[0]!, 2: cars[1]! }, [target(1, 100), target(2, 100)])
    await rec.until(() => ['car1', 'car2'].every((k) => rec.samples.filter((s) => s.key === k).length >= 5), 'five samples each')
    for (const [key, index] of [['car1', 0], ['car2', 1]] as const) {
      const s = rec.samples.find((x) => x.key === key)!
      const src = fleet.source(index)
      expect(decode(liftwatchRef, s.image)).toMatchObject({ ...src.state(), ...src.extras() })
    }
    expect(link.counters.requests / rec.polls.length).toBeLessThanOrEqual(4)
    expect(rec.failures).toEqual([])
  })

  it('delivers the other points when one address inside a block is refused, and logs the bad one once', async () => {
    const { fleet, cars } = fleetOf(2)
    cars[1]!.refuseInput = 8
    const { rec, lines } = await rtuPoller({ 1: cars[0]!, 2: cars[1]! }, [target(1, 100), target(2, 100)])
    await rec.until(() => rec.samples.filter((s) => s.key === 'car2').length >= 6, 'six samples of car2')
    const car2 = rec.samples.filter((s) => s.key === 'car2')
    for (const s of car2) expect(s.pointErrors.map((e) => [e.point, e.area, e.address])).toEqual([['faultCode', 'input', 8]])
    const values = decode(liftwatchRef, car2.at(-1)!.image)
    expect(values).not.toHaveProperty('faultCode')
    expect(values.floor).toBe(fleet.source(1).state().floor)
    expect(values.door).toBe(fleet.source(1).state().door)
    const logged = lines.filter((l) => l.msg === 'point unreadable')
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ key: 'car2', unitId: 2, point: 'faultCode', area: 'input', address: 8, exceptionCode: 2 })
    expect(rec.samples.filter((s) => s.key === 'car1').every((s) => s.pointErrors.length === 0)).toBe(true)
  })

  it('keeps the neighbours of a silent unit at their poll rate, and brings it back at full rate', async () => {
    const pollMs = 150
    const { cars } = fleetOf(3)
    // 10 ms an answer, as on a real RS-485 bus: the neighbours keep the bus about half busy, so
    // a silent unit polled at full rate would crowd them out.
    cars[0]!.wireMode = cars[1]!.wireMode = cars[2]!.wireMode = { mode: 'slow', delayMs: 10 }
    const { rec, link } = await rtuPoller({ 1: cars[0]!, 2: cars[1]!, 3: cars[2]! }, [target(1, pollMs), target(2, pollMs), target(3, pollMs)], {
      probe: { minMs: 1000, maxMs: 3000 },
    })
    // Windows start when the polls are on schedule (the last four a period apart), so that they
    // measure the steady rate rather than a start-up or a catch-up.
    const onSchedule = (key: string) => {
      const at = rec.polls.filter((p) => p.key === key).slice(-4).map((p) => p.at)
      return at.length === 4 && at.every((t, i) => i === 0 || Math.abs(t - at[i - 1]! - pollMs) < 0.2 * pollMs)
    }
    await rec.until(() => onSchedule('car1') && onSchedule('car2') && onSchedule('car3'), 'all on schedule')
    const w = 6000
    const t1 = Date.now()
    await elapse(w)
    const before = { car1: rec.count('car1', t1, t1 + w), car2: rec.count('car2', t1, t1 + w) }

    cars[2]!.wireMode = { mode: 'silent' }
    await rec.until(() => rec.failures.some((f) => f.key === 'car3' && f.consecutive === 3), 'car3 offline')
    // Its three timeouts at full rate held the bus ~900 ms; the neighbours catch those polls up
    // back to back (fixed rate) before the second window starts.
    await rec.until(() => onSchedule('car1') && onSchedule('car2'), 'neighbours back on schedule')
    const t2 = Date.now()
    await elapse(w)
    const after = { car1: rec.count('car1', t2, t2 + w), car2: rec.count('car2', t2, t2 + w) }
    for (const key of ['car1', 'car2'] as const) {
      expect(before[key]).toBeGreaterThanOrEqual(0.9 * (w / pollMs))
      expect(Math.abs(after[key] - before[key])).toBeLessThanOrEqual(0.1 * before[key])
    }
    const failures = rec.failures.filter((f) => f.key === 'car3')
    expect(failures.map((f) => f.consecutive)).toEqual(failures.map((_, i) => i + 1))
    expect(failures.every((f) => f.err.code === GatewayErrorCode.ModbusTimeout)).toBe(true)
    // Offline, it is probed with backoff (every 1–3 s here), not every 150 ms (that would be ~9 timeouts).
    expect(failures.filter((f) => f.at >= t2).length).toBeLessThanOrEqual(4)

    cars[2]!.wireMode = { mode: 'slow', delayMs: 10 }
    const seen = rec.samples.length
    await rec.until(() => rec.samples.slice(seen).some((s) => s.key === 'car3'), 'car3 answers again')
    const t3 = Date.now()
    await elapse(1500)
    expect(rec.count('car3', t3, t3 + 1500)).toBeGreaterThanOrEqual(Math.floor(0.85 * (1500 / pollMs)))
    expect(link.counters.linkLost).toBe(0)
  })

  it('resumes after the TCP server restarts on the same port: at once when the link is back, not at the probe backoff', async () => {
    const unit = new TestUnit(6)
    const profile: Profile = { name: 'p', description: '', addressBase: 0, points: { a: { area: 'holding', address: 3, type: 'u16' } } }
    const { server, port } = await tcpServer(byId({ 1: unit }))
    const { log } = captureLog()
    const link = new ModbusLink(linkConfig({ transport: 'tcp', host: '127.0.0.1', port, reconnect: { minMs: 100, maxMs: 400 } }), log)
    const rec = new Recorder()
    const poller = new LinkPoller(link, [target(1, 50, profile)], rec, log, { offlineAfterFailures: 2, probe: { minMs: 10_000, maxMs: 30_000 } })
    cleanups.push(() => server.stop(), () => link.stop(), () => poller.stop())
    link.start()
    poller.start()
    await rec.until(() => rec.samples.length >= 3, 'three samples')
    await server.stop()
    await rec.until(() => rec.failures.some((f) => f.consecutive >= 2), 'unit offline')
    expect(rec.failures.at(-1)!.err.code).toBe(GatewayErrorCode.LinkDown)
    const again = await tcpServer(byId({ 1: unit }), port)
    cleanups.push(() => again.server.stop())
    await once(link, 'up')
    const up = Date.now()
    const seen = rec.samples.length
    await rec.until(() => rec.samples.length > seen, 'a sample after the restart', 3000)
    expect(Date.now() - up).toBeLessThan(1000)
    expect(decode(profile, rec.samples.at(-1)!.image)).toEqual({ a: 6003 })
    expect(link.counters.reconnects).toBe(1)
    expect(link.counters.connectFailures).toBeLessThanOrEqual(10)
    await Promise.all([poller.stop(), poller.stop()])
    const events = rec.polls.length
    await elapse(200)
    expect(rec.polls.length).toBe(events)
  })
})
