// A real aedes broker on a real TCP port, that a test can take down and bring back.
import { createServer, type Server, type Socket } from 'node:net'
import { Aedes, type AedesOptions } from 'aedes'
import mqtt, { type MqttClient, type IClientOptions } from 'mqtt'

export interface TestBroker {
  port: number
  broker: Aedes
  /** closes the listener, every client socket and the broker (an outage) */
  close(): Promise<void>
}

export async function startAedes(opts: AedesOptions & { port?: number } = {}): Promise<TestBroker> {
  const { port: wanted = 0, ...options } = opts
  const broker = await Aedes.createBroker(options)
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    broker.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(wanted, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as { port: number }).port
  let closed: Promise<void> | undefined
  return {
    port, broker,
    close() {
      closed ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()))
        for (const s of sockets) s.destroy()
        await done
        await new Promise<void>((resolve) => broker.close(() => resolve()))
      })()
      return closed
    },
  }
}

export interface Received { topic: string; payload: string; retain: boolean; json: Record<string, unknown> }

/** A real mqtt.js subscriber that keeps every message it receives. */
export async function collector(url: string, topics: string[], opts: IClientOptions = {}): Promise<{ client: MqttClient; messages: Received[]; waitFor(pred: (m: Received[]) => boolean, timeoutMs?: number): Promise<void>; close(): Promise<void> }> {
  const client = mqtt.connect(url, { reconnectPeriod: 200, ...opts })
  const messages: Received[] = []
  const waiters = new Set<() => void>()
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString()
    let json: Record<string, unknown> = {}
    try { json = JSON.parse(text) } catch { json = {} }
    messages.push({ topic, payload: text, retain: packet.retain, json })
    for (const w of waiters) w()
  })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  await client.subscribeAsync(topics, { qos: 1 })
  return {
    client, messages,
    waitFor(pred, timeoutMs = 30_000) {
      if (pred(messages)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const check = () => { if (pred(messages)) { clearTimeout(timer); waiters.delete(check); resolve() } }
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`condition not met within ${timeoutMs} ms (${messages.length} messages)`)) }, timeoutMs)
        waiters.add(check)
      })
    },
    async close() { await client.endAsync(true) },
  }
}

/** A broker that lets the gateway in only when the test says so, so the subscriber is ready first. */
export async function gatedBroker(port: number, gate: { open: boolean }, gatedId = 'gw-test'): Promise<TestBroker> {
  return await startAedes({
    port,
    authenticate: (client, _u, _p, done) => {
      if (client.id === gatedId && !gate.open) {
        const err = Object.assign(new Error('not yet'), { returnCode: 3 as const })
        done(err as never, false)
      } else done(null, true)
    },
  })
}

