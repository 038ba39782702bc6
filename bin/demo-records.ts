// The demo's county records (docs/records.md), written once into its response store before the
// broker opens it, through the real services in virtual time over the past 150 days: drills run
// through the chain, past entrapments handled to the end, grid patrols (one with a failed item),
// hazards in every state (one overdue), residents' reports (one late). The parties directory is
// left out here, so this history tells nobody: the receivers get only what happens live.
import pino from 'pino'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import type { AlarmEvent } from '../protocol/index.ts'
import { defaultPolicy, type Actor } from '../response/index.ts'
import { AlarmStore } from '../broker/alarms/store.ts'
import { openResponseDb } from '../broker/incidents/db.ts'
import { IncidentService } from '../broker/incidents/service.ts'
import { linkKey } from '../broker/incidents/links.ts'
import { Outbox } from '../broker/notify/outbox.ts'
import { PartiesDirectory } from '../broker/parties/directory.ts'
import type { Registry } from '../broker/registry/registry.ts'
import { Complaints } from '../broker/records/complaints.ts'
import { DueDates } from '../broker/records/due.ts'
import { Hazards } from '../broker/records/hazards.ts'
import { Patrols } from '../broker/records/patrols.ts'
import { PublicCodes } from '../broker/records/public-codes.ts'
import { PATROL_ITEMS, type RecordActor, type RecordsDeps } from '../broker/records/types.ts'

const DAY = 86_400_000
const MIN = 60_000

export interface Seeded { drills: number; incidents: number; patrols: number; hazards: number; complaints: number }

/**
 * Writes the history unless the store already holds records (`seeded` null then); `publicCode` is
 * car 1's public page code (made now if new).
 */
