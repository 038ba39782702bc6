// Telemetry as JSON on the wire. encodeTelemetry writes the envelope first and `reason` sixth, so
// markReplay can mark a message the outbox replays after an outage by rewriting that one value in
// place: an outage can leave hundreds of thousands of messages to replay, each parsed otherwise.
import type { ControllerState, ProfileFacts, Reason, Telemetry } from './schemas.ts'
import { validateTelemetry } from './validate.ts'

export interface TelemetryEnvelope {
  ts: number
  seq: number
  boot: string
  gateway: string
  reason: Reason
}

/** The v1 telemetry message, fields in the order markReplay reads. */
export function telemetryMessage(e: TelemetryEnvelope, state: ControllerState & ProfileFacts): Telemetry {
  return { v: 1, ts: e.ts, seq: e.seq, boot: e.boot, gateway: e.gateway, reason: e.reason, ...state }
}

/** The v1 telemetry payload, fields in the order markReplay reads. */
export function encodeTelemetry(e: TelemetryEnvelope, state: ControllerState & ProfileFacts): string {
  return JSON.stringify(telemetryMessage(e, state))
}

// encodeTelemetry's first six fields, each value in JSON's own grammar for its type
const ENVELOPE = /^\{"v":1,"ts":\d+,"seq":\d+,"boot":"(?:[^"\\]|\\.)*","gateway":"[^"\\]*","reason":"(change|heartbeat)"/

/**
 * The payload with `reason` "replay" when it is v1 telemetry sent live ("change" or
 * "heartbeat"); any other payload (availability, status, not JSON) comes back as it is.
 */
export function markReplay(payload: string): string {
  const envelope = ENVELOPE.exec(payload)
  if (envelope) {
    const end = envelope[0].length - 1 // the closing quote of the reason
    return `${payload.slice(0, end - envelope[1]!.length)}replay${payload.slice(end)}`
  }
  // not in encodeTelemetry's layout (another encoder wrote it): parse, check, write it anew
  let data: unknown
  try {
    data = JSON.parse(payload)
  } catch {
    return payload // not JSON, so not telemetry: the broker counts it as bad input
  }
  const t = validateTelemetry(data)
  if (!t.ok || t.value.reason === 'replay') return payload
  const { v: _v, ts, seq, boot, gateway, reason: _reason, ...state } = t.value
  return encodeTelemetry({ ts, seq, boot, gateway, reason: 'replay' }, state)
}
