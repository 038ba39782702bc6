// The parties directory: organisations, people and endpoints, and per elevator who answers for it
// (docs/import.md#parties-and-the-three-level-network). Loaded like any config file (every problem
// by path, naming the file) and frozen; the response chain asks it `partiesFor(elevator, role)`.
import type { Problem } from '../../protocol/index.ts'
import { duplicates, parseSection, readYamlFile } from '../../core/config.ts'
import type { Registry } from '../registry/registry.ts'
import {
  PartiesFileSchema, PERSON_ROLES, type Channel, type ElevatorParties, type Endpoint, type Organisation,
  type PartiesFile, type Person, type PersonRole,
} from './schema.ts'

/** One organisation or person to tell, with the channels that reach them. */
export interface Party {
  readonly type: 'organisation' | 'person'
  readonly id: string
  readonly name: string
  readonly role: PersonRole
  /** a person's mobile, an organisation's duty phone */
  readonly phone?: string
  readonly channels: readonly Channel[]
}

export const REDACTED = '[redacted]'

export class PartiesDirectory {
  private readonly orgs: ReadonlyMap<string, Organisation>
  private readonly people: ReadonlyMap<string, Person>
  private readonly endpoints: ReadonlyMap<string, Endpoint>
  private readonly byElevator: ReadonlyMap<string, ElevatorParties>

  constructor(readonly file: Readonly<PartiesFile>) {
    this.orgs = new Map(file.organisations.map((o) => [o.id, o]))
    this.people = new Map(file.people.map((p) => [p.id, p]))
    this.endpoints = new Map(file.endpoints.map((e) => [e.id, e]))
    this.byElevator = new Map(file.elevators.map((e) => [e.elevatorId, e]))
  }

  static empty(): PartiesDirectory {
    return new PartiesDirectory(Object.freeze({ organisations: [], people: [], endpoints: [], elevators: [] }))
  }

  elevator(elevatorId: string): ElevatorParties | undefined {
    return this.byElevator.get(elevatorId)
  }

  organisation(id: string): Organisation | undefined {
    return this.orgs.get(id)
  }

  person(id: string): Person | undefined {
    return this.people.get(id)
  }

  /** The endpoint with its secrets, for the channel that sends through it; never log it. */
  endpoint(id: string): Endpoint | undefined {
    return this.endpoints.get(id)
  }

  /** Who holds `role` for the elevator: organisations first, then people; empty when nobody does. */
  partiesFor(elevatorId: string, role: PersonRole): Party[] {
    const e = this.byElevator.get(elevatorId)
    if (!e) return []
    const org = (o: Organisation | undefined): Party[] => (o ? [{ type: 'organisation', id: o.id, name: o.name, role, ...(o.dutyPhone ? { phone: o.dutyPhone } : {}), channels: o.channels ?? [] }] : [])
    const person = (p: Person | undefined): Party[] => (p ? [{ type: 'person', id: p.id, name: p.name, role, phone: p.phone, channels: p.channels }] : [])
    const people = (match: (p: Person) => boolean) => this.file.people.filter((p) => p.role === role && match(p)).flatMap(person)
    const orgsOf = (match: (o: Organisation) => boolean) => this.file.organisations.filter(match).flatMap((o) => org(o))
    // a person's region covers the elevator when it is its township or its village
    const covers = (p: Person) => p.region === e.township || p.region === e.village
    switch (role) {
      case 'maintenance':
      case 'property': {
        const id = e[role]
        return [...org(this.orgs.get(id)), ...people((p) => p.org === id)]
      }
      case 'steward':
      case 'grid': {
        const id = e[role]
        return id ? person(this.people.get(id)) : []
      }
      case 'rescuer':
        return e.rescuer ? person(this.people.get(e.rescuer)) : people(covers)
      case 'township':
        return [...orgsOf((o) => o.kind === 'township' && o.township === e.township), ...people(covers)]
      case 'desk':
      case 'bureau':
        return [...orgsOf((o) => o.kind === role), ...people(() => true)]
    }
  }

  /** The file with every secret and every endpoint URL (a WeCom key sits in it) replaced. */
  toJSON(): PartiesFile {
    return {
      ...this.file,
      endpoints: this.file.endpoints.map((ep) => ({
        ...ep,
        ...(ep.url !== undefined ? { url: REDACTED } : {}),
        ...(ep.secret !== undefined ? { secret: REDACTED } : {}),
      })),
    }
  }
}

