// The accounts store's records (broker/accounts/store.ts). None that the store returns carries a
// password hash, a session id or a token: they are safe to log and to answer with.
import type { Role } from './roles.ts'
import type { Principal, Scope } from './scope.ts'

export interface User {
  id: number
  username: string
  name: string
  role: Role
  scope: Scope
  disabled: boolean
  createdAt: number
}

export interface NewUser {
  username: string
  name: string
  role: Role
  scope: Scope
  /** exactly one of password and passwordHash (an scrypt hash, as `liftwatch passwd` prints) */
  password?: string
  passwordHash?: string
}

export interface SessionMeta { ip: string; userAgent: string }
export interface Session { user: User; csrf: string; createdAt: number; lastSeen: number }

export interface TokenInfo {
  id: number
  userId: number
  username: string
  name: string
  createdAt: number
  lastUsed: number | null
  revokedAt: number | null
}

export interface Failures { count: number; lastAt: number | null }

/** Who did it: a person (session or token), the `liftwatch user` CLI, or nobody known (a failed login). */
export type Actor = Principal | 'cli' | null

export interface AuditInput {
  actor: Actor
  action: string
  target?: string
  /** never a secret: no password, session id, token or hash */
  detail?: Record<string, unknown>
  ip?: string
}

export interface AuditEntry {
  id: number
  at: number
  /** username, 'cli', or null */
  actor: string | null
  actorName: string | null
  role: Role | null
  via: 'session' | 'token' | 'cli' | null
  action: string
  target: string | null
  detail: Record<string, unknown> | null
  ip: string | null
}
