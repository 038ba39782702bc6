// Fault scenarios as data: a YAML file of timed steps, wire faults and the condition expected
// at given times. One TypeBox schema gives the type and the validator; every problem is
// reported as `<file>: <path>: <message>`.
import { fileURLToPath } from 'node:url'
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Ajv, type ErrorObject } from 'ajv'
import { LineCounter, parseDocument } from 'yaml'
import { ALARM_TYPES, ControllerStateSchema, MODES, POWER_STATES, type AlarmType, type ControllerState, type Problem } from '../protocol/index.ts'
import { ConfigError, readConfigText } from '../core/config.ts'
import { defaultCarSpec, specProblems, type CarSpec, type TunableSpec } from './model/index.ts'
import type { WireBehaviour } from './modbus/device.ts'

export const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url))

const oneOf = <T extends string>(values: readonly T[], description: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], description })
const opt = <T extends TSchema>(s: T) => Type.Optional(s)
const strict = { additionalProperties: false } as const

const Landing = Type.Integer({ minimum: 0, maximum: 255, description: 'landing index, 0 = lowest' })
const Direction = oneOf(['up', 'down'] as const, 'travel direction')
const CarModes = MODES.filter((m): m is Exclude<typeof m, 'unknown'> => m !== 'unknown')

const FaultsSchema = Type.Object({
  stuck: opt(Type.Boolean({ description: 'drive fault: emergency stop where the car is' })),
  doorWontClose: opt(Type.Boolean()),
  doorWontOpen: opt(Type.Boolean()),
  doorStuckOpening: opt(Type.Boolean()),
  overspeed: opt(Type.Number({ minimum: 0, maximum: 3, description: 'factor on rated speed while travelling; 0 clears' })),
  overtravelTop: opt(Type.Number({ minimum: 0, maximum: 5, description: 'metres past the top landing; 0 clears' })),
  overtravelBottom: opt(Type.Number({ minimum: 0, maximum: 5, description: 'metres past the lowest landing; 0 clears' })),
  safetyCircuitOpen: opt(Type.Boolean()),
  floorLost: opt(oneOf(['garbage', 'unknown_position', 'jump', 'none'] as const, 'how the lost floor shows; none clears')),
  unintendedMovement: opt(Type.Number({ minimum: -2, maximum: 2, description: 'drift m/s, + up; 0 clears' })),
  doorOpensWhileRunning: opt(Type.Boolean()),
  controllerFault: opt(Type.Integer({ minimum: 0, maximum: 65535, description: 'fault code; 0 clears' })),
  runaway: opt(Type.Boolean()),
  levelCreep: opt(Type.Number({ minimum: 0, maximum: 0.1, description: 'm/s a standing car sinks unseen by the drive, which re-levels it; 0 clears' })),
}, { ...strict, description: 'merged key by key into the faults in force; false, 0 or none clears one' })

const SetSchema = Type.Object({
  // persistent: stay in force until a later step changes them
  mode: opt(oneOf(CarModes, 'service mode')),
  power: opt(oneOf(POWER_STATES, 'supply')),
  faults: opt(FaultsSchema),
  alarmButton: opt(Type.Boolean({ description: 'held until set false' })),
  holdDoor: opt(Type.Boolean({ description: 'door-open button held / doorway blocked until set false' })),
  inspectionMove: opt(oneOf(['up', 'down', 'stop'] as const, 'inspection buttons held')),
  traffic: opt(Type.Number({ minimum: 0, maximum: 1, description: 'seeded passenger traffic intensity; 0 = none' })),
  spec: opt(Type.Object({
    doorOpeningTime: opt(Type.Number({ exclusiveMinimum: 0, maximum: 60 })),
    doorClosingTime: opt(Type.Number({ exclusiveMinimum: 0, maximum: 60 })),
    doorDwell: opt(Type.Number({ minimum: 0, maximum: 600 })),
  }, { ...strict, description: 'door wear or adjustment, kept from then on' })),
  // one-shot: happen once, at this step
  carCalls: opt(Type.Array(Landing, { description: 'car buttons pressed' })),
  hallCalls: opt(Type.Array(Type.Object({ landing: Landing, direction: Direction }, strict), { description: 'hall buttons pressed' })),
  board: opt(Type.Integer({ minimum: 0, maximum: 100, description: 'passengers stepping in' })),
  alight: opt(Type.Integer({ minimum: 0, maximum: 100, description: 'passengers stepping out' })),
}, strict)

