import { describe, expect, it } from 'vitest'
import { ROLES, can, isRole } from '../../../broker/accounts/roles.ts'
import { checkScope, elevatorRegion, formatScope, inScope, parseScope, type Scope } from '../../../broker/accounts/scope.ts'

// county 330922, townships 330922001 and 330922002, a village of the first
const inVillage = { region: '330922', township: '330922001', village: '330922001005', maintenance: 'acme-lifts', property: 'green-court' }
const inTownshipA = { region: '330922', township: '330922001' }
const inTownshipB = { region: '330922', township: '330922002', maintenance: 'other.co' }
const countyOnly = { region: '330922' }
const otherCounty = { region: '330921', township: '330921001' }

describe('inScope', () => {
  it('a county prefix (6 digits) covers every elevator of the county, and none of another', () => {
    const county: Scope = { region: '330922' }
    expect([inVillage, inTownshipA, inTownshipB, countyOnly].map((e) => inScope(county, e))).toEqual([true, true, true, true])
    expect(inScope(county, otherCounty)).toBe(false)
  })

  it('a township prefix (9 digits) covers its township and its villages only', () => {
    const a: Scope = { region: '330922001' }
    expect(inScope(a, inVillage)).toBe(true)
    expect(inScope(a, inTownshipA)).toBe(true)
    expect(inScope(a, inTownshipB)).toBe(false)
    // an elevator known only by its county is not any one township's
    expect(inScope(a, countyOnly)).toBe(false)
    expect(inScope(a, otherCounty)).toBe(false)
  })

  it('a village prefix (12 digits) covers that village only', () => {
    expect(inScope({ region: '330922001005' }, inVillage)).toBe(true)
    expect(inScope({ region: '330922001006' }, inVillage)).toBe(false)
    expect(inScope({ region: '330922001005' }, inTownshipA)).toBe(false)
  })

  it('matches the most specific code the elevator has', () => {
    expect(elevatorRegion(inVillage)).toBe('330922001005')
    expect(elevatorRegion(inTownshipA)).toBe('330922001')
    expect(elevatorRegion(countyOnly)).toBe('330922')
  })

  it('an organisation matches the maintenance unit or the property manager, exactly', () => {
    expect(inScope({ org: 'acme-lifts' }, inVillage)).toBe(true)
    expect(inScope({ org: 'green-court' }, inVillage)).toBe(true)
    expect(inScope({ org: 'acme' }, inVillage)).toBe(false)
    expect(inScope({ org: 'acme-lifts' }, inTownshipB)).toBe(false)
    expect(inScope({ org: 'other.co' }, inTownshipB)).toBe(true)
    expect(inScope({ org: 'other.co' }, countyOnly)).toBe(false)
  })

  it('all covers everything', () => {
    for (const e of [inVillage, inTownshipB, countyOnly, otherCounty]) expect(inScope({ all: true }, e)).toBe(true)
  })
})

describe('checkScope, formatScope, parseScope', () => {
  it('accepts region codes of 6, 9 or 12 digits only', () => {
    expect(checkScope('township', { region: '330922001' })).toBeNull()
    expect(checkScope('bureau', { region: '330922' })).toBeNull()
    expect(checkScope('grid', { region: '330922001005' })).toBeNull()
    for (const region of ['33092', '3309220', '33092200100', 'abcdef', '']) expect(checkScope('desk', { region })).toMatch(/6, 9 or 12 digits/)
  })

  it('keeps all for admin and organisations for the organisations\' roles', () => {
    expect(checkScope('admin', { all: true })).toBeNull()
    expect(checkScope('bureau', { all: true })).toMatch(/admin only/)
    expect(checkScope('maintenance', { org: 'acme-lifts' })).toBeNull()
    expect(checkScope('property', { org: 'green-court' })).toBeNull()
    expect(checkScope('township', { org: 'acme-lifts' })).toMatch(/not township/)
    expect(checkScope('maintenance', { org: '-bad' })).toMatch(/must match/)
  })

  it('round-trips the text form', () => {
    for (const s of [{ region: '330922001' }, { org: 'acme-lifts' }, { all: true }] as Scope[]) expect(parseScope(formatScope(s))).toEqual(s)
    expect(parseScope('county:330922')).toBeNull()
    expect(parseScope('region:')).toBeNull()
  })
})

describe('can', () => {
  it('gives each action to the roles the design names', () => {
    const who = (action: Parameters<typeof can>[1]) => ROLES.filter((r) => can(r, action))
    expect(who('alarm.ack')).toEqual(['admin', 'bureau', 'township', 'grid', 'desk', 'maintenance'])
    expect(who('audit.read')).toEqual(['admin', 'bureau'])
    expect(who('user.manage')).toEqual(['admin'])
    expect(who('token.manage')).toEqual(['admin'])
  })

  it('knows its roles', () => {
    expect(isRole('desk')).toBe(true)
    expect(isRole('root')).toBe(false)
    expect(isRole(1)).toBe(false)
  })
})
