// aedes' memory persistence with a bound on each persistent session's outgoing queue. The stock
// queue grows without limit while a clean=false subscriber is away (30,000 messages took 89 MB):
// here, past `maxMessages` or `maxBytes` (topic + payload), the oldest message goes, counted.
// Only the outgoing queue is replaced; subscriptions, retained messages and wills stay the stock ones.
import { Readable } from 'node:stream'
import memoryModule, { type AedesPersistence } from 'aedes-persistence'
import Packet from 'aedes-packet'
import type { AedesPacket } from 'aedes-packet'
import type { Client } from 'aedes'

// the package is CommonJS: its module.exports is the factory aedes itself calls
const memory = memoryModule as unknown as () => AedesPersistence

export interface OfflineQueueLimits { maxMessages: number; maxBytes: number }

interface Queue { packets: AedesPacket[]; bytes: number }

const sizeOf = (p: AedesPacket) => Buffer.byteLength(p.cmd === 'publish' ? p.topic : '') + (p.cmd === 'publish' && p.payload ? p.payload.length : 0)

/** The store aedes gets; `dropped` is called once per message a full queue let go. */
export function boundedMemoryPersistence(limits: OfflineQueueLimits, dropped: (clientId: string) => void): AedesPersistence {
  const persistence = memory()
  const queues = new Map<string, Queue>()

  const enqueue = (clientId: string, original: AedesPacket) => {
    let q = queues.get(clientId)
    if (!q) queues.set(clientId, (q = { packets: [], bytes: 0 }))
    // a copy per session, as the stock store makes: each gets its own messageId
    const packet = new (Packet as unknown as new (p: AedesPacket) => AedesPacket)(original)
    q.packets.push(packet)
    q.bytes += sizeOf(packet)
    while (q.packets.length > limits.maxMessages || (q.bytes > limits.maxBytes && q.packets.length > 1)) {
      q.bytes -= sizeOf(q.packets.shift()!)
      dropped(clientId)
    }
  }

  const outgoing = {
    async outgoingEnqueue(sub: { clientId: string }, packet: AedesPacket) { enqueue(sub.clientId, packet) },
    async outgoingEnqueueCombi(subs: { clientId: string }[], packet: AedesPacket) { for (const sub of subs) enqueue(sub.clientId, packet) },
    async outgoingUpdate(client: Client, packet: AedesPacket) {
      const q = queues.get(client.id)
      const packets = q?.packets ?? []
      for (const [i, p] of packets.entries()) {
        if (p.brokerId === packet.brokerId && p.brokerCounter === packet.brokerCounter) {
          if ('messageId' in packet) (p as { messageId?: number }).messageId = packet.messageId
          return
        }
        if (p.brokerId !== packet.brokerId && 'messageId' in p && 'messageId' in packet && p.messageId === packet.messageId) {
          // QoS 2: the PUBREL takes its PUBLISH's place
          q!.bytes += sizeOf(packet) - sizeOf(p)
          packets[i] = packet
          return
        }
      }
      // dropped from a full queue while it was on its way: it is still written, nothing to update
    },
    async outgoingClearMessageId(client: Client, packet: { messageId?: number }) {
      const q = queues.get(client.id)
      const i = q?.packets.findIndex((p) => 'messageId' in p && p.messageId === packet.messageId) ?? -1
      if (!q || i < 0) return undefined
      const [gone] = q.packets.splice(i, 1)
      q.bytes -= sizeOf(gone!)
      if (q.packets.length === 0) queues.delete(client.id)
      return gone
    },
    outgoingStream(client: Client) {
      // a copy: acknowledgements clear entries while the stream is read
      return Readable.from([...(queues.get(client.id)?.packets ?? [])])
    },
  }
  // the callback wrapper calls its async store's methods by name
  Object.assign((persistence as unknown as { asyncPersistence: object }).asyncPersistence, outgoing)
  return persistence
}
