import { afterEach, describe, expect, it } from 'vitest'
import { createHmac, randomBytes } from 'node:crypto'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { LinkSigner, linkKey } from '../../../broker/incidents/links.ts'
import type { LinkClaims } from '../../../broker/incidents/types.ts'
import type { Db } from '../../../core/sqlite.ts'
import { MIN, T0, tempDb } from './fixtures.ts'

const claims: LinkClaims = { incidentId: 'inc-20260101-abcdef', partyId: 'p-wang', partyName: '王师傅', role: 'maintenance', expiresAt: T0 + 60 * MIN }
const dbs: Db[] = []
afterEach(() => { for (const d of dbs.splice(0)) d.close() })

describe('responder links', () => {
  it('signs claims that verify until they expire', () => {
    let now = T0
    const s = new LinkSigner(randomBytes(32), () => now)
    const token = s.sign(claims)
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    expect(s.verify(token)).toEqual(claims)
    now = T0 + 60 * MIN - 1
    expect(s.verify(token)).toEqual(claims)
    now = T0 + 60 * MIN
    expect(s.verify(token)).toBe('expired')
    expect(s.refused).toEqual({ malformed: 0, tampered: 0, expired: 1 })
  })

  it('refuses a token changed in any way, signed with another key, or not a token at all', () => {
    const key = randomBytes(32)
    const s = new LinkSigner(key, () => T0)
    const token = s.sign(claims)
    const [body, mac] = token.split('.') as [string, string]
    const forged = Buffer.from(JSON.stringify({ i: claims.incidentId, p: 'p-boss', n: '老板', r: 'desk', e: T0 + 9e9 })).toString('base64url')
    expect(s.verify(`${forged}.${mac}`)).toBe('tampered')
    const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`
    expect(s.verify(`${body}.${flipped}`)).toBe('tampered')
    expect(new LinkSigner(randomBytes(32), () => T0).verify(token)).toBe('tampered')
    for (const bad of ['', 'abc', `${body}.`, `${body}.${mac}.x`, `${body}.${mac}x`, `${body} .${mac}`]) expect(s.verify(bad)).toBe('malformed')
    // signed by the key yet not our claims: only another program holding the key could make it
    const odd = Buffer.from('{"i":1}').toString('base64url')
    expect(s.verify(`${odd}.${createHmac('sha256', key).update(odd).digest('base64url')}`)).toBe('malformed')
    expect(s.refused).toEqual({ malformed: 7, tampered: 2, expired: 0 })
  })

  it('keeps a generated key in the response file, or takes a configured one of at least 32 bytes', () => {
    const file = tempDb()
    const a = openResponseDb(file)
    const k1 = linkKey(a)
    expect(k1).toHaveLength(32)
    expect(linkKey(a)).toEqual(k1)
    a.close()
    const b = openResponseDb(file)
    dbs.push(b)
    expect(linkKey(b)).toEqual(k1)
    const hex = randomBytes(32).toString('hex')
    expect(linkKey(b, hex).toString('hex')).toBe(hex)
    const b64 = randomBytes(48).toString('base64')
    expect(linkKey(b, b64).toString('base64')).toBe(b64)
    expect(() => linkKey(b, randomBytes(16).toString('hex'))).toThrow(/at least 32 bytes/)
  })
})
