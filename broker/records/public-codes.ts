// Every car's public page code (docs/domain.md, Public disclosure and residents): the path of
// `/p/<code>`, printed as a QR label in the car. Unguessable (crypto random, 16 characters of an
// alphabet without look-alikes: no 0/O, 1/I/L), made on first need, kept in the response store's
// `public_codes` table (broker/incidents/db.ts), so a printed label stays valid across restarts.
import { randomBytes } from 'node:crypto'
import type { Db } from '../../core/sqlite.ts'

export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'
export const CODE_LENGTH = 16
/** what a code looks like; anything else is not looked up any differently (one indexed lookup, always) */
export const CODE_PATTERN = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`)

// 31 × 8 = 248: bytes at or above it are drawn again, so every character is equally likely
const LIMIT = CODE_ALPHABET.length * Math.floor(256 / CODE_ALPHABET.length)

/** A fresh random code (about 79 bits). */
export function randomCode(): string {
  let out = ''
  while (out.length < CODE_LENGTH) {
    for (const b of randomBytes(CODE_LENGTH * 2)) {
      if (b >= LIMIT) continue
      out += CODE_ALPHABET[b % CODE_ALPHABET.length]
      if (out.length === CODE_LENGTH) break
    }
  }
  return out
}

export class PublicCodes {
  constructor(private readonly db: Db) {}

  /** The car's code, made and kept the first time it is asked for. */
  codeFor(elevatorId: string): string {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT code FROM public_codes WHERE elevator_id = ?').get(elevatorId) as { code: string } | undefined
      if (row) return row.code
      const code = randomCode()
      this.db.prepare('INSERT INTO public_codes (code, elevator_id) VALUES (?, ?)').run(code, elevatorId)
      return code
    })()
  }

  /** The car a code stands for; null for any other string. Looks up by code only. */
  elevatorFor(code: string): string | null {
    // the same indexed lookup for a malformed, an unknown or a known code: the answer's time says nothing
    const row = this.db.prepare('SELECT elevator_id FROM public_codes WHERE code = ?').get(code.slice(0, 64)) as { elevator_id: string } | undefined
    return row?.elevator_id ?? null
  }

  /** The codes of many cars at once (made where missing), for the labels. */
  codesFor(elevatorIds: readonly string[]): Map<string, string> {
    return this.db.transaction(() => new Map(elevatorIds.map((id) => [id, this.codeFor(id)])))()
  }
}
