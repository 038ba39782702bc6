// The bounded outgoing store on its own, driven the way aedes drives it (lib/client.js,
// lib/handlers/connect.js, puback.js, pubrec.js): enqueue while offline, messageId on delivery,
// PUBREL in place of a QoS 2 PUBLISH, cleared on PUBACK/PUBCOMP.
import { describe, expect, it } from 'vitest'
import type { Client } from 'aedes'
import type { AedesPacket } from 'aedes-packet'
import { boundedMemoryPersistence } from '../../../broker/mqtt/offline-queue.ts'

// the promise forms aedes calls (the callback wrapper returns a promise when given no callback)
interface Store {
  outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket): Promise<void>
  outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPacket): Promise<void>
  outgoingUpdate(client: Client, packet: Partial<AedesPacket>): Promise<void>
  outgoingClearMessageId(client: Client, packet: { messageId: number }): Promise<AedesPacket | undefined>
  outgoingStream(client: Client): AsyncIterable<AedesPacket>
}
const bounded = (...args: Parameters<typeof boundedMemoryPersistence>) => boundedMemoryPersistence(...args) as unknown as Store
const client = { id: 'ops:archive' } as Client
const publish = (n: number, bytes = 100): AedesPacket =>
  ({ cmd: 'publish', topic: 't', payload: Buffer.alloc(bytes - 1), qos: 2, retain: false, dup: false, brokerId: 'b', brokerCounter: n }) as AedesPacket
const queued = async (p: Store) => {
  const out: AedesPacket[] = []
  for await (const x of p.outgoingStream(client)) out.push(x)
  return out
}

describe('boundedMemoryPersistence', () => {
  it('drops the oldest past maxMessages and past maxBytes (topic + payload), and counts each', async () => {
    const dropped: string[] = []
    const p = bounded({ maxMessages: 3, maxBytes: 250 }, (id) => dropped.push(id))
    for (let n = 1; n <= 5; n++) await p.outgoingEnqueueCombi([{ clientId: client.id }], publish(n))
    // 250 bytes hold two 100-byte messages
    expect((await queued(p)).map((x) => x.brokerCounter)).toEqual([4, 5])
    expect(dropped).toHaveLength(3)
  })

  it('keeps its byte count through delivery, a PUBREL taking its PUBLISH place, and PUBCOMP', async () => {
    const dropped: string[] = []
    const p = bounded({ maxMessages: 100, maxBytes: 300 }, (id) => dropped.push(id))
    for (let n = 1; n <= 3; n++) await p.outgoingEnqueue({ clientId: client.id }, publish(n))
    // the first two delivered: each gets a messageId, then its PUBREL replaces it, then PUBCOMP clears it
    for (const [i, x] of (await queued(p)).slice(0, 2).entries()) {
      await p.outgoingUpdate(client, { ...x, messageId: i + 1 })
      await p.outgoingUpdate(client, { cmd: 'pubrel', messageId: i + 1 })
      await p.outgoingClearMessageId(client, { messageId: i + 1 })
    }
    expect((await queued(p)).map((x) => x.brokerCounter)).toEqual([3])
    // 200 of the 300 bytes free again: two more fit without a drop
    for (let n = 4; n <= 5; n++) await p.outgoingEnqueue({ clientId: client.id }, publish(n))
    expect((await queued(p)).map((x) => x.brokerCounter)).toEqual([3, 4, 5])
    expect(dropped).toEqual([])
  })
})
