// What a person may see: a region code prefix (GB/T 2260 county 6 digits, township 9, village 12),
// an organisation (a maintenance unit or property manager), or everything (admin only). Pure.
import type { Role } from './roles.ts'

export type Scope = { region: string } | { org: string } | { all: true }

/** Who is asking: made by broker/http/auth.ts from a session or an API token. */
export interface Principal {
  userId: number
  username: string
  name: string
  role: Role
  scope: Scope
  via: 'session' | 'token'
  sessionId?: string
  tokenId?: number
}

/** The fields of a registry elevator (broker/registry/registry.ts) that scope reads. */
export interface ScopedElevator {
  region: string
  township?: string
  village?: string
  maintenance?: string
  property?: string
}

export const REGION_PATTERN = /^(\d{6}|\d{9}|\d{12})$/
export const ORG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** The most specific region code the registry knows for the elevator. */
export const elevatorRegion = (e: ScopedElevator): string => e.village ?? e.township ?? e.region

export function inScope(scope: Scope, e: ScopedElevator): boolean {
  if ('all' in scope) return scope.all === true
  if ('region' in scope) return elevatorRegion(e).startsWith(scope.region)
  return e.maintenance === scope.org || e.property === scope.org
}

/** null when the scope is well formed for the role, else why not. */
export function checkScope(role: Role, scope: Scope): string | null {
  if ('all' in scope) return role === 'admin' ? null : `scope all is for admin only, not ${role}`
  if ('region' in scope) return REGION_PATTERN.test(scope.region) ? null : `region ${scope.region} must be 6, 9 or 12 digits`
  if (!ORG_PATTERN.test(scope.org)) return `organisation ${scope.org} must match ${ORG_PATTERN.source}`
  return role === 'maintenance' || role === 'property' || role === 'steward' ? null : `an organisation scope is for maintenance, property or steward, not ${role}`
}

/** `region:330922001`, `org:acme-lifts`, `all` — the CLI's and the store's text form. */
export function formatScope(scope: Scope): string {
  if ('all' in scope) return 'all'
  return 'region' in scope ? `region:${scope.region}` : `org:${scope.org}`
}

export function parseScope(text: string): Scope | null {
  if (text === 'all') return { all: true }
  const m = /^(region|org):(.+)$/.exec(text)
  if (!m) return null
  return m[1] === 'region' ? { region: m[2]! } : { org: m[2]! }
}