const WireSchema = Type.Object({
  mode: oneOf(['ok', 'silent', 'exception', 'slow'] as const, 'how the Modbus unit answers'),
  code: opt(Type.Integer({ minimum: 1, maximum: 255, description: 'exception code, for mode exception' })),
  delayMs: opt(Type.Integer({ minimum: 0, maximum: 600_000, description: 'answer delay, for mode slow' })),
}, strict)

const StepSchema = Type.Object({
  at: Type.Number({ minimum: 0, description: 'seconds from the start' }),
  every: opt(Type.Number({ exclusiveMinimum: 0, description: 'repeat every so many seconds' })),
  until: opt(Type.Number({ minimum: 0, description: 'last repeat no later than this; default the end' })),
  set: opt(SetSchema),
  wire: opt(WireSchema),
}, strict)

const Range = Type.Object({ min: opt(Type.Number()), max: opt(Type.Number()) }, { ...strict, minProperties: 1 })
const matcher = (name: string, s: TSchema) => Type.Union([s, Range, Type.Object({ oneOf: Type.Array(s, { minItems: 1 }) }, strict)], {
  description: `a ${name} value, {min, max} or {oneOf: [values]}`,
})
const StateMatchSchema = Type.Object(
  Object.fromEntries(Object.entries(ControllerStateSchema.properties).map(([k, s]) => [k, opt(matcher(k, s))])),
  strict,
)

const ExpectSchema = Type.Object({
  at: opt(Type.Number({ minimum: 0 })),
  during: opt(Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })], { description: '[from, to] seconds' })),
  state: opt(StateMatchSchema),
  wire: opt(Type.Partial(WireSchema)),
}, strict)

const CarSchema = Type.Partial(Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  landings: Type.Array(Type.Object({ label: Type.String({ minLength: 1, maxLength: 8 }), height: Type.Number() }, strict), { minItems: 2, maxItems: 200 }),
  ratedSpeed: Type.Number({ exclusiveMinimum: 0, maximum: 20 }),
  acceleration: Type.Number({ exclusiveMinimum: 0, maximum: 5 }),
  doorOpeningTime: Type.Number({ exclusiveMinimum: 0 }),
  doorClosingTime: Type.Number({ exclusiveMinimum: 0 }),
  doorDwell: Type.Number({ minimum: 0 }),
  capacity: Type.Integer({ minimum: 1, maximum: 100 }),
  hasOccupancySensor: Type.Boolean(),
  hasLoadSensor: Type.Boolean(),
  mainLanding: Type.Integer({ minimum: 0 }),
  doorZone: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
  relevelThreshold: Type.Number({ exclusiveMinimum: 0 }),
}), strict)

export const ScenarioFileSchema = Type.Object({
  name: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }),
  description: Type.Object({ zh: Type.String({ minLength: 1 }), en: Type.String({ minLength: 1 }) }, strict),
  car: opt(CarSchema),
  seed: opt(Type.Integer({ minimum: 0, maximum: 2 ** 32 - 1, description: 'traffic seed, default 1' })),
  duration: Type.Number({ exclusiveMinimum: 0, maximum: 60 * 86400, description: 'seconds' }),
  steps: Type.Array(StepSchema),
  expect: Type.Array(ExpectSchema),
  alarms: Type.Array(oneOf(ALARM_TYPES, 'catalogue alarm type'), { uniqueItems: true, description: 'alarm types a detector should raise; [] = none' }),
}, { ...strict, $id: 'liftwatch/scenario', title: 'Scenario' })
export type ScenarioFile = Static<typeof ScenarioFileSchema>

