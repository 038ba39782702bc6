// Real peers for the outbox tests: aedes on a port the OS picks (that a test can take down and
// bring back on the same port), real mqtt.js subscribers, pino loggers whose JSON lines we read.
import { mkdtempSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { Aedes, type AedesOptions } from 'aedes'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import pino, { type Logger } from 'pino'

export interface TestBroker {
  port: number
  url: string
  aedes: Aedes
  /** an outage: the listener closed, every client socket destroyed, the broker gone */
  close(): Promise<void>
}

export interface BrokerOptions extends AedesOptions {
  port?: number
  /** hold this client's CONNECT until `subscriber` has subscribed (so nothing is published into the void) */
  gate?: { clientId: string; subscriber: string }
}

export async function startBroker(opts: BrokerOptions = {}): Promise<TestBroker> {
  const { port: wanted = 0, gate, ...options } = opts
  let open = !gate
  const held: (() => void)[] = []
  if (gate) {
    options.authenticate = (client, _u, _p, done) => {
      if (open || client.id !== gate.clientId) done(null, true)
      else held.push(() => done(null, true))
    }
  }
  const aedes = await Aedes.createBroker(options)
  aedes.on('subscribe', (_subs, client) => {
    if (gate && client.id === gate.subscriber && !open) {
      open = true
      for (const release of held.splice(0)) release()
    }
  })
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(wanted, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as { port: number }).port
  let closing: Promise<void> | undefined
  return {
    port, aedes, url: `mqtt://127.0.0.1:${port}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        for (const s of sockets) s.destroy()
        await closed
        await new Promise<void>((resolve) => aedes.close(() => resolve()))
      })()
      return closing
    },
  }
}

export interface Received { topic: string; payload: string; retain: boolean; json: Record<string, unknown>; at: number }

export interface Subscriber {
  client: MqttClient
  messages: Received[]
  waitFor(pred: (m: Received[]) => boolean, what: string, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A real mqtt.js subscriber that keeps every message; it reconnects and resubscribes by itself. */
export async function subscribe(url: string, topics: string[], opts: IClientOptions = {}): Promise<Subscriber> {
  const client = mqtt.connect(url, { reconnectPeriod: 100, ...opts })
  const messages: Received[] = []
  const waiters = new Set<() => void>()
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString()
    let json: Record<string, unknown> = {}
    try { json = JSON.parse(text) as Record<string, unknown> } catch { json = { unparsed: text } }
    messages.push({ topic, payload: text, retain: packet.retain, json, at: performance.now() })
    for (const w of [...waiters]) w()
  })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  await client.subscribeAsync(topics, { qos: 1 })
  return {
    client, messages,
    waitFor(pred, what, timeoutMs = 20_000) {
      if (pred(messages)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const check = () => { if (pred(messages)) { clearTimeout(timer); waiters.delete(check); resolve() } }
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`${what}: not within ${timeoutMs} ms (${messages.length} messages)`)) }, timeoutMs)
        waiters.add(check)
      })
    },
    async close() { await client.endAsync(true) },
  }
}

/**
 * Waits for a condition on state that has no event of its own (publisher stats), re-checking
 * every few ms. It waits for the condition, not for a time.
 */
export async function until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!pred()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'lw-outbox-'))
}

/** A pino logger whose JSON lines the test reads back. */
export function captureLog(level: pino.Level = 'debug'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>)
      cb()
    },
  })
  return { log: pino({ level }, stream), lines }
}

export const silent = pino({ level: 'silent' })

/** Telemetry-like payload: what the gateway's toReplay rewrites is the reason field. */
export const payload = (seq: number, reason: 'change' | 'heartbeat' = 'change') => JSON.stringify({ v: 1, seq, reason })
export const markReplay = (p: string) => p.replace(/"reason":"(change|heartbeat)"/, '"reason":"replay"')
export const topicOf = (elevator = 'E1') => `lift/v1/330922/${elevator}/telemetry`
