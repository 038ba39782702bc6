// The elevator registry: which elevators exist, where they are, and which gateway serves each.
// Loaded from a YAML file and validated like any config (docs/architecture.md#conventions, rule 8); frozen once loaded.
import { Type, type Static } from '@sinclair/typebox'
import { ELEVATOR_ID_PATTERN, GATEWAY_ID_PATTERN, REGION_PATTERN, type Problem } from '../../protocol/index.ts'
import { duplicates, parseSection, readYamlFile } from '../../core/config.ts'

const ORG = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
const Label = Type.String({ minLength: 1, maxLength: 8, description: 'floor label as shown in the car ("B1", "1", "12A")' })

export const ElevatorRecordSchema = Type.Object({
  id: Type.String({ pattern: ELEVATOR_ID_PATTERN, description: 'elevatorId, usually the registration code' }),
  // docs/domain.md#identifiers: 4 equipment category + 6 region + 6 year-month + 4 sequence
  registrationCode: Type.String({ pattern: '^[0-9]{20}$', description: '电梯注册代码, 20 digits' }),
  rescueCode: Type.String({ pattern: '^[0-9]{5,6}$', description: '应急救援识别码 shown in the car, 5 or 6 digits' }),
  region: Type.String({ pattern: REGION_PATTERN, description: '6-digit administrative region code' }),
  address: Type.String({ minLength: 1, maxLength: 200 }),
  building: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'building and unit, e.g. "3号楼 2单元"' })),
  landings: Type.Union([
    Type.Integer({ minimum: 2, maximum: 200, description: 'number of landings, labelled "1"…"N"' }),
    Type.Array(Label, { minItems: 2, maxItems: 200, description: 'landing labels, lowest first' }),
  ], { description: 'landing labels, lowest first, or their count' }),
  ratedSpeed: Type.Number({ exclusiveMinimum: 0, maximum: 20, description: 'rated speed, m/s' }),
  travel: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1000, description: 'metres from the lowest to the top landing (runtime limit, overtravel at the top)' })),
  gatewayId: Type.String({ pattern: GATEWAY_ID_PATTERN, description: 'gateway that reports this elevator' }),
  // scope (broker/accounts/scope.ts): who sees the elevator besides the county
  township: Type.Optional(Type.String({ pattern: '^[0-9]{9}$', description: '乡镇/街道 code, 9 digits, starting with region' })),
  village: Type.Optional(Type.String({ pattern: '^[0-9]{12}$', description: '村/社区 code, 12 digits, starting with township' })),
  maintenance: Type.Optional(Type.String({ pattern: ORG, description: 'maintenance unit (维保单位) organisation id' })),
  property: Type.Optional(Type.String({ pattern: ORG, description: 'property manager (物业/使用单位) organisation id' })),
  // records the county keeps (docs/records.md): the periodic inspection and when the car came into use
  nextInspection: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: '下次定期检验日期, YYYY-MM-DD (China Standard Time)' })),
  inServiceSince: Type.Optional(Type.String({ pattern: '^[0-9]{4}(-[0-9]{2}){0,2}$', description: 'in use since (YYYY, YYYY-MM or YYYY-MM-DD); default: the year-month of the registration code' })),
}, { additionalProperties: false })
export type ElevatorRecord = Static<typeof ElevatorRecordSchema>

export const RegistryFileSchema = Type.Object({
  elevators: Type.Array(ElevatorRecordSchema, { description: 'every elevator the broker accepts telemetry for' }),
}, { additionalProperties: false })
export type RegistryFile = Static<typeof RegistryFileSchema>

/** A registry entry with `landings` always as labels, lowest first. */
export interface Elevator extends Omit<ElevatorRecord, 'landings'> {
  readonly landings: readonly string[]
}

export class Registry {
  private state: { elevators: readonly Elevator[]; byId: ReadonlyMap<string, Elevator>; byGw: ReadonlyMap<string, readonly Elevator[]> }

  constructor(elevators: readonly Elevator[]) {
    const byGw = new Map<string, Elevator[]>()
    for (const e of elevators) {
      const list = byGw.get(e.gatewayId)
      if (list) list.push(e)
      else byGw.set(e.gatewayId, [e])
    }
    this.state = { elevators, byId: new Map(elevators.map((e) => [e.id, e])), byGw }
  }

  get elevators(): readonly Elevator[] {
    return this.state.elevators
  }

  /**
   * Takes `next`'s elevators in one assignment: everyone holding this registry (ingest, the ACL, the
   * live view) sees the old list or the new one, never a mix (a reload, broker/app.ts).
   */
  replaceWith(next: Registry): void {
    this.state = next.state
  }

  elevator(id: string): Elevator | undefined {
    return this.state.byId.get(id)
  }

  /** The elevators a gateway serves; empty for a gateway the registry does not know. */
  byGateway(gatewayId: string): readonly Elevator[] {
    return this.state.byGw.get(gatewayId) ?? []
  }

  gatewayIds(): string[] {
    return [...this.state.byGw.keys()]
  }
}

function crossCheck(file: RegistryFile): Problem[] {
  const es = file.elevators
  const at = (k: string) => (i: number) => `elevators.${i}.${k}`
  const problems = [
    ...duplicates(es, (e) => e.id, at('id'), 'elevator id'),
    ...duplicates(es, (e) => e.registrationCode, at('registrationCode'), 'registration code'),
    // the 96333 desk finds the car by the code the caller reads out, so it must be unique
    ...duplicates(es, (e) => e.rescueCode, at('rescueCode'), 'rescue code'),
  ]
  es.forEach((e, i) => {
    if (e.township !== undefined && !e.township.startsWith(e.region)) problems.push({ path: at('township')(i), message: `township ${e.township} is not in region ${e.region}` })
    if (e.village !== undefined && e.township === undefined) problems.push({ path: at('village')(i), message: 'a village needs its township' })
    else if (e.village !== undefined && !e.village.startsWith(e.township!)) problems.push({ path: at('village')(i), message: `village ${e.village} is not in township ${e.township}` })
    if (Array.isArray(e.landings)) problems.push(...duplicates(e.landings, (l) => l, (j) => `elevators.${i}.landings.${j}`, 'landing label'))
  })
  return problems
}

/** `data` is the parsed registry file; `at` is its path when it is a section of a larger file. */
export function parseRegistry(data: unknown, file = '(registry)', at = ''): Registry {
  const parsed = parseSection(RegistryFileSchema, data, file, at, crossCheck)
  return new Registry(Object.freeze(parsed.elevators.map((e) => Object.freeze({
    ...e,
    landings: Object.freeze(typeof e.landings === 'number' ? Array.from({ length: e.landings }, (_, i) => String(i + 1)) : e.landings),
  }))))
}

export function loadRegistry(file: string): Registry {
  return parseRegistry(readYamlFile(file), file)
}