export function seedDemoRecords(dir: string, registry: Registry, now = Date.now()): { seeded: Seeded | null; publicCode: string } {
  const db = openResponseDb(`${dir}/response.db`)
  const alarms = new AlarmStore(`${dir}/alarms.db`)
  try {
    const publicCode = new PublicCodes(db).codeFor(registry.elevators[0]!.id)
    const had = (db.prepare('SELECT (SELECT count(*) FROM hazards) + (SELECT count(*) FROM incidents) AS n').get() as { n: number }).n
    if (had > 0) return { seeded: null, publicCode }
    alarms.start()
    const s = new VirtualTimeScheduler(VirtualAction, Infinity)
    s.frame = now - 150 * DAY
    const at = (t: number) => { s.maxFrames = t; s.flush(); s.maxFrames = Infinity; s.frame = Math.max(s.frame, t) }
    const log = pino({ level: 'silent' })
    const outbox = new Outbox(db)
    const incidents = new IncidentService({
      db, registry, parties: () => PartiesDirectory.empty(), policies: { policies: [defaultPolicy()] }, scheduler: s, log, outbox,
      kick: () => undefined, linkBase: 'http://127.0.0.1:8080',
    })
    incidents.start()
    const deps: RecordsDeps = {
      db, registry, parties: () => PartiesDirectory.empty(), scheduler: s, log, outbox, kick: () => undefined,
      linkBase: () => 'http://127.0.0.1:8080', linkKey: linkKey(db), dataDir: dir, alarms, incidents,
      live: () => ({ availability: 'unknown', activeAlarms: [] }),
    }
    const hazards = new Hazards(deps)
    const patrols = new Patrols(deps, hazards)
    const complaints = new Complaints(deps, hazards)
    for (const p of [hazards, patrols, complaints]) p.start()
    const cars = registry.elevators
    const n: Seeded = { drills: 0, incidents: 0, patrols: 0, hazards: 0, complaints: 0 }
    const tech: Actor = { name: '维保技师1', via: 'link', role: 'maintenance' }
    const desk: RecordActor = { name: '96333 值班坐席', via: 'desk', role: 'desk' }
    const grid = (i: number): RecordActor => ({ name: `网格员${(Math.floor(i / 2) % 2) + 1}`, via: 'link', role: 'grid' })

    // drills of the first half of the cars, 20–150 days ago; the other half is due for one
    cars.slice(0, cars.length / 2).forEach((c, i) => {
      at(now - (150 - i * 13) * DAY)
      const r = incidents.drill(c.id, { name: '96333 值班坐席', via: 'desk' })
      if (!r.ok) return
      at(s.now() + 2 * MIN); incidents.act(r.incident.id, { kind: 'responded' }, tech)
      at(s.now() + (9 + i) * MIN); incidents.act(r.incident.id, { kind: 'arrived' }, tech)
      at(s.now() + 4 * MIN); incidents.act(r.incident.id, { kind: 'released', persons: 0, note: '演练完成 drill done' }, tech)
      n.drills++
    })
    // past entrapments, handled to the end: the KPI page has a month to show
    for (let k = 0; k < 12; k++) {
      const c = cars[(k * 3) % cars.length]!
      const t = now - (40 - k * 3) * DAY
      at(t)
      const alarm: AlarmEvent = {
        v: 1, id: `demo-hist-${k}`, key: `${c.id}:entrapment`, type: 'entrapment', code: '11', severity: 'critical', state: 'raised',
        elevatorId: c.id, region: c.region, raisedAt: t - 30_000, detectedAt: t, clearedAt: null, evidence: { history: 'demo' }, drill: false,
      }
      incidents.onAlarm(alarm)
      const open = incidents.list({ open: true, elevatorId: c.id }, { userId: 0, username: 'demo', name: 'demo', role: 'admin', scope: { all: true }, via: 'session' })[0]
      if (!open) continue
      at(t + (1 + (k % 4)) * MIN); incidents.act(open.id, { kind: 'responded' }, tech)
      at(t + (8 + ((k * 5) % 20)) * MIN); incidents.act(open.id, { kind: 'arrived' }, tech)
      at(s.now() + (3 + (k % 5)) * MIN); incidents.act(open.id, { kind: 'released', persons: 1 + (k % 2), cause: k % 3 ? '门系统故障' : '外部因素' }, tech)
      n.incidents++
    }
    // this month's patrols: all but three cars, one failing the doors
    cars.forEach((c, i) => {
      if (i % 7 === 2) return
      at(now - (25 - (i % 20)) * DAY)
      const results = PATROL_ITEMS.map((it) => ({ item: it.id, ok: !(i === 4 && it.id === 'doors'), ...(i === 4 && it.id === 'doors' ? { note: '厅门关门时有撞击声' } : {}) }))
      if (patrols.submit(c.id, results, grid(i)).ok) n.patrols++
    })
    // hazards by hand in each state
    const register = (i: number, days: number, description: string, grade: 'major' | 'general') => {
      at(now - days * DAY)
      const r = hazards.register({ elevatorId: cars[i]!.id, description, grade, foundBy: 'manual', owner: '物业安全管理员' }, desk)
      return r.ok ? r.value.id : undefined
    }
    const closed = register(6, 60, '轿厢照明不足', 'general')
    if (closed) {
      at(now - 55 * DAY); hazards.change(closed, { kind: 'state', state: 'rectifying', measures: '更换照明灯具' }, desk)
      at(now - 50 * DAY); hazards.change(closed, { kind: 'state', state: 'rectified' }, desk)
      at(now - 48 * DAY); hazards.change(closed, { kind: 'state', state: 'closed', checkedBy: '镇安监员' }, desk)
    }
    const rectifying = register(8, 5, '制动器运行异响', 'major')
    if (rectifying) { at(now - 4 * DAY); hazards.change(rectifying, { kind: 'state', state: 'rectifying', measures: '维保单位检修制动器' }, desk) }
    register(12, 20, '底坑积水', 'major') // overdue: 7 days for a major one
    // residents' reports: resolved, acknowledged, and one left unanswered past its 24 h
    const file = (i: number, days: number, category: 'noise' | 'doors' | 'signs', text: string) => {
      at(now - days * DAY)
      const r = complaints.file({ elevatorId: cars[i]!.id, category, text }, { name: '住户', via: 'public' })
      if (r.ok) n.complaints++
      return r.ok ? r.value.id : undefined
    }
    const noise = file(2, 12, 'noise', '电梯运行时有异响')
    if (noise) { at(now - 11 * DAY); complaints.act(noise, { kind: 'acknowledge' }, desk); at(now - 9 * DAY); complaints.act(noise, { kind: 'resolve', resolution: '已调整导靴' }, desk) }
    const doors = file(7, 3, 'doors', '门关得太快，老人进出不便')
    if (doors) { at(now - 3 * DAY + 4 * 3_600_000); complaints.act(doors, { kind: 'acknowledge', note: '已通知维保' }, desk) }
    file(15, 2, 'signs', '轿厢内 96333 标识脱落')
    at(now)
    // inspections due and overdue as of now, told to nobody here: the broker's first check finds them done
    new DueDates(deps, hazards).check()
    n.hazards = (db.prepare('SELECT count(*) AS n FROM hazards').get() as { n: number }).n
    for (const p of [complaints, patrols, hazards]) p.stop()
    incidents.stop()
    return { seeded: n, publicCode }
  } finally {
    alarms.stop()
    db.close()
  }
}