export type ScenarioSet = Omit<NonNullable<Static<typeof StepSchema>['set']>, 'spec'> & { spec?: TunableSpec }
export interface ScenarioStep {
  readonly at: number
  readonly set?: ScenarioSet
  readonly wire?: WireBehaviour
}
export interface Range { min?: number; max?: number }
export type StateMatch = { [K in keyof ControllerState]?: ControllerState[K] | Range | { oneOf: ControllerState[K][] } }
export interface Expectation {
  readonly at?: number
  readonly during?: readonly [number, number]
  readonly state?: StateMatch
  readonly wire?: Partial<{ mode: WireBehaviour['mode']; code: number; delayMs: number }>
}
export interface Scenario {
  readonly name: string
  readonly description: { readonly zh: string; readonly en: string }
  readonly car: CarSpec
  readonly seed: number
  readonly duration: number
  /** repeats expanded, sorted by time */
  readonly steps: readonly ScenarioStep[]
  readonly expect: readonly Expectation[]
  readonly alarms: readonly AlarmType[]
}

const SCENARIO_ERROR = { what: 'scenario', code: 'LW_ERR_SCENARIO' } as const

/** A scenario file that cannot be run; problems carry their YAML line. */
export class ScenarioError extends ConfigError {
  constructor(file: string, problems: readonly Problem[]) {
    super(file, problems, SCENARIO_ERROR)
  }
}

const ajv = new Ajv({ allErrors: true, strict: false, verbose: true })
const validateFile = ajv.compile(ScenarioFileSchema)
const MAX_STEPS = 100_000

export function loadScenario(path: string): Scenario {
  return parseScenario(readConfigText(path, SCENARIO_ERROR), path)
}

/** Parses and checks a scenario; throws a ScenarioError listing every problem. */
export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines })
  if (doc.errors.length > 0) {
    const plain = (m: string) => (m.split('\n')[0] ?? m).replace(/ at line \d+, column \d+:?$/, '')
    throw new ScenarioError(file, doc.errors.map((e) => ({ path: '(yaml)', message: `line ${e.linePos?.[0]?.line ?? '?'}: ${plain(e.message)}` })))
  }
  const data: unknown = doc.toJS()
  const lineOf = (path: string): string => {
    const keys = path === '(root)' ? [] : path.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k))
    for (let n = keys.length; n >= 0; n--) {
      const node = doc.getIn(keys.slice(0, n), true) as { range?: [number, number, number] } | undefined
      if (node?.range) return ` (line ${lines.linePos(node.range[0]).line})`
    }
    return ''
  }
  const report = (problems: { path: string; message: string }[]) =>
    new ScenarioError(file, problems.map((p) => ({ path: p.path, message: `${p.message}${lineOf(p.path)}` })))
  if (!validateFile(data)) throw report(schemaProblems(validateFile.errors ?? []))
  const problems = ruleProblems(data)
  if (problems.length > 0) throw report(problems)
  return build(data)
}

function schemaProblems(errors: ErrorObject[]): { path: string; message: string }[] {
  // a union that fails is reported once, by its description, not once per branch
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  const inner = (e: ErrorObject) => unions.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`))
  const seen = new Set<string>()
  const out: { path: string; message: string }[] = []
  for (const e of errors) {
    if (inner(e)) continue
    let path = e.instancePath.slice(1).replace(/\//g, '.')
    let message = e.message ?? 'is invalid'
    if (e.keyword === 'required') [path, message] = [join(path, e.params.missingProperty), 'is required']
    if (e.keyword === 'additionalProperties') [path, message] = [join(path, e.params.additionalProperty), 'unknown property']
    if (e.keyword === 'enum') message = `must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`
    if (e.keyword === 'anyOf') message = `must be ${(e.parentSchema as { description?: string }).description ?? 'one of the allowed forms'}`
    const line = { path: path || '(root)', message }
    const key = `${line.path}\0${line.message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push(line)
  }
  return out
}

const join = (path: string, key: unknown): string => (path ? `${path}.${String(key)}` : String(key))

