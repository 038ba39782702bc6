// Login backoff per username: after `threshold` failures every further attempt must wait an
// exponentially growing delay (core/backoff.ts) from the last one. The failures live in the
// account store (login_failures), so a restart does not reset them. Pure: the caller passes
// the count, the time of the last failure and now.
import { backoffDelay, type BackoffPolicy } from '../../core/backoff.ts'

export interface LockoutPolicy {
  /** failures allowed before the backoff starts */
  threshold: number
  backoff: BackoffPolicy
}

export const defaultLockoutPolicy: Readonly<LockoutPolicy> = Object.freeze({
  threshold: 5,
  // no jitter: the wait is told to the client, and knowing it gains an attacker nothing
  backoff: Object.freeze({ minMs: 1000, maxMs: 15 * 60_000, factor: 2, jitter: 0 }),
})

/** ms the username must still wait before its next attempt; 0: it may try now. */
export function lockoutWait(failures: { count: number; lastAt: number | null }, now: number, policy: LockoutPolicy = defaultLockoutPolicy): number {
  if (failures.count < policy.threshold || failures.lastAt === null) return 0
  const delay = backoffDelay(failures.count - policy.threshold, policy.backoff)
  return Math.max(0, failures.lastAt + delay - now)
}
