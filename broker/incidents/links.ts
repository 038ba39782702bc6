// Responder links (docs/domain.md#response-chain): signed, expiring, bound to one party and one
// incident, so opening one needs no password. token = base64url(claims JSON) "." base64url(HMAC-SHA256).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { CoreError, CoreErrorCode } from '../../core/errors.ts'
import type { Db } from '../../core/sqlite.ts'
import { PARTY_ROLES, type PartyRole } from '../../response/index.ts'
import type { LinkClaims, LinkRefusal } from './types.ts'

const KEY_BYTES = 32

interface Wire { i: string; p: string; n: string; r: PartyRole; e: number }

export class LinkSigner {
  readonly refused: Record<Exclude<LinkRefusal, 'unknown_incident'>, number> = { malformed: 0, tampered: 0, expired: 0 }

  constructor(private readonly key: Buffer, private readonly now: () => number) {}

  sign(c: LinkClaims): string {
    const wire: Wire = { i: c.incidentId, p: c.partyId, n: c.partyName, r: c.role, e: c.expiresAt }
    const body = Buffer.from(JSON.stringify(wire)).toString('base64url')
    return `${body}.${this.mac(body).toString('base64url')}`
  }

  verify(token: string): LinkClaims | Exclude<LinkRefusal, 'unknown_incident'> {
    const refuse = (why: keyof LinkSigner['refused']) => { this.refused[why]++; return why }
    const m = /^([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/.exec(token)
    if (!m) return refuse('malformed')
    const given = Buffer.from(m[2]!, 'base64url')
    const want = this.mac(m[1]!)
    if (given.length !== want.length || !timingSafeEqual(given, want)) return refuse('tampered')
    const w = parseWire(Buffer.from(m[1]!, 'base64url').toString('utf8'))
    // signed by us yet unreadable: only a key shared with another program could make one
    if (!w) return refuse('malformed')
    if (this.now() >= w.e) return refuse('expired')
    return { incidentId: w.i, partyId: w.p, partyName: w.n, role: w.r, expiresAt: w.e }
  }

  private mac(body: string): Buffer {
    return createHmac('sha256', this.key).update(body).digest()
  }
}

function parseWire(json: string): Wire | null {
  try {
    const w = JSON.parse(json) as Partial<Wire>
    const ok = typeof w.i === 'string' && typeof w.p === 'string' && typeof w.n === 'string' && typeof w.e === 'number'
      && (PARTY_ROLES as readonly string[]).includes(w.r as string)
    return ok ? (w as Wire) : null
  } catch {
    return null
  }
}

/** A configured key (hex or base64, ≥ 32 bytes), else the one kept in `meta`, made once: links outlive a restart. */
export function linkKey(db: Db, configured?: string): Buffer {
  if (configured !== undefined) {
    const key = /^[0-9a-fA-F]+$/.test(configured) && configured.length % 2 === 0 ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64')
    if (key.length < KEY_BYTES) throw new CoreError(CoreErrorCode.Config, `the responder link key must be at least ${KEY_BYTES} bytes (hex or base64)`, { bytes: key.length })
    return key
  }
  return db.transaction(() => {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'link_key'").get() as { value: string } | undefined
    if (row) return Buffer.from(row.value, 'base64')
    const key = randomBytes(KEY_BYTES)
    db.prepare("INSERT INTO meta (key, value) VALUES ('link_key', ?)").run(key.toString('base64'))
    return key
  })()
}
