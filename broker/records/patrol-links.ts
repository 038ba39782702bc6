// A grid administrator's personal patrol link (broker/records/types.ts): the same
// signed tokens as responder links (broker/incidents/links.ts), with `patrol:<personId>` where the
// incident id stands and the role grid, so one kind of link never opens the other's page. The link
// covers the elevators of the person's grid: those naming them as grid administrator, and those in
// the village (or township) their region names.
import { LinkSigner } from '../incidents/links.ts'
import type { LinkClaims } from '../incidents/types.ts'
import type { PartiesDirectory } from '../parties/directory.ts'
import type { Person } from '../parties/schema.ts'

export const PATROL_LINK_PREFIX = 'patrol:'
export type PatrolLinkRefusal = 'malformed' | 'tampered' | 'expired' | 'unknown_person'
export const PATROL_LINK_REFUSALS: readonly PatrolLinkRefusal[] = ['malformed', 'tampered', 'expired', 'unknown_person']

export interface PatrolLink { readonly token: string; readonly url: string; readonly expiresAt: number }

/** The grid administrator a link was made for, and the elevators it opens. */
export interface PatrolHolder { readonly person: Person; readonly claims: LinkClaims; readonly elevatorIds: ReadonlySet<string> }

/** The elevators of a grid administrator's grid, in the directory's order. */
export function gridElevators(dir: PartiesDirectory, personId: string): string[] {
  const p = dir.person(personId)
  if (!p || p.role !== 'grid') return []
  const region = p.region
  return dir.file.elevators
    .filter((e) => e.grid === personId || (region !== undefined && (e.village === region || e.township === region)))
    .map((e) => e.elevatorId)
}

export class PatrolLinks {
  readonly refused: Record<PatrolLinkRefusal, number> = { malformed: 0, tampered: 0, expired: 0, unknown_person: 0 }
  private readonly signer: LinkSigner

  constructor(key: Buffer, private readonly now: () => number, private readonly parties: () => PartiesDirectory,
    private readonly base: () => string, private readonly days: number) {
    this.signer = new LinkSigner(key, now)
  }

  /** A link for a grid administrator of the directory; null for anyone else. */
  linkFor(personId: string): PatrolLink | null {
    const p = this.parties().person(personId)
    if (!p || p.role !== 'grid') return null
    const expiresAt = this.now() + this.days * 86_400_000
    const token = this.signer.sign({ incidentId: `${PATROL_LINK_PREFIX}${p.id}`, partyId: p.id, partyName: p.name, role: 'grid', expiresAt })
    return { token, url: `${this.base().replace(/\/+$/, '')}/g/${token}`, expiresAt }
  }

  /** The holder, or why not (counted): a responder link, or a person no longer a grid administrator, is unknown_person. */
  verify(token: string): PatrolHolder | PatrolLinkRefusal {
    const c = this.signer.verify(token)
    if (typeof c === 'string') { this.refused[c]++; return c }
    const dir = this.parties()
    const person = dir.person(c.partyId)
    if (c.incidentId !== `${PATROL_LINK_PREFIX}${c.partyId}` || c.role !== 'grid' || !person || person.role !== 'grid') {
      this.refused.unknown_person++
      return 'unknown_person'
    }
    return { person, claims: c, elevatorIds: new Set(gridElevators(dir, person.id)) }
  }
}
