// CONNECT: who is this client? Username and password against the configured users, the client id
// against the other users' ids, the will against the ACL.
import type { Registry } from '../registry/registry.ts'
import { publishRefusal, type Principal } from './acl.ts'
import type { MqttUser } from './config.ts'
import { DECOY_HASH, PasswordVerifier, type PasswordStats } from './passwords.ts'

export const ConnectRefusal = {
  BadCredentials: 'bad-credentials',  // unknown username or wrong password
  Anonymous: 'anonymous',             // no username and allowAnonymous is off
  ClientIdTaken: 'client-id-taken',   // the client id names another user
  WillRefused: 'will-refused',        // the will is on a topic this user may not publish
  Busy: 'busy',                       // too many password checks waiting for this username
  PacketTooLarge: 'packet-too-large', // a packet header claimed more than maxConnectBytes/maxPacketBytes (host.ts)
} as const
export type ConnectRefusal = (typeof ConnectRefusal)[keyof typeof ConnectRefusal]

// CONNACK return codes, MQTT 3.1.1 table 3.1
const IDENTIFIER_REJECTED = 2
const SERVER_UNAVAILABLE = 3
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: ConnectRefusal; returnCode: 2 | 3 | 4 | 5 }

export interface ConnectAttempt {
  clientId: string
  username: string | undefined
  password: Buffer | undefined
  willTopic: string | undefined
}

// client ids remembered with their first user; the oldest are forgotten beyond this
const MAX_OWNED_IDS = 100_000
const UNKNOWN_USERS = '\0unknown'

export class Authenticator {
  private readonly passwords = new PasswordVerifier()
  // client id → the username that first connected with it (anonymous clients own nothing)
  private readonly owners = new Map<string, string>()

  constructor(
    private readonly users: Readonly<Record<string, MqttUser>>,
    private readonly allowAnonymous: boolean,
    private readonly registry: Registry,
  ) {}

  /** Rejects only on an unexpected failure (a bug); a refusal is a result. */
  async authenticate(a: ConnectAttempt): Promise<AuthResult> {
    let principal: Principal
    if (!a.username) {
      if (!this.allowAnonymous) return { ok: false, reason: ConnectRefusal.Anonymous, returnCode: NOT_AUTHORIZED }
      principal = { role: 'anonymous', username: null }
    } else {
      const user = this.user(a.username)
      // an unknown user costs the same scrypt as a known one; unknown names wait in one queue
      const match = await this.passwords.verify(a.password ?? Buffer.alloc(0), user?.hash ?? DECOY_HASH, user ? a.username : UNKNOWN_USERS)
      if (match === 'busy') return { ok: false, reason: ConnectRefusal.Busy, returnCode: SERVER_UNAVAILABLE }
      if (!user || !match) return { ok: false, reason: ConnectRefusal.BadCredentials, returnCode: BAD_USERNAME_OR_PASSWORD }
      principal = { role: user.role, username: a.username, ...(user.gateways ? { gateways: new Set(user.gateways) } : {}), ...(user.scope ? { scope: user.scope } : {}) }
    }
    // [MQTT-3.1.4-2] a connection with a taken client id ends the other session: ids that name a
    // user (`user` or `user:anything`) belong to that user, and any other id to the user who
    // first connected with it (a monitor integration's `grafana-lifts`)
    const named = a.clientId.split(':')[0]!
    const owner = this.user(named) ? named : this.owners.get(a.clientId)
    if (owner !== undefined && owner !== principal.username) return { ok: false, reason: ConnectRefusal.ClientIdTaken, returnCode: IDENTIFIER_REJECTED }
    // checked here, not when the will fires: a will stored for a client of a dead broker instance
    // is published later without its client, and was therefore allowed at CONNECT
    if (a.willTopic !== undefined && publishRefusal(principal, a.willTopic, this.registry)) {
      return { ok: false, reason: ConnectRefusal.WillRefused, returnCode: NOT_AUTHORIZED }
    }
    if (owner === undefined && principal.username !== null) this.own(a.clientId, principal.username)
    return { ok: true, principal }
  }

  passwordStats(): PasswordStats {
    return this.passwords.stats()
  }

  private own(clientId: string, username: string): void {
    this.owners.set(clientId, username)
    if (this.owners.size > MAX_OWNED_IDS) this.owners.delete(this.owners.keys().next().value!)
  }

  private user(name: string): MqttUser | undefined {
    return Object.hasOwn(this.users, name) ? this.users[name] : undefined
  }
}
