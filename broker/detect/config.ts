// Detector thresholds: each detector's TypeBox `configSchema` gives the defaults (docs/domain.md) and
// the validator. Overrides come for all elevators, then per elevator; every problem is reported
// as `<path>: <message>` and the result is frozen (docs/architecture.md#conventions, rule 8).
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { compile, isElevatorId, type Problem, type Validated } from '../../protocol/index.ts'
import { LIFECYCLE_DEFAULTS, LifecycleConfigSchema, type Detector, type LifecycleConfig } from '../../detectors/index.ts'
import { ConfigError, deepFreeze, under } from '../../core/config.ts'
import { DetectErrorCode } from './errors.ts'

const Overrides = Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), { description: 'detector id → settings' })

const LearnedConfigSchema = Type.Object({
  path: Type.String({ minLength: 1, description: "SQLite file of what the detectors learned (anomaly baselines, last maintenance visits, idle counts), relative to the working directory; ':memory:' keeps nothing" }),
  everyMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 5, description: 'snapshot this often (and at stop): at most this much learning is lost to a crash' })),
  keepDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 90, description: 'an elevator not heard from for this long has its snapshots deleted' })),
}, { additionalProperties: false, description: 'learned state kept across restarts (docs/performance.md#learned-state-across-restarts)' })

export const DetectorsConfigSchema = Type.Object({
  alarms: Type.Optional(LifecycleConfigSchema),
  learned: Type.Optional(LearnedConfigSchema),
  detectors: Type.Optional(Overrides),
  elevators: Type.Optional(Type.Record(Type.String(), Overrides, { description: 'elevatorId → detector id → settings' })),
}, { additionalProperties: false })
export type DetectorsConfig = Static<typeof DetectorsConfigSchema>

export interface ResolvedDetectorsConfig {
  /** the frozen, validated settings of one detector for one elevator */
  configFor(detectorId: string, elevatorId: string): unknown
  /** the alarm lifecycle's holds */
  readonly alarms: LifecycleConfig
  /** where learned state is kept, how often; null = not kept */
  readonly learned: { readonly path: string; readonly everyMs: number; readonly keepMs: number } | null
}

/** Its problems name the file like any configuration's; the code is the detector runtime's own. */
export class DetectorConfigError extends ConfigError {
  constructor(file: string, problems: readonly Problem[]) {
    super(file, problems, { what: 'detector configuration', code: DetectErrorCode.Config })
  }
}

const shape = compile(DetectorsConfigSchema)
const validators = new WeakMap<TSchema, (data: unknown) => Validated<unknown>>()
const validatorOf = (schema: TSchema) => {
  let v = validators.get(schema)
  if (!v) validators.set(schema, (v = compile(schema)))
  return v
}

/** Validates every override against its detector's schema; throws DetectorConfigError listing all problems. */
export function resolveDetectorsConfig(detectors: readonly Detector[], raw: unknown = {}, file = '(detectors config)'): ResolvedDetectorsConfig {
  const shaped = shape(raw ?? {})
  if (!shaped.ok) throw new DetectorConfigError(file, shaped.problems)
  const problems: Problem[] = []
  const byId = new Map<string, Detector>()
  for (const d of detectors) {
    if (byId.has(d.id)) problems.push({ path: '(registry)', message: `two detectors with id "${d.id}"` })
    byId.set(d.id, d)
  }
  const global = shaped.value.detectors ?? {}
  const settle = (d: Detector, data: Record<string, unknown>, path: string): unknown => {
    const v = validatorOf(d.configSchema)(Value.Default(d.configSchema, structuredClone(data)))
    if (v.ok) return deepFreeze(v.value)
    problems.push(...under(path, v.problems))
    return undefined
  }
  const unknownIds = (ids: string[], at: string) => {
    for (const id of ids) if (!byId.has(id)) problems.push({ path: `${at}.${id}`, message: `no detector with this id (known: ${[...byId.keys()].join(', ')})` })
  }
  unknownIds(Object.keys(global), 'detectors')
  const base = new Map<string, unknown>()
  for (const d of byId.values()) base.set(d.id, settle(d, global[d.id] ?? {}, `detectors.${d.id}`))
  const perElevator = new Map<string, Map<string, unknown>>()
  for (const [elevatorId, overrides] of Object.entries(shaped.value.elevators ?? {})) {
    if (!isElevatorId(elevatorId)) problems.push({ path: `elevators.${elevatorId}`, message: 'is not a valid elevatorId' })
    unknownIds(Object.keys(overrides), `elevators.${elevatorId}`)
    const own = new Map<string, unknown>()
    for (const [id, data] of Object.entries(overrides)) {
      const d = byId.get(id)
      // per elevator on top of the global overrides, key by key
      if (d) own.set(id, settle(d, { ...global[id], ...data }, `elevators.${elevatorId}.${id}`))
    }
    perElevator.set(elevatorId, own)
  }
  if (problems.length) throw new DetectorConfigError(file, problems)
  const learned = shaped.value.learned
  return {
    alarms: deepFreeze({ ...LIFECYCLE_DEFAULTS, ...shaped.value.alarms }),
    learned: learned ? deepFreeze({ path: learned.path, everyMs: (learned.everyMinutes ?? 5) * 60_000, keepMs: (learned.keepDays ?? 90) * 86_400_000 }) : null,
    configFor: (detectorId, elevatorId) => perElevator.get(elevatorId)?.get(detectorId) ?? base.get(detectorId),
  }
}
