// A gateway's status is the state of its newest connection. A gateway whose connection timed out
// on its side reconnects at once; the broker may learn of the old connection's end only later
// (its keep-alive, a half-open socket, a session takeover [MQTT-3.1.4-2]) and then publishes that
// connection's last will: "offline" after the new connection's "online", retained, while the
// gateway is up. A status from a connection that a newer, still open connection of the same
// gateway has replaced is stale: dropped, neither forwarded, retained nor ingested.
import type { Client } from 'aedes'
import { gatewayStatusTopic } from '../../protocol/index.ts'

export class GatewayConnections {
  private order = 0
  private readonly arrived = new WeakMap<Client, number>()
  /** gatewayId → its newest authenticated connection */
  private readonly newest = new Map<string, Client>()

  /** A CONNECT arrived (before authentication, which may finish out of order). */
  connecting(client: Client): void {
    this.arrived.set(client, ++this.order)
  }

  /** A gateway's connection was authenticated. */
  authenticated(gatewayId: string, client: Client): void {
    const current = this.newest.get(gatewayId)
    if (!current || current.closed || this.orderOf(current) < this.orderOf(client)) this.newest.set(gatewayId, client)
  }

  /** Is this publish a status (or last will) of a connection the gateway has replaced? */
  isStale(gatewayId: string, client: Client, topic: string): boolean {
    if (topic !== gatewayStatusTopic(gatewayId)) return false
    const current = this.newest.get(gatewayId)
    // a newer connection that is gone already replaces nothing: this one's offline is the truth
    return current !== undefined && current !== client && !current.closed && this.orderOf(current) > this.orderOf(client)
  }

  private orderOf(client: Client): number {
    return this.arrived.get(client) ?? 0
  }
}
