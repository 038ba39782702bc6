// What one MQTT connection is opened with, and when the next one is tried.
import { readFileSync } from 'node:fs'
import type { IClientOptions } from 'mqtt'
import type { GatewayConfig } from '../config.ts'
import { backoffDelay } from '../../core/backoff.ts'
import { GatewayError, GatewayErrorCode } from '../errors.ts'

export type MqttConfig = GatewayConfig['mqtt']
export interface WillMessage { topic: string; payload: string }
export interface TlsFiles { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean }

/** Reads the PEM files named in the config; a missing file is LW_ERR_MQTT naming it. */
export function readTls(tls: MqttConfig['tls']): TlsFiles | undefined {
  if (!tls) return undefined
  const read = (what: 'ca' | 'cert' | 'key') => {
    const file = tls[what]
    if (file === undefined) return {}
    try {
      return { [what]: readFileSync(file) }
    } catch (err) {
      throw new GatewayError(GatewayErrorCode.Mqtt, `cannot read mqtt.tls.${what} ${file}: ${(err as Error).message}`, { file }, err)
    }
  }
  return { ...read('ca'), ...read('cert'), ...read('key'), rejectUnauthorized: tls.rejectUnauthorized }
}

export function clientOptions(cfg: MqttConfig, clientId: string, will: WillMessage, tls: TlsFiles | undefined): IClientOptions {
  return {
    clientId,
    // persistent session: the broker keeps our subscriptions and queued messages across outages
    clean: false,
    keepalive: cfg.keepalive,
    protocolVersion: 4,
    username: cfg.username,
    password: cfg.password,
    // we reconnect ourselves (backoff with jitter) and each connection is a fresh client, so
    // mqtt.js never resends or queues: the outbox is the only queue (see publisher.ts)
    reconnectPeriod: 0,
    queueQoSZero: false,
    resubscribe: false,
    connectTimeout: 30_000,
    // [MQTT-3.1.2-8]: published by the broker when the connection dies without DISCONNECT
    will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true },
    ...tls,
  }
}

/**
 * Delay before MQTT reconnect number `attempt` (1 first). "Full jitter" (AWS Architecture Blog,
 * "Exponential Backoff And Jitter"): uniform in [0, min(maxMs, minMs·2^(attempt-1))], so a fleet
 * that lost the same broker spreads out.
 */
export function mqttReconnectDelay(attempt: number, reconnect: { minMs: number; maxMs: number }, random?: () => number): number {
  return backoffDelay(attempt - 1, { ...reconnect, jitter: 1 }, random)
}

/** The broker URL without credentials, for logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString()
  } catch {
    return '(unparseable url)'
  }
}
