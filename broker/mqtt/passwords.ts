// Stored credentials: `scrypt$N$r$p$salt$hash` (salt and hash base64url), a random salt per user,
// compared in constant time. The parameters travel with the hash, so they can be raised later
// without invalidating what is stored.
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { MqttError, MqttErrorCode } from './errors.ts'

export interface ScryptParams { N: number; r: number; p: number }

// RFC 7914 §2 recommends N=2^14, r=8 for interactive logins: ~16 MiB and tens of ms per check
export const DEFAULT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ N: 16_384, r: 8, p: 1 })
export const PASSWORD_HASH_PATTERN = '^scrypt\\$[0-9]+\\$[0-9]+\\$[0-9]+\\$[A-Za-z0-9_-]{16,}\\$[A-Za-z0-9_-]{32,}$'
const SALT_BYTES = 16
const KEY_BYTES = 32

interface Parsed extends ScryptParams { salt: Buffer; hash: Buffer }

function derive(password: string | Buffer, salt: Buffer, keylen: number, { N, r, p }: ScryptParams): Promise<Buffer> {
  // node's default maxmem (32 MiB) is below what N·r above the default needs: 128·N·r plus slack
  const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r }
  return new Promise((resolve, reject) => scrypt(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))))
}

/** null when the parameters are acceptable, else why not. */
export function checkParams({ N, r, p }: ScryptParams): string | null {
  if (!Number.isInteger(Math.log2(N)) || N < 1024 || N > 2 ** 20) return `N=${N} must be a power of 2 in 1024…1048576`
  if (r < 1 || r > 32) return `r=${r} must be 1…32`
  if (p < 1 || p > 16) return `p=${p} must be 1…16`
  return null
}

/** Throws LW_ERR_PASSWORD_HASH for anything but a well-formed hash with sane parameters. */
export function parseHash(encoded: string): Parsed {
  const parts = encoded.split('$')
  const [scheme, n, r, p, salt, hash] = parts
  const params = { N: Number(n), r: Number(r), p: Number(p) }
  const bad = parts.length !== 6 || scheme !== 'scrypt' ? 'not scrypt$N$r$p$salt$hash' : checkParams(params)
  if (bad) throw new MqttError(MqttErrorCode.PasswordHash, `invalid password hash: ${bad}`)
  return { ...params, salt: Buffer.from(salt!, 'base64url'), hash: Buffer.from(hash!, 'base64url') }
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const bad = checkParams(params)
  if (bad) throw new MqttError(MqttErrorCode.PasswordHash, `invalid scrypt parameters: ${bad}`)
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, KEY_BYTES, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$')
}

export async function verifyPassword(password: string | Buffer, encoded: string): Promise<boolean> {
  const stored = parseHash(encoded)
  const candidate = await derive(password, stored.salt, stored.hash.length, stored)
  return timingSafeEqual(candidate, stored.hash)
}

// Checked against when the username is unknown, so a refusal takes as long either way and does
// not tell which usernames exist. Any valid hash of a random password will do.
export const DECOY_HASH = 'scrypt$16384$8$1$QUQ5x2pN0jR9oM0m5nS8wA$3kq0mS6xw0bTqXG8gqGm4m2yZgq0rJd8tH1n8m3p0sE'

export interface PasswordStats {
  /** scrypt derivations run */
  evaluated: number
  /** refused without one: their key already had `maxWaitingPerKey` checks waiting */
  busy: number
  /** checks waiting for a slot now */
  waiting: number
}

/**
 * scrypt is slow on purpose (~50–150 ms a check). A county of gateways reconnecting after a broker
 * restart would queue thousands of derivations on libuv's 4-thread pool and stall everything else
 * that needs it (fs, dns.lookup). So at most `concurrency` run at a time, and a success is
 * remembered, as an HMAC under a key that lives only in this process, so that the same
 * credentials reconnecting cost one hash. A password that does not match it still pays scrypt.
 *
 * Waiting checks queue per key (the username; unknown usernames share one) and are served round
 * robin, so 2,000 wrong passwords for one name hold every other name's first login up by at most
 * one check each; beyond `maxWaitingPerKey` waiting, a key's next check is refused as busy at once
 * (a client retries; CONNACK 3) instead of queueing without bound.
 */
export class PasswordVerifier {
  private readonly key = randomBytes(32)
  private readonly verified = new Map<string, Buffer>()
  private running = 0
  // insertion order is the round-robin order: a key served goes to the back
  private readonly waiting = new Map<string, (() => void)[]>()
  private readonly counters = { evaluated: 0, busy: 0 }

  constructor(private readonly concurrency = 2, private readonly maxWaitingPerKey = 8) {}

  /** `queue` is whose turn this check waits in (the username). */
  async verify(password: string | Buffer, encoded: string, queue = ''): Promise<boolean | 'busy'> {
    const mac = createHmac('sha256', this.key).update(password).digest()
    const known = this.verified.get(encoded)
    if (known && timingSafeEqual(known, mac)) return true
    if (!(await this.turn(queue))) {
      this.counters.busy++
      return 'busy'
    }
    let ok: boolean
    try {
      this.counters.evaluated++
      ok = await verifyPassword(password, encoded)
    } finally {
      this.handOver()
    }
    // keyed by the stored hash (salted, so one per user): bounded by the configured users
    if (ok) this.verified.set(encoded, mac)
    return ok
  }

  stats(): PasswordStats {
    let waiting = 0
    for (const w of this.waiting.values()) waiting += w.length
    return { ...this.counters, waiting }
  }

  /** Resolves true holding a slot, or false when `queue` already has its fill waiting. */
  private async turn(queue: string): Promise<boolean> {
    if (this.running < this.concurrency) {
      this.running++
      return true
    }
    const waiters = this.waiting.get(queue) ?? []
    if (waiters.length >= this.maxWaitingPerKey) return false
    await new Promise<void>((resolve) => {
      waiters.push(resolve)
      this.waiting.set(queue, waiters)
    })
    return true
  }

  /** A finishing check hands its slot to the next key in turn, or gives it up. */
  private handOver(): void {
    const first = this.waiting.entries().next()
    if (first.done) {
      this.running--
      return
    }
    const [queue, waiters] = first.value
    this.waiting.delete(queue)
    const next = waiters.shift()!
    if (waiters.length > 0) this.waiting.set(queue, waiters)
    next()
  }
}
