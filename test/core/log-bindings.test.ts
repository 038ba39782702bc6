// Only composition roots name a component: no log line of a real broker, gateway or simulator
// carries a key twice (`{"component":"sink","component":"sqlite-telemetry"}` is valid JSON that
// every reader parses differently). JSON.parse keeps the last duplicate, so the raw text is read.
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt from 'mqtt'
import { stringify } from 'yaml'
import { rootLogger } from '../../core/main.ts'
import { Broker } from '../../broker/app.ts'
import { loadBrokerConfig } from '../../broker/config.ts'
import { Gateway } from '../../gateway/app.ts'
import { loadGatewayConfig } from '../../gateway/config.ts'
import { Fleet } from '../../simulators/fleet.ts'
import { Simulator } from '../../simulators/app.ts'
import { collector } from '../helpers/broker.ts'
import { writeGatewayConfig } from '../helpers/gateway.ts'
import { A1, A2, PASSWORDS, REGISTRY, users } from '../broker/mqtt/fixtures.ts'

/** Keys that appear more than once in one object of a JSON text, with the path of that object. */
export function repeatedKeys(text: string): string[] {
  const found: string[] = []
  const stack: { keys: Set<string>; path: string }[] = []
  let i = 0
  let pendingKey: string | undefined
  const readString = (): string => {
    let s = ''
    for (i++; text.charAt(i) !== '"' && i < text.length; i++) s += text.charAt(i) === '\\' ? text.charAt(i) + text.charAt(++i) : text.charAt(i)
    i++
    return s
  }
  while (i < text.length) {
    const c = text[i]!
    if (c === '{') {
      const top = stack.at(-1)
      stack.push({ keys: new Set(), path: top ? `${top.path}.${pendingKey ?? '[]'}` : '' })
      i++
    } else if (c === '}') {
      stack.pop()
      i++
    } else if (c === '"') {
      const s = readString()
      let j = i
      while (text[j] === ' ') j++
      const top = stack.at(-1)
      // a string followed by ':' inside an object is a key
      if (text[j] === ':' && top) {
        if (top.keys.has(s)) found.push(`${top.path}.${s}`.replace(/^\./, ''))
        top.keys.add(s)
        pendingKey = s
      }
    } else if (c === '[') {
      pendingKey = undefined
      i++
    } else i++
  }
  return found
}

