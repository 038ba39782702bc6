// The commissioning steps: what the installer does, and which signal change proves the mapping.
// A floor step passes when the car has arrived (stopped there, when `moving` is mapped): passing
// the landing on the way proves the floor signal but not the run signal.
// Works on decoded telemetry fields (liftwatch-ref and other controller profiles) and on the raw
// retrofit inputs of io-retrofit (doorClosed, doorOpenLimit, inspection, position + landings).
import type { PointValue } from '../../protocol/index.ts'
import type { Text } from './i18n.ts'

export const STEP_IDS = ['top', 'bottom', 'doorZone', 'doorOpen', 'doorClose', 'presence', 'alarm', 'inspection', 'safetyChain', 'normal'] as const
export type StepId = (typeof STEP_IDS)[number]

export type Values = Readonly<Record<string, PointValue>>

export interface StepContext {
  /** highest landing index, when known from configuration */
  readonly topIndex?: number
  /** landing heights (m) from the elevator's configuration, for profiles without a floor signal */
  readonly landingHeights?: readonly number[]
  /** metres from a landing's height that count as "at the landing" */
  readonly tolerance: number
}

/** What a sample says in the terms of the checklist; undefined = this profile/sample cannot tell. */
export interface Facts {
  readonly floorIndex?: number
  readonly topIndex?: number
  readonly moving?: boolean
  readonly doorOpen?: boolean
  readonly doorClosed?: boolean
  readonly alarm?: boolean
  readonly inspection?: boolean
  readonly normal?: boolean
  readonly doorZone?: boolean
  /** presence sensor; undefined when not fitted (null) */
  readonly occupied?: boolean
  readonly chainClosed?: boolean
}

const bool = (v: PointValue | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined)
const num = (v: PointValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined)
const str = (v: PointValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined)

function landingAt(heights: readonly number[], position: number, tolerance: number): number | undefined {
  let best: number | undefined
  heights.forEach((h, i) => {
    if (Math.abs(position - h) <= tolerance && (best === undefined || Math.abs(position - h) < Math.abs(position - heights[best]!))) best = i
  })
  return best
}

export function factsOf(v: Values, ctx: StepContext): Facts {
  const position = num(v.position)
  const floorIndex = num(v.floorIndex) ??
    (position !== undefined && ctx.landingHeights ? landingAt(ctx.landingHeights, position, ctx.tolerance) : undefined)
  const landings = num(v.landings)
  const topIndex = ctx.topIndex ?? (landings !== undefined && landings >= 2 ? landings - 1 : undefined) ??
    (ctx.landingHeights ? ctx.landingHeights.length - 1 : undefined)
  const door = str(v.door)
  const mode = str(v.mode)
  const openLimit = bool(v.doorOpenLimit)
  const closedContact = bool(v.doorClosed)
  const inspection = bool(v.inspection)
  return {
    floorIndex, topIndex, moving: bool(v.moving),
    doorOpen: door !== undefined ? door === 'open' : openLimit ?? (closedContact === undefined ? undefined : !closedContact),
    doorClosed: door !== undefined ? door === 'closed' : closedContact,
    alarm: bool(v.alarmButton),
    inspection: mode !== undefined ? mode === 'inspection' : inspection,
    normal: mode !== undefined ? mode === 'normal' : inspection === undefined ? undefined : !inspection,
    doorZone: bool(v.doorZone), occupied: bool(v.occupied), chainClosed: bool(v.safetyCircuit),
  }
}

// Storeys are 2…20 m: a position outside that range per landing is a misread (a wrong word order
// turns 45 m into 2.4e-41 or into kilometres), not a building.
const STOREY_MIN_M = 1.5
const STOREY_MAX_M = 20
const metres = (x: number): string => (Math.abs(x) >= 0.001 && Math.abs(x) < 1e6 ? x.toFixed(3) : x.toPrecision(3))

/** At a landing the car has reached, its position must be that landing's height. */
function positionAt(landing: 'top' | 'bottom') {
  return (v: Values, f: Facts, ctx: StepContext): string | undefined => {
    const position = num(v.position)
    const index = landing === 'bottom' ? 0 : f.floorIndex
    if (position === undefined || index === undefined) return undefined
    const where = `position ${metres(position)} m at landing ${index}`
    const height = ctx.landingHeights?.[index]
    if (height !== undefined) {
      return Math.abs(position - height) <= ctx.tolerance ? undefined
        : `${where}, but its height is ${metres(height)} m (± ${ctx.tolerance}): check the position's order, type, scale and offset`
    }
    if (index === 0) {
      return Math.abs(position) <= ctx.tolerance ? undefined : `${where}, the lowest, where it must read 0 (± ${ctx.tolerance}): check the position's offset, order and type`
    }
    const lo = STOREY_MIN_M * index, hi = STOREY_MAX_M * index
    return position >= lo && position <= hi ? undefined
      : `${where}, outside ${lo}…${hi} m for ${index} storeys above the lowest: check the position's order, type and scale (no landing heights configured to compare with)`
  }
}

