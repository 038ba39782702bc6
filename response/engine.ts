// The policy engine for one incident: (incident, event, now) → (incident, commands, next wake-up).
// Pure: time comes as `now`, the caller schedules the `wake` event at `wakeAt` (docs/domain.md#response-chain).
import type { Policy } from './policy.ts'
import { resolvePolicy } from './policy.ts'
import {
  isClosed, SYSTEM, type Action, type Actor, type AlarmFacts, type Command, type DeskCall, type ElevatorFacts,
  type Incident, type PartyRole, type ResponseEvent, type StepResult, type TimelineEntry,
} from './types.ts'

/** An entrapment or another critical alarm of one elevator opens an incident (a gateway-wide alarm does not). */
export function opensIncident(alarm: AlarmFacts): boolean {
  return alarm.scope !== 'gateway' && (alarm.type === 'entrapment' || alarm.severity === 'critical')
}

/**
 * One open incident per elevator: a raised alarm of an elevator with an open incident joins it
 * (any alarm type, so the desk sees everything the car reports), otherwise it may open one. A drill
 * and a real incident never join: a real entrapment during a drill gets its own incident.
 */
export function route(open: Incident | undefined, alarm: AlarmFacts): 'join' | 'open' | 'ignore' {
  if (open && !isClosed(open.state) && open.drill === alarm.drill) return 'join'
  return opensIncident(alarm) ? 'open' : 'ignore'
}

/** A desk call joins the elevator's open incident of the same kind (drill or not), otherwise opens one. */
export function routeCall(open: Incident | undefined, call: DeskCall): 'join' | 'open' {
  return open && !isClosed(open.state) && open.drill === call.drill ? 'join' : 'open'
}

export interface Opening {
  readonly id: string
  readonly elevator: ElevatorFacts
  readonly policy: Policy
  readonly now: number
}

function blank(o: Opening, source: 'alarm' | 'desk', drill: boolean, trappedAt: number, alarmAt: number, actor: Actor): Incident {
  const r = resolvePolicy(o.policy, o.elevator.township)
  return {
    id: o.id, elevator: o.elevator, source, drill, state: '01', alarmIds: [], trappedAt, alarmAt,
    policy: o.policy.name, arrivalLimitMs: r.arrivalLimitMs, responseLimitMs: r.responseLimitMs, reminderEveryMs: r.reminderEveryMs,
    plan: r.steps.map((s) => ({ ...s, dueAt: alarmAt + s.afterMs, fired: false })),
    told: {}, acted: [], notes: [], dispatched: [], notifications: 0,
    timeline: [{ at: o.now, actor, kind: 'opened', source, policy: o.policy.name, arrivalLimitMs: r.arrivalLimitMs }],
  }
}

export function openForAlarm(o: Opening, alarm: AlarmFacts): StepResult {
  // docs/domain.md#kpis: the alarm time is when the broker raised it, the entrapment began at raisedAt
  const alarmAt = alarm.detectedAt ?? alarm.raisedAt
  const inc = blank(o, 'alarm', alarm.drill, alarm.raisedAt, alarmAt, SYSTEM)
  const withAlarm: Incident = {
    ...inc, alarmType: alarm.type, alarmIds: [alarm.id],
    timeline: [...inc.timeline, { at: o.now, actor: SYSTEM, kind: 'alarm', alarmId: alarm.id, type: alarm.type, state: 'raised', joined: false }],
  }
  return advance(withAlarm, o.now, [])
}

/** The desk opens an incident for a phone call; the caller has found the elevator by its code. */
export function openForDeskCall(o: Opening, call: DeskCall, actor: Actor): StepResult {
  const inc = blank(o, 'desk', call.drill, o.now, o.now, actor)
  return advance({ ...inc, notes: [callNote(call)], timeline: [...inc.timeline, callEntry(call, actor, o.now)] }, o.now, [])
}

const callNote = (c: DeskCall): string =>
  `${c.foundBy === 'rescueCode' ? '救援识别码' : '注册代码'} ${c.code}${c.caller ? ` · ${c.caller}` : ''}${c.note ? ` · ${c.note}` : ''}`
const callEntry = (c: DeskCall, actor: Actor, at: number): TimelineEntry => ({
  at, actor, kind: 'desk_call', foundBy: c.foundBy, code: c.code, ...(c.caller ? { caller: c.caller } : {}), ...(c.note ? { note: c.note } : {}),
})

export function step(inc: Incident, ev: ResponseEvent, now: number): StepResult {
  switch (ev.kind) {
    case 'alarm_raised': {
      const fresh = !inc.alarmIds.includes(ev.alarm.id)
      const e: TimelineEntry = { at: now, actor: SYSTEM, kind: 'alarm', alarmId: ev.alarm.id, type: ev.alarm.type, state: 'raised', joined: true }
      return advance(fresh ? { ...inc, alarmIds: [...inc.alarmIds, ev.alarm.id], timeline: [...inc.timeline, e] } : inc, now, [])
    }
    case 'alarm_cleared':
      return advance(log(inc, { at: now, actor: SYSTEM, kind: 'alarm', alarmId: ev.alarm.id, type: ev.alarm.type, state: 'cleared', joined: inc.alarmIds.includes(ev.alarm.id) }), now, [])
    case 'desk_call':
      return advance({ ...log(inc, callEntry(ev.call, ev.actor, now)), notes: [...inc.notes, callNote(ev.call)] }, now, [])
    case 'delivery':
      return advance(log(inc, { at: now, actor: SYSTEM, kind: 'delivery', notificationId: ev.notificationId, ok: ev.ok, attempt: ev.attempt, detail: ev.detail }), now, [])
    case 'action':
      return act(inc, ev.action, ev.actor, now)
    case 'wake':
      return advance(inc, now, [])
  }
}