/** Problems that make the file unusable: unknown ids, wrong kinds, an elevator nobody can be told about. */
export function crossCheck(f: PartiesFile): Problem[] {
  const at = (list: string, k: string) => (i: number) => `${list}.${i}.${k}`
  const problems: Problem[] = [
    ...duplicates(f.organisations, (o) => o.id, at('organisations', 'id'), 'organisation id'),
    ...duplicates(f.people, (p) => p.id, at('people', 'id'), 'person id'),
    ...duplicates(f.endpoints, (e) => e.id, at('endpoints', 'id'), 'endpoint id'),
    ...duplicates(f.elevators, (e) => e.elevatorId, at('elevators', 'elevatorId'), 'elevator'),
  ]
  const orgs = new Map(f.organisations.map((o) => [o.id, o]))
  const people = new Map(f.people.map((p) => [p.id, p]))
  const endpoints = new Map(f.endpoints.map((e) => [e.id, e]))
  const channels = (list: readonly Channel[] | undefined, path: string) => (list ?? []).forEach((c, j) => {
    const ep = endpoints.get(c.ref)
    if (!ep) problems.push({ path: `${path}.${j}.ref`, message: `unknown endpoint "${c.ref}"` })
    else if (ep.kind !== c.kind) problems.push({ path: `${path}.${j}.kind`, message: `endpoint "${c.ref}" is ${ep.kind}, not ${c.kind}` })
  })
  f.endpoints.forEach((ep, i) => {
    if (ep.secret !== undefined && ep.secretEnv !== undefined) problems.push({ path: `endpoints.${i}`, message: 'give secret or secretEnv, not both' })
    if (ep.kind !== 'sms' && ep.url === undefined) problems.push({ path: `endpoints.${i}.url`, message: `a ${ep.kind} endpoint needs its url` })
    if (ep.kind === 'sms' && ep.template === undefined) problems.push({ path: `endpoints.${i}.template`, message: 'an SMS endpoint needs its template code' })
    if (ep.kind === 'sms' && ep.keyId === undefined) problems.push({ path: `endpoints.${i}.keyId`, message: 'an SMS endpoint needs its AccessKey id' })
    if (ep.kind === 'sms' && ep.secret === undefined && ep.secretEnv === undefined) problems.push({ path: `endpoints.${i}`, message: 'an SMS endpoint needs its AccessKey secret: secret or secretEnv' })
  })
  f.organisations.forEach((o, i) => {
    channels(o.channels, `organisations.${i}.channels`)
    if (o.kind === 'maintenance' && o.dutyPhone === undefined) problems.push({ path: `organisations.${i}.dutyPhone`, message: 'a maintenance unit needs its 24-hour duty phone' })
    if (o.kind === 'township' && o.township === undefined) problems.push({ path: `organisations.${i}.township`, message: 'a township office needs its 9-digit township code' })
  })
  f.people.forEach((p, i) => {
    channels(p.channels, `people.${i}.channels`)
    if (p.org !== undefined && !orgs.has(p.org)) problems.push({ path: `people.${i}.org`, message: `unknown organisation "${p.org}"` })
  })
  f.elevators.forEach((e, i) => {
    const path = (k: string) => `elevators.${i}.${k}`
    for (const k of ['maintenance', 'property'] as const) {
      const o = orgs.get(e[k])
      if (!o) problems.push({ path: path(k), message: `unknown organisation "${e[k]}"` })
      else if (k === 'maintenance' && o.kind !== 'maintenance') problems.push({ path: path(k), message: `"${o.id}" is a ${o.kind} organisation, not a maintenance unit` })
    }
    for (const k of ['steward', 'grid', 'rescuer'] as const) {
      const id = e[k]
      if (id !== undefined && !people.has(id)) problems.push({ path: path(k), message: `unknown person "${id}"` })
    }
    if (!e.village.startsWith(e.township)) problems.push({ path: path('village'), message: `village ${e.village} is not in township ${e.township}` })
  })
  if (problems.length) return problems
  const dir = new PartiesDirectory(f)
  f.elevators.forEach((e, i) => {
    const reached = PERSON_ROLES.some((r) => dir.partiesFor(e.elevatorId, r).some((p) => p.channels.length > 0))
    if (!reached) problems.push({ path: `elevators.${i}`, message: `no party of elevator ${e.elevatorId} has a channel: an alarm would reach nobody` })
  })
  return problems
}

/** What a directory can live with but someone should fix: the registry and directory disagree, a township has no officer. */
export function warnings(dir: PartiesDirectory, registry: Registry): Problem[] {
  const out: Problem[] = []
  const f = dir.file
  f.elevators.forEach((e, i) => {
    const r = registry.elevator(e.elevatorId)
    if (!r) { out.push({ path: `elevators.${i}.elevatorId`, message: `elevator ${e.elevatorId} is not in the registry` }); return }
    for (const k of ['township', 'village', 'maintenance', 'property'] as const) {
      if (r[k] !== undefined && r[k] !== e[k]) out.push({ path: `elevators.${i}.${k}`, message: `${e[k]}, but the registry says ${r[k]}` })
    }
  })
  for (const r of registry.elevators) if (!dir.elevator(r.id)) out.push({ path: 'elevators', message: `registry elevator ${r.id} has no parties` })
  for (const t of [...new Set(f.elevators.map((e) => e.township))]) {
    const officer = f.people.some((p) => p.role === 'township' && p.region === t) || f.organisations.some((o) => o.kind === 'township' && o.township === t)
    if (!officer) out.push({ path: 'people', message: `township ${t} has no township officer or office` })
  }
  return out
}

/** `data` is the parsed parties file; a ConfigError naming `file` lists every problem. */
export function parseParties(data: unknown, file = '(parties)', at = ''): PartiesDirectory {
  return new PartiesDirectory(parseSection(PartiesFileSchema, data ?? {}, file, at, crossCheck))
}

export function loadParties(file: string): PartiesDirectory {
  return parseParties(readYamlFile(file), file)
}