/** A door cannot be closed and fully open at once: one contact is bridged, stuck or miswired. */
function contactsAgree(v: Values): string | undefined {
  return v.doorClosed === true && v.doorOpenLimit === true
    ? 'doorClosed and doorOpenLimit are both true: one contact is bridged, stuck or wired to the wrong input' : undefined
}

/** Per-step memory the machine keeps for conditions that depend on where the step began. */
export interface StepMemory { readonly startFloor?: number; readonly maxFloor?: number }

export interface StepDef {
  readonly id: StepId
  readonly title: Text
  readonly instruction: Text
  /** fields shown live and recorded in the report, when the profile has them */
  readonly fields: readonly string[]
  /** can this profile (point names) and configuration prove the step at all */
  readonly possible: (points: ReadonlySet<string>, ctx: StepContext) => boolean
  /** does the sample show the target state; undefined = cannot tell from this sample */
  readonly holds: (f: Facts, mem: StepMemory) => boolean | undefined
  /** the target in field terms, for the screen: "floorIndex → 12, moving → false" */
  readonly target: (points: ReadonlySet<string>, f: Facts) => string
  /** when the target shows: what else must agree with it; a text fails the step with that detail */
  readonly verify?: (v: Values, f: Facts, ctx: StepContext) => string | undefined
}

const has = (points: ReadonlySet<string>, ...names: string[]) => names.some((n) => points.has(n))
const floorKnown = (points: ReadonlySet<string>, ctx: StepContext) => points.has('floorIndex') || (points.has('position') && !!ctx.landingHeights)
const FLOOR_FIELDS = ['floor', 'floorIndex', 'position', 'landings', 'moving', 'direction', 'runUp', 'runDown', 'doorZone']
const DOOR_FIELDS = ['door', 'doorClosed', 'doorOpenLimit', 'doorZone']
const MODE_FIELDS = ['mode', 'inspection']
const ZONE_FIELDS = ['doorZone', 'moving', 'floor', 'floorIndex', 'position']
const stopped = (p: ReadonlySet<string>) => (p.has('moving') ? ', moving → false' : '')
const floorTarget = (p: ReadonlySet<string>, index: string) => `${p.has('floorIndex') ? 'floorIndex' : 'position'} → landing ${index}${stopped(p)}`
const pick = (p: ReadonlySet<string>, options: [string, string][]) => options.find(([name]) => p.has(name))?.[1] ?? ''

