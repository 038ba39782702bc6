// An Outbox + Publisher pair on a temp file, as the gateway wires them.
import { join } from 'node:path'
import type { Logger } from 'pino'
import { Outbox, type OutboxConfig } from '../../../gateway/outbox/outbox.ts'
import { Publisher, type PublisherOptions } from '../../../gateway/outbox/publisher.ts'
import type { MqttConfig } from '../../../gateway/outbox/mqtt-options.ts'
import { markReplay, silent, tempDir } from './fixtures.ts'

export const GATEWAY = 'gw-test'
export const STATUS = `lift/v1/gateways/${GATEWAY}/status`
export const OFFLINE = JSON.stringify({ v: 1, state: 'offline' })
export const ONLINE = JSON.stringify({ v: 1, state: 'online', boot: 'b1' })

export interface Pair { outbox: Outbox; publisher: Publisher; stop(): Promise<void> }

export function mqttConfig(url: string, over: Partial<MqttConfig> = {}): MqttConfig {
  return { url, keepalive: 30, reconnect: { minMs: 50, maxMs: 300 }, ...over }
}

export function outboxConfig(path = join(tempDir(), 'outbox.db'), over: Partial<OutboxConfig> = {}): OutboxConfig {
  return { path, maxMessages: 1_000_000, maxBytes: 512 * 1024 * 1024, maxAgeHours: 720, sync: 'full', ...over }
}

export function startPair(url: string, opts: {
  path?: string
  log?: Logger
  replayPerSecond?: number
  publisher?: Partial<PublisherOptions>
  mqtt?: Partial<MqttConfig>
} = {}): Pair {
  const log = opts.log ?? silent
  const outbox = new Outbox(outboxConfig(opts.path), log.child({ component: 'outbox' }))
  outbox.open()
  const publisher = new Publisher({
    mqtt: mqttConfig(url, opts.mqtt),
    gatewayId: GATEWAY,
    outbox,
    outboxConfig: { replayPerSecond: opts.replayPerSecond ?? 200 },
    will: { topic: STATUS, payload: OFFLINE },
    onConnect: () => [{ topic: STATUS, payload: ONLINE, retain: true }],
    toReplay: markReplay,
    ...opts.publisher,
  }, log.child({ component: 'mqtt' }))
  publisher.start()
  return {
    outbox, publisher,
    async stop() {
      await publisher.stop()
      outbox.close()
    },
  }
}