const log = (inc: Incident, e: TimelineEntry): Incident => ({ ...inc, timeline: [...inc.timeline, e] })

function act(inc: Incident, a: Action, actor: Actor, now: number): StepResult {
  const reject = (reason: string): StepResult => advance(log(inc, { at: now, actor, kind: 'rejected', action: a, reason }), now, [])
  if (isClosed(inc.state) && a.kind !== 'note') return reject(`incident is closed (${inc.state})`)
  const acted = actor.role && !inc.acted.includes(actor.role) ? [...inc.acted, actor.role] : inc.acted
  let next: Incident = { ...inc, acted }
  const commands: Command[] = []
  switch (a.kind) {
    case 'responded':
      if (inc.state === '01') next = { ...next, state: '02', respondedAt: now }
      break
    case 'arrived':
      if (inc.state === '04') return reject('already arrived')
      next = { ...next, state: '04', respondedAt: inc.respondedAt ?? now, arrivedAt: now }
      break
    case 'released':
      if (a.persons < 0 || !Number.isInteger(a.persons)) return reject('persons must be a whole number ≥ 0')
      next = {
        ...next, state: '00', respondedAt: inc.respondedAt ?? now, releasedAt: now, closedAt: now, personsReleased: a.persons,
        ...(a.cause !== undefined ? { cause: a.cause } : {}), notes: a.note ? [...inc.notes, a.note] : inc.notes,
      }
      commands.push({ kind: 'close', incidentId: inc.id, state: '00', drill: inc.drill })
      break
    case 'false_alarm':
      next = { ...next, state: '05', closedAt: now, notes: a.note ? [...inc.notes, a.note] : inc.notes }
      commands.push({ kind: 'close', incidentId: inc.id, state: '05', drill: inc.drill })
      break
    case 'note':
      next = { ...next, notes: [...inc.notes, a.text] }
      break
    case 'dispatch':
      next = { ...next, dispatched: [...inc.dispatched, a.org] }
      break
  }
  next = log(next, { at: now, actor, kind: 'action', action: a, state: next.state })
  return advance(next, now, commands)
}

const reached = (inc: Incident, c: 'responded' | 'arrived'): boolean =>
  c === 'responded' ? inc.respondedAt !== undefined : inc.arrivedAt !== undefined

/** Fires every step and reminder due by `now`, then says when the next one is due. */
function advance(start: Incident, now: number, commands: Command[]): StepResult {
  let inc = start
  if (isClosed(inc.state)) return { state: inc, commands, wakeAt: null }
  const notify = (stepId: string, role: PartyRole, reminder: boolean): void => {
    const notificationId = `${inc.id}:${inc.notifications + 1}`
    commands.push({ kind: 'notify', incidentId: inc.id, notificationId, step: stepId, role, reminder, drill: inc.drill })
    inc = log({ ...inc, notifications: inc.notifications + 1, told: { ...inc.told, [role]: now } }, { at: now, actor: SYSTEM, kind: 'notify', notificationId, step: stepId, role, reminder })
  }
  // reminders first, so a role told by a step below is not reminded in the same instant
  if (inc.state === '01' && inc.reminderEveryMs > 0) {
    for (const [role, last] of Object.entries(inc.told) as [PartyRole, number][]) {
      if (!inc.acted.includes(role) && now >= last + inc.reminderEveryMs) notify('reminder', role, true)
    }
  }
  const toldNow = new Set<PartyRole>()
  const plan = inc.plan.map((s) => {
    if (s.fired || s.dueAt > now) return s
    if (s.unless && reached(inc, s.unless)) {
      inc = log(inc, { at: now, actor: SYSTEM, kind: 'step_skipped', step: s.id, because: s.unless })
    } else {
      // a later step tells a role again (the desk at level 3 has to call 110); two steps due at once tell it once
      for (const role of s.roles) if (!toldNow.has(role)) { toldNow.add(role); notify(s.id, role, false) }
      if (s.dispatch) {
        commands.push({ kind: 'suggest_dispatch', incidentId: inc.id, step: s.id, drill: inc.drill })
        inc = log(inc, { at: now, actor: SYSTEM, kind: 'dispatch_suggested', step: s.id })
      }
    }
    return { ...s, fired: true }
  })
  inc = { ...inc, plan }
  return { state: inc, commands, wakeAt: nextWake(inc) }
}

function nextWake(inc: Incident): number | null {
  const due = inc.plan.filter((s) => !s.fired).map((s) => s.dueAt)
  if (inc.state === '01' && inc.reminderEveryMs > 0) {
    for (const [role, last] of Object.entries(inc.told) as [PartyRole, number][]) {
      if (!inc.acted.includes(role)) due.push(last + inc.reminderEveryMs)
    }
  }
  return due.length ? Math.min(...due) : null
}