export const STEPS: Readonly<Record<StepId, StepDef>> = {
  top: {
    id: 'top',
    title: { zh: '将轿厢开到最高层站', en: 'Send the car to the top landing' },
    instruction: { zh: '登记最高层的召唤（轿内或层站），等待轿厢到达。', en: 'Register a call to the top landing (car or hall) and wait for the car.' },
    fields: FLOOR_FIELDS,
    possible: floorKnown,
    target: (p, f) => floorTarget(p, f.topIndex === undefined ? '(highest seen)' : String(f.topIndex)),
    holds: (f, mem) => {
      if (f.floorIndex === undefined) return undefined
      if (f.topIndex !== undefined) return f.floorIndex >= f.topIndex && f.moving !== true
      // no landing count anywhere: the car at rest above where the step began, as high as ever seen
      return f.moving === false && mem.startFloor !== undefined && f.floorIndex > mem.startFloor && f.floorIndex >= (mem.maxFloor ?? 0)
    },
    verify: positionAt('top'),
  },
  bottom: {
    id: 'bottom',
    title: { zh: '将轿厢开到最低层站', en: 'Send the car to the bottom landing' },
    instruction: { zh: '登记最低层的召唤，等待轿厢到达。', en: 'Register a call to the lowest landing and wait for the car.' },
    fields: FLOOR_FIELDS,
    possible: floorKnown,
    target: (p) => floorTarget(p, '0'),
    holds: (f) => (f.floorIndex === undefined ? undefined : f.floorIndex === 0 && f.moving !== true),
    verify: positionAt('bottom'),
  },
  doorZone: {
    id: 'doorZone',
    title: { zh: '门区信号', en: 'Door zone signal' },
    instruction: {
      zh: '让轿厢离开平层位置（召唤到其他层，或检修点动），再回到平层：离开时门区信号应消失，平层后应出现。',
      en: 'Move the car away from the level position (a call to another floor, or inch it in inspection) and back: the door zone must go off while away and on once level.',
    },
    fields: ZONE_FIELDS,
    possible: (p) => p.has('doorZone'),
    target: () => 'doorZone → false, then true',
    // the signal itself must be seen off: a car that merely moves proves nothing of a stuck input
    holds: (f) => f.doorZone,
  },
  doorOpen: {
    id: 'doorOpen',
    title: { zh: '开门', en: 'Open the door' },
    instruction: { zh: '在停靠层按开门按钮或本层召唤，观察门完全打开。', en: 'Press door-open (or the hall button at this landing) and watch the door open fully.' },
    fields: DOOR_FIELDS,
    possible: (p) => has(p, 'door', 'doorOpenLimit', 'doorClosed'),
    target: (p) => pick(p, [['door', 'door → open'], ['doorOpenLimit', 'doorOpenLimit → true'], ['doorClosed', 'doorClosed → false']]),
    holds: (f) => f.doorOpen,
    verify: contactsAgree,
  },
  doorClose: {
    id: 'doorClose',
    title: { zh: '关门', en: 'Close the door' },
    instruction: { zh: '按关门按钮或等待门自动关闭。', en: 'Press door-close or wait for the door to close by itself.' },
    fields: DOOR_FIELDS,
    possible: (p) => has(p, 'door', 'doorClosed'),
    target: (p) => pick(p, [['door', 'door → closed'], ['doorClosed', 'doorClosed → true']]),
    holds: (f) => f.doorClosed,
    verify: contactsAgree,
  },
  presence: {
    id: 'presence',
    title: { zh: '轿内人体感应', en: 'Presence sensor in the car' },
    instruction: {
      zh: '门开着，走进轿厢并静止站立几秒：人体感应应检测到有人。（已显示有人时，先离开轿厢再进入。）',
      en: 'With the door open, step into the car and stand still for a few seconds: the presence sensor must see you. (Already showing someone? Step out first, then in.)',
    },
    fields: ['occupied', 'door'],
    possible: (p) => p.has('occupied'),
    target: () => 'occupied → true',
    holds: (f) => f.occupied,
  },
  alarm: {
    id: 'alarm',
    title: { zh: '按下轿内报警按钮', en: 'Press the in-car alarm button' },
    instruction: {
      zh: '先告知监控中心这是调试测试，再按住报警按钮约 3 秒后松开。',
      en: 'Tell the monitoring centre this is a commissioning test first, then hold the alarm button for about 3 s.',
    },
    fields: ['alarmButton'],
    possible: (p) => p.has('alarmButton'),
    target: () => 'alarmButton → true',
    holds: (f) => f.alarm,
  },
  inspection: {
    id: 'inspection',
    title: { zh: '切换到检修', en: 'Switch to inspection' },
    instruction: { zh: '将轿顶或控制柜的检修开关拨到“检修”。', en: 'Turn the inspection switch (car top or controller) to INSPECTION.' },
    fields: MODE_FIELDS,
    possible: (p) => has(p, 'mode', 'inspection'),
    target: (p) => pick(p, [['mode', 'mode → inspection'], ['inspection', 'inspection → true']]),
    holds: (f) => f.inspection,
  },
  safetyChain: {
    id: 'safetyChain',
    title: { zh: '断开安全回路', en: 'Open the safety chain' },
    instruction: {
      zh: '在检修状态下按下轿顶（或底坑）急停开关：安全回路应断开。确认后复位急停开关。',
      en: 'In inspection, press the car-top (or pit) STOP switch: the safety chain must open. Reset the STOP switch afterwards.',
    },
    fields: ['safetyCircuit', 'mode', 'inspection'],
    possible: (p) => p.has('safetyCircuit'),
    target: () => 'safetyCircuit → false',
    holds: (f) => (f.chainClosed === undefined ? undefined : !f.chainClosed),
  },
  normal: {
    id: 'normal',
    title: { zh: '恢复正常', en: 'Back to normal' },
    instruction: { zh: '将检修开关拨回“正常”。', en: 'Turn the inspection switch back to NORMAL.' },
    fields: MODE_FIELDS,
    possible: (p) => has(p, 'mode', 'inspection'),
    target: (p) => pick(p, [['mode', 'mode → normal'], ['inspection', 'inspection → false']]),
    holds: (f) => f.normal,
  },
}

export function parseSteps(list: string): StepId[] | { unknown: string[] } {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean)
  const unknown = ids.filter((id) => !(STEP_IDS as readonly string[]).includes(id))
  return unknown.length ? { unknown } : (ids as StepId[])
}
