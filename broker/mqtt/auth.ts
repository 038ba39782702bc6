// CONNECT: who is this client? Username and password against the configured users, the client id
// against the other users' ids, the will against the ACL.
import type { Registry } from '../registry/registry.ts'
import { publishRefusal, type Principal } from './acl.ts'
import type { MqttUser } from './config.ts'
import { DECOY_HASH, PasswordVerifier } from './passwords.ts'

export const ConnectRefusal = {
  BadCredentials: 'bad-credentials',  // unknown username or wrong password
  Anonymous: 'anonymous',             // no username and allowAnonymous is off
  ClientIdTaken: 'client-id-taken',   // the client id names another user
  WillRefused: 'will-refused',        // the will is on a topic this user may not publish
} as const
export type ConnectRefusal = (typeof ConnectRefusal)[keyof typeof ConnectRefusal]

// CONNACK return codes, MQTT 3.1.1 table 3.1
const IDENTIFIER_REJECTED = 2
const BAD_USERNAME_OR_PASSWORD = 4
const NOT_AUTHORIZED = 5

export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; reason: ConnectRefusal; returnCode: 2 | 4 | 5 }

export interface ConnectAttempt {
  clientId: string
  username: string | undefined
  password: Buffer | undefined
  willTopic: string | undefined
}

export class Authenticator {
  private readonly passwords = new PasswordVerifier()

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
      // an unknown user costs the same scrypt as a known one
      const match = await this.passwords.verify(a.password ?? Buffer.alloc(0), user?.hash ?? DECOY_HASH)
      if (!user || !match) return { ok: false, reason: ConnectRefusal.BadCredentials, returnCode: BAD_USERNAME_OR_PASSWORD }
      principal = { role: user.role, username: a.username }
    }
    // [MQTT-3.1.4-2] a connection with a taken client id ends the other session: ids that name a
    // user (`user` or `user:anything`) belong to that user
    const owner = a.clientId.split(':')[0]!
    if (this.user(owner) && owner !== principal.username) return { ok: false, reason: ConnectRefusal.ClientIdTaken, returnCode: IDENTIFIER_REJECTED }
    // checked here, not when the will fires: a will stored for a client of a dead broker instance
    // is published later without its client, and was therefore allowed at CONNECT
    if (a.willTopic !== undefined && publishRefusal(principal, a.willTopic, this.registry)) {
      return { ok: false, reason: ConnectRefusal.WillRefused, returnCode: NOT_AUTHORIZED }
    }
    return { ok: true, principal }
  }

  private user(name: string): MqttUser | undefined {
    return Object.hasOwn(this.users, name) ? this.users[name] : undefined
  }
}
