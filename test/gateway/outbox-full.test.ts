// Issue 10, "Gateways": with its outbox full the gateway published nothing while its metrics said
// connected, depth 0, drops 0. Now it says so — metric, retained status, log — and publishes live
// telemetry straight away, unstored, until the backlog's replay has freed room. The real gateway
// in-process, the real simulator over Modbus TCP, a real aedes; the outbox file capped
// (`outbox.maxFileBytes`, SQLite max_page_count) so that SQLite itself answers SQLITE_FULL.
import { afterAll, describe, expect, it } from 'vitest'
import type { Received } from '../helpers/broker.ts'
import { metricUntil, metricValue, startGateway, type GatewayRun } from '../helpers/gateway.ts'
import { startRig, type Rig } from '../helpers/rig.ts'

const isStatus = (m: Received) => m.topic.endsWith('/status')
const isLive = (m: Received) => m.topic.endsWith('/telemetry') && m.json.reason !== 'replay'

describe('gateway with a full outbox', () => {
  let rig: Rig | undefined
  let gw: GatewayRun | undefined
  afterAll(async () => {
    await gw?.stop()
    await rig?.close()
  })

  it('keeps live telemetry flowing unstored, and says so in its metrics, its status and its log', async () => {
    rig = await startRig({ seed: 1, open: false, topics: ['lift/v1/+/+/telemetry', 'lift/v1/gateways/+/status'] })
    const { gate, sub } = rig
    const { dir, configFile } = rig.gatewayConfig({ outbox: { maxFileBytes: 32_768, replayPerSecond: 5 } })
    gw = await startGateway(configFile, dir)

    // the broker refuses the gateway while the cars move: the outbox fills its file
    await metricUntil(gw, 'liftwatch_gateway_outbox_full', (v) => v === 1, 'outbox full')
    const full = await gw.waitFor('outbox full: publishing live messages without storing them')
    expect(full).toMatchObject({ level: 40, path: expect.stringContaining('outbox.db') })
    const stored = metricValue(await gw.metrics(), 'liftwatch_gateway_outbox_depth')
    expect(stored).toBeGreaterThan(0)

    gate.open = true
    // its status says so from the connect on, retained
    await sub.waitFor((ms) => ms.some((m) => isStatus(m) && m.json.state === 'online'))
    expect(sub.messages.find((m) => isStatus(m) && m.json.state === 'online')!.json).toMatchObject({ outbox: 'full' })
    // live samples arrive while the backlog still waits on disk
    const from = sub.messages.length
    await sub.waitFor((ms) => ms.slice(from).filter(isLive).length >= 10)
    const m = await gw.metrics()
    expect(metricValue(m, 'liftwatch_gateway_outbox_bypassed')).toBeGreaterThan(0)
    expect(metricValue(m, 'liftwatch_gateway_outbox_full')).toBe(1)
    expect(metricValue(m, 'liftwatch_gateway_mqtt_connected')).toBe(1)

    // the replay frees room: the outbox stores again, and the status says so
    await sub.waitFor((ms) => ms.some((x) => isStatus(x) && x.json.state === 'online' && x.json.outbox === undefined), 30_000)
    await metricUntil(gw, 'liftwatch_gateway_outbox_full', (v) => v === 0, 'outbox writable again')
    await gw.waitFor('outbox writable again')
    // every live sample is its elevator's next seq or later: none went missing while unstored
    const seqs = new Map<string, number[]>()
    for (const x of sub.messages.filter(isLive)) seqs.set(x.topic, [...(seqs.get(x.topic) ?? []), x.json.seq as number])
    for (const s of seqs.values()) expect(s).toEqual([...s].sort((a, b) => a - b))
  })
})
