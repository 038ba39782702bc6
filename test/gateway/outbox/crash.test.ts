// (b) kill -9 of a publishing gateway process during a broker outage, then a restart from the
// same outbox file: every message the process had committed is delivered, the backlog in order.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { Outbox } from '../../../gateway/outbox/outbox.ts'
import { silent, startBroker, subscribe, tempDir, topicOf, until, type Subscriber, type TestBroker } from './fixtures.ts'
import { GATEWAY, outboxConfig, startPair, type Pair } from './harness.ts'

const RUN_TS = fileURLToPath(new URL('../../../bin/run-ts.js', import.meta.url))
const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url))

describe('outbox across kill -9', () => {
  const brokers: TestBroker[] = []
  let sub: Subscriber | undefined
  let pair: Pair | undefined
  let child: ChildProcess | undefined
  afterAll(async () => {
    child?.kill('SIGKILL')
    await pair?.stop()
    await sub?.close()
    for (const b of brokers) await b.close()
  })

  it('loses nothing the killed process had committed, and replays it all after the restart', async () => {
    const first = await startBroker()
    brokers.push(first)
    sub = await subscribe(first.url, [topicOf('+')], { clientId: 'sub-b' })
    // what the first broker took from the gateway (and so acknowledged, or was about to)
    const brokerGot = new Set<number>()
    first.aedes.on('publish', (packet, client) => {
      if (client?.id === GATEWAY) brokerGot.add((JSON.parse(packet.payload.toString()) as { seq: number }).seq)
    })
    const path = join(tempDir(), 'outbox.db')

    child = spawn(process.execPath, [RUN_TS, CHILD, first.url, path], { stdio: ['ignore', 'pipe', 'pipe'] })
    const stderr: string[] = []
    createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l))
    let committed = -1
    createInterface({ input: child.stdout! }).on('line', (l) => { committed = (JSON.parse(l) as { committed: number }).committed })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child!.once('exit', (_code, signal) => resolve(signal)))

    await sub.waitFor((m) => m.length >= 300, 'child publishing', 30_000)
    await first.close()
    const atOutage = committed
    // mid-stream: the child writes ~2500 messages/s into its outbox while the broker is gone
    await until(() => committed >= atOutage + 1500, 'writing during the outage')
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    const lastCommitted = committed
    const before = sub.messages.map((m) => m.json.seq as number)

    // at rest: the file is sound, and everything committed is either with the broker or on disk
    // (a subscriber can still miss some of what the dying broker had taken: that is the broker's loss)
    const raw = new Database(path)
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
    raw.close()
    const onDisk = new Outbox(outboxConfig(path), silent)
    onDisk.open()
    const rows = onDisk.read(0, Infinity, 1e6).map((r) => JSON.parse(r.payload) as { seq: number })
    onDisk.close()
    const known = new Set([...brokerGot, ...rows.map((r) => r.seq)])
    const lost = [...Array(lastCommitted + 1).keys()].filter((s) => !known.has(s))
    expect(lost, `stderr: ${stderr.join('\n')}`).toEqual([])
    expect(rows.length).toBeGreaterThanOrEqual(1500) // at least what was written after the broker went

    // restart: a new broker on the same port, the same outbox file, a new gateway process (here, in-process)
    const second = await startBroker({ port: first.port, gate: { clientId: GATEWAY, subscriber: 'sub-b' } })
    brokers.push(second)
    pair = startPair(second.url, { path, replayPerSecond: 5000 })
    await sub.waitFor((m) => m.length === before.length + rows.length, 'backlog delivered', 30_000)
    await until(() => pair!.outbox.stats().depth === 0, 'outbox drained')

    const after = sub.messages.slice(before.length)
    expect(after.every((m) => m.json.reason === 'replay')).toBe(true)
    expect(after.map((m) => m.json.seq as number)).toEqual(rows.map((r) => r.seq))
    // duplicates only of rows the first broker took but never acknowledged (QoS 1: at least once)
    const dup = rows.filter((r) => brokerGot.has(r.seq)).length
    expect(dup).toBeLessThanOrEqual(1000)
    console.log(`kill -9: ${lastCommitted + 1} committed, ${rows.length} on disk at rest, ${dup} of them also reached the first broker`)
    expect(pair.publisher.stats()).toMatchObject({ replayed: rows.length, acked: rows.length, published: rows.length })
  })
})