/** What the schema cannot say: times inside the run, landings that exist, a usable car. */
function ruleProblems(f: ScenarioFile): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = []
  const add = (path: string, message: string) => out.push({ path, message })
  const car = defaultCarSpec(f.car?.id ?? f.name, f.car as Partial<CarSpec> | undefined)
  for (const p of specProblems(car)) add(`car.${p.slice(0, p.indexOf(':'))}`, p.slice(p.indexOf(':') + 2))
  const landings = car.landings.length
  const within = (path: string, t: number) => t > f.duration && add(path, `${t} s is after the end (duration ${f.duration} s)`)
  let expanded = 0
  f.steps.forEach((s, i) => {
    const at = `steps.${i}`
    within(`${at}.at`, s.at)
    if (s.until !== undefined && s.every === undefined) add(`${at}.until`, 'needs every')
    if (s.until !== undefined && s.until < s.at) add(`${at}.until`, 'is before at')
    if (s.every !== undefined) expanded += Math.floor(((s.until ?? f.duration) - s.at) / s.every) + 1
    if (!s.set && !s.wire) add(at, 'needs set or wire')
    s.set?.carCalls?.forEach((l, j) => l >= landings && add(`${at}.set.carCalls.${j}`, `landing ${l} does not exist (0…${landings - 1})`))
    s.set?.hallCalls?.forEach((c, j) => c.landing >= landings && add(`${at}.set.hallCalls.${j}.landing`, `landing ${c.landing} does not exist (0…${landings - 1})`))
    if (s.wire?.mode === 'exception' && s.wire.code === undefined) add(`${at}.wire.code`, 'is required for mode exception')
    if (s.wire?.mode === 'slow' && s.wire.delayMs === undefined) add(`${at}.wire.delayMs`, 'is required for mode slow')
  })
  if (expanded > MAX_STEPS) add('steps', `repeats expand to ${expanded} steps, more than ${MAX_STEPS}`)
  f.expect.forEach((e, i) => {
    const at = `expect.${i}`
    if ((e.at === undefined) === (e.during === undefined)) add(at, 'needs exactly one of at or during')
    if (!e.state && !e.wire) add(at, 'needs state or wire')
    if (e.at !== undefined) within(`${at}.at`, e.at)
    if (e.during) {
      if (e.during[0] > e.during[1]) add(`${at}.during`, 'from is after to')
      within(`${at}.during.1`, e.during[1])
    }
  })
  return out
}

function build(f: ScenarioFile): Scenario {
  const steps: ScenarioStep[] = []
  for (const s of f.steps) {
    const wire = s.wire ? toWire(s.wire) : undefined
    const once = { ...(s.set ? { set: s.set as ScenarioSet } : {}), ...(wire ? { wire } : {}) }
    if (s.every === undefined) steps.push({ at: s.at, ...once })
    // integer multiples, so a long repeat does not drift by summed rounding errors
    else for (let k = 0; s.at + k * s.every <= (s.until ?? f.duration) + 1e-9; k++) steps.push({ at: s.at + k * s.every, ...once })
  }
  steps.sort((a, b) => a.at - b.at)
  return deepFreeze({
    name: f.name,
    description: f.description,
    car: defaultCarSpec(f.car?.id ?? f.name, f.car as Partial<CarSpec> | undefined),
    seed: f.seed ?? 1,
    duration: f.duration,
    steps,
    expect: f.expect as Expectation[],
    alarms: f.alarms,
  })
}

/** Validated data is passed down frozen (docs/architecture.md#conventions, rule 8). */
function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    for (const v of Object.values(o)) deepFreeze(v)
    Object.freeze(o)
  }
  return o
}

function toWire(w: NonNullable<Static<typeof StepSchema>['wire']>): WireBehaviour {
  if (w.mode === 'exception') return { mode: 'exception', code: w.code ?? 4 }
  if (w.mode === 'slow') return { mode: 'slow', delayMs: w.delayMs ?? 0 }
  return { mode: w.mode }
}

export {
  runScenario, checkExpectations, scenarioTick, startScenario,
  type ScenarioFrame, type RunOptions, type ScenarioCursor, type ScenarioTick,
} from './scenario-run.ts'