/** A pino destination keeping every raw line; `waitFor` resolves on the first line matching. */
function capture(): { stream: Writable; lines: string[]; waitFor(re: RegExp, timeoutMs?: number): Promise<void> } {
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let rest = ''
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const parts = (rest + chunk.toString()).split('\n')
      rest = parts.pop()!
      lines.push(...parts.filter((l) => l.length > 0))
      for (const w of waiters) w()
      done()
    },
  })
  const waitFor = (re: RegExp, timeoutMs = 20_000) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!lines.some((l) => re.test(l))) return
      clearTimeout(timer)
      waiters.delete(check)
      resolve()
    }
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no log line matching ${re} within ${timeoutMs} ms`)) }, timeoutMs)
    waiters.add(check)
    check()
  })
  return { stream, lines, waitFor }
}

describe('repeatedKeys', () => {
  it('finds a key repeated in one object, at any depth, and nothing in clean lines', () => {
    expect(repeatedKeys('{"component":"sink","component":"sqlite-telemetry","msg":"x"}')).toEqual(['component'])
    expect(repeatedKeys('{"a":1,"err":{"code":"X","data":{"b":[{"c":1},{"c":2}]},"code":"Y"}}')).toEqual(['err.code'])
    expect(repeatedKeys('{"msg":"a \\"quoted\\": text","x":{"msg":1},"y":[{"msg":2}]}')).toEqual([])
  })
})

describe('log lines of a real broker, gateway and simulator', () => {
  const stops: (() => Promise<unknown>)[] = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })

  it('carry no key twice, from start through telemetry to stop', async () => {
    const out = capture()
    const dir = mkdtempSync(join(tmpdir(), 'lw-logs-'))
    // gw-a's two elevators are cars 1 and 2 of the simulator
    const fleet = new Fleet({ elevators: 2, region: '330922', seed: 5, traffic: 0.5 })
    const ids = [A1.id, A2.id]
    // copied where used: one object twice would be a YAML alias, and the sections' defaults differ
    const local = { host: '127.0.0.1', port: 0 }
    const storage = { alarms: { path: join(dir, 'alarms.db') }, telemetry: { sqlite: { path: join(dir, 'telemetry.db') } } }
    writeFileSync(join(dir, 'broker.yaml'), stringify({ mqtt: { listeners: { tcp: { ...local } }, users: await users() }, http: { ...local }, registry: REGISTRY, ...storage }))
    const broker = new Broker(loadBrokerConfig(join(dir, 'broker.yaml')), rootLogger('broker', 'debug', out.stream))
    stops.push(() => broker.stop())
    const ports = await broker.start()
    const url = `mqtt://127.0.0.1:${ports.mqtt.tcp}`
    const sub = await collector(url, ['lift/v1/+/+/telemetry'], { username: 'ops', password: PASSWORDS.ops })
    stops.push(() => sub.close())

    const sim = new Simulator(fleet, { host: '127.0.0.1', port: 0, portPerCar: false, tickMs: 50 }, rootLogger('sim', 'debug', out.stream))
    stops.push(() => sim.stop())
    const info = await sim.start()
    const cfg = writeGatewayConfig({
      id: 'gw-a', brokerPort: ports.mqtt.tcp!,
      mqtt: { username: 'gw-a', password: PASSWORDS['gw-a'] },
      // a link to a closed port too, so reconnect and failure lines are written
      links: [
        { id: 'tcp', transport: 'tcp', host: '127.0.0.1', port: info.tcp[0]!.port, timeoutMs: 500 },
        { id: 'dead', transport: 'tcp', host: '127.0.0.1', port: 1, timeoutMs: 200, reconnect: { minMs: 50, maxMs: 100 } },
      ],
      elevators: [
        ...ids.map((id, i) => ({ id, link: 'tcp', unitId: i + 1, profile: 'liftwatch-ref' })),
        { id: 'E-NOWHERE', link: 'dead', unitId: 1, profile: 'liftwatch-ref' },
      ],
    })
    const gateway = new Gateway(loadGatewayConfig(cfg.configFile), rootLogger('gateway', 'debug', out.stream))
    stops.push(() => gateway.stop())
    await gateway.start()

    await sub.waitFor((ms) => ids.every((id) => ms.some((m) => m.topic.endsWith(`/${id}/telemetry`))), 30_000)
    // a payload that breaks the contract: ingest's rejection line
    const bad = await mqtt.connectAsync(url, { username: 'gw-a', password: PASSWORDS['gw-a'], clientId: 'gw-a-bad' })
    await bad.publishAsync(`lift/v1/330922/${ids[0]}/telemetry`, '{"v":1}', { qos: 1 })
    await bad.endAsync()
    await out.waitFor(/"component":"ingest"/)
    await out.waitFor(/"component":"poller"/)
    for (const stop of stops.splice(0).reverse()) await stop()

    const parsed = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const names = new Set(parsed.map((l) => l.name))
    expect(names).toContain('liftwatch-broker')
    expect(names).toContain('liftwatch-gateway')
    // every part logged from inside, under a component its composition root named
    const components = new Set(parsed.map((l) => l.component).filter(Boolean))
    for (const c of ['mqtt', 'ingest', 'sink', 'http', 'outbox', 'link', 'poller']) expect(components, c).toContain(c)
    const repeated = out.lines.flatMap((l) => repeatedKeys(l).map((k) => `${k} in ${l}`))
    expect(repeated).toEqual([])
  }, 90_000)
})
