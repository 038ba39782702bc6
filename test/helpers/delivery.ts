import { expect } from 'vitest'
import type { Received } from './broker.ts'

/** Each seq once and none missing per elevator; replayed and live messages each in seq order. */
export function checkDelivery(messages: Received[], elevatorIds: string[]): { replayed: number; live: number } {
  let replayed = 0, live = 0
  for (const id of elevatorIds) {
    const t = messages.filter((m) => m.topic.endsWith(`/${id}/telemetry`))
    const seqs = t.map((m) => m.json.seq as number)
    // each seq once, none missing
    expect(new Set(seqs).size, `${id}: duplicates`).toBe(seqs.length)
    expect([...seqs].sort((a, b) => a - b), `${id}: gap`).toEqual(seqs.map((_, i) => i))
    // replayed backlog in order, live messages in order
    const rs = t.filter((m) => m.json.reason === 'replay').map((m) => m.json.seq as number)
    const ls = t.filter((m) => m.json.reason !== 'replay').map((m) => m.json.seq as number)
    expect(rs, `${id}: replay order`).toEqual([...rs].sort((a, b) => a - b))
    expect(ls, `${id}: live order`).toEqual([...ls].sort((a, b) => a - b))
    replayed += rs.length
    live += ls.length
  }
  return { replayed, live }
}

