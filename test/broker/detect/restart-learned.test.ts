// Issue 14's acceptance: an anomaly baseline kept across a broker restart. A real broker (MQTT,
// SQLite, HTTP on OS-picked ports) learns one car's door opening time from telemetry, is stopped
// and started again on the same files, and the first slow door openings after the restart raise
// `anomaly`: without the baseline a fresh start would judge nothing before 8 new observations.
// Door timing is real time here (ingest keeps the gateway's ts only near its receipt), so the
// windows are small: 8 learned observations, 3 recent, ~0.3 s a door cycle.
import { afterEach, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { filters, telemetryTopic, type AlarmEvent, type Telemetry } from '../../../protocol/index.ts'
import { LearnedStore } from '../../../broker/detect/snapshots.ts'
import { A1, PASSWORDS, brokerConfigData, tempDir } from '../mqtt/fixtures.ts'
import { sampleTelemetry } from '../../protocol/fixtures.ts'
import { startBrokerApp, type BrokerRun } from '../../helpers/broker-app.ts'

const ANOMALY = {
  learnEveryMs: 0, baselineSize: 8, minObservations: 8, recentSize: 3, sustainedEvaluations: 1, sustainMs: 0,
  minMadDoorMs: 40, minMadFraction: 0.05, threshold: 4,
}

interface Run { app: BrokerRun; gateway: MqttClient; monitor: MqttClient; anomalies: AlarmEvent[]; boot: string; seq: number }

async function start(dir: string, boot: string): Promise<Run> {
  const app = await startBrokerApp(await brokerConfigData(dir, {
    detectors: { detectors: { anomaly: ANOMALY }, learned: { path: join(dir, 'learned.db') } },
  }))
  const monitor = await mqtt.connectAsync(app.url, { username: 'ops', password: PASSWORDS.ops, reconnectPeriod: 0 })
  const anomalies: AlarmEvent[] = []
  monitor.on('message', (_t, p) => {
    const e = JSON.parse(p.toString()) as AlarmEvent
    if (e.type === 'anomaly') anomalies.push(e)
  })
  await monitor.subscribeAsync(filters.alarms, { qos: 1 })
  const gateway = await mqtt.connectAsync(app.url, { username: 'gw-a', password: PASSWORDS['gw-a'], clientId: 'gw-a', reconnectPeriod: 0 })
  return { app, gateway, monitor, anomalies, boot, seq: 0 }
}

async function stop(r: Run): Promise<void> {
  await r.gateway.endAsync()
  await r.monitor.endAsync()
  await r.app.stop()
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Sends one telemetry sample stamped now; resolves at its PUBACK (ingest and detectors have seen it). */
async function send(r: Run, state: Partial<Telemetry>): Promise<void> {
  const msg = sampleTelemetry({ floor: '1', floorIndex: 1, doorZone: true, moving: false, ...state, ts: Date.now(), seq: r.seq++, boot: r.boot, gateway: 'gw-a' })
  await r.gateway.publishAsync(telemetryTopic(A1.region, A1.id), JSON.stringify(msg), { qos: 1 })
}

/** One door cycle whose opening takes about `openingMs` (the car's own pace, so real time). */
async function doorCycle(r: Run, openingMs: number): Promise<void> {
  await send(r, { door: 'closed' })
  await pause(30)
  await send(r, { door: 'opening' })
  await pause(openingMs)
  await send(r, { door: 'open' })
  await pause(30)
  await send(r, { door: 'closing' })
  await pause(100)
  await send(r, { door: 'closed' })
}

/** The monitor has heard an anomaly event, or `ms` passed without one. */
function anomalyHeard(r: Run, ms = 3000): Promise<boolean> {
  if (r.anomalies.length > 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    const done = (heard: boolean) => {
      clearTimeout(timer)
      r.monitor.off('message', on)
      resolve(heard)
    }
    // after the listener that collects them: registered first, it runs first
    const on = () => { if (r.anomalies.length > 0) done(true) }
    const timer = setTimeout(() => done(false), ms)
    r.monitor.on('message', on)
  })
}

describe('a broker restarted keeps the anomaly baselines it learned', () => {
  const runs: Run[] = []
  afterEach(async () => { for (const r of runs.splice(0)) await stop(r) })

  it('raises on a slow door right after the restart, from the baseline learned before it', async () => {
    const dir = tempDir()
    const first = await start(dir, 'boot-1')
    runs.push(first)
    // 3 recent + 8 learned door openings of ~100 ms, and one more so the baseline is judged
    for (let k = 0; k < 12; k++) await doorCycle(first, 100)
    expect(first.anomalies).toEqual([])
    await stop(runs.pop()!)

    const store = new LearnedStore(join(dir, 'learned.db'))
    store.start()
    const kept = store.load(A1.id).get('anomaly')
    store.stop()
    expect(kept).toBeDefined()

    const second = await start(dir, 'boot-2')
    runs.push(second)
    // the first sample after the restart times nothing; two slow openings move the recent median
    await doorCycle(second, 600)
    await doorCycle(second, 600)
    expect(await anomalyHeard(second)).toBe(true)
    expect(second.anomalies[0]).toMatchObject({ type: 'anomaly', state: 'raised', elevatorId: A1.id })
    expect(second.anomalies[0]!.evidence).toMatchObject({ metric: 'doorOpening', baselineCount: 8 })
  }, 30_000)
})
