// The monthly report at county scale (broker/records/report.ts): 10,000 elevators in 20 townships
// and a year of records — entrapments made by the response engine itself (opened, responded,
// arrived, released: realistic incidents with their timelines), alarms in the real alarm store,
// hazards, patrols and residents' reports in the response store — then the time to build one
// month's report and the whole year's for the county, with the process's peak RSS.
//   node bin/run-ts.js bench/report.ts   → JSON on stdout
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import pino from 'pino'
import { VirtualAction, VirtualTimeScheduler } from 'rxjs'
import { AlarmStore } from '../broker/alarms/store.ts'
import type { Principal } from '../broker/accounts/scope.ts'
import { openResponseDb } from '../broker/incidents/db.ts'
import { IncidentService } from '../broker/incidents/service.ts'
import { IncidentStore } from '../broker/incidents/store.ts'
import { Outbox } from '../broker/notify/outbox.ts'
import { parseParties } from '../broker/parties/directory.ts'
import { periodReport } from '../broker/records/report.ts'
import { parseRegistry } from '../broker/registry/registry.ts'
import { DEFAULT_POLICY, openForAlarm, step } from '../response/index.ts'

export interface ReportBenchOptions { elevators?: number; townships?: number; incidentsPerCar?: number; alarmsPerCar?: number }

const DAY = 86_400_000
const YEAR_FROM = Date.UTC(2025, 11, 31, 16) // 2026-01-01 00:00 CST
const ADMIN: Principal = { userId: 0, username: 'bench', name: 'bench', role: 'admin', scope: { all: true }, via: 'token' }
const FAULTS = ['door_close_fault', 'door_open_fault', 'stop_outside_door_zone', 'floor_lost', 'power_failure', 'door_open_too_long'] as const

const rssMb = () => Math.round(process.memoryUsage().rss / 1048576)
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024)

export async function benchReport(o: ReportBenchOptions = {}): Promise<Record<string, unknown>> {
  const n = o.elevators ?? 10_000
  const towns = o.townships ?? 20
  const dir = mkdtempSync(join(tmpdir(), 'lw-bench-report-'))
  let seed = 42
  const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)
  try {
    const ids = Array.from({ length: n }, (_, i) => `3110330922${String(2000 + (i % 25)).padStart(4, '0')}${String(1 + (i % 12)).padStart(2, '0')}${String(i).padStart(4, '0')}`)
    const registry = parseRegistry({
      elevators: ids.map((id, i) => {
        const t = `330922${String(100 + (i % towns)).padStart(3, '0')}`
        return {
          id, registrationCode: id, rescueCode: String(100_000 + i), region: '330922', address: `测试路 ${i} 号`, landings: 12, ratedSpeed: 1, gatewayId: `gw-${Math.floor(i / 20)}`,
          township: t, village: `${t}${String(1 + (i % 7)).padStart(3, '0')}`, maintenance: `m-${i % 30}`, property: `p-${i % 200}`,
        }
      }),
    })
    const db = openResponseDb(join(dir, 'response.db'))
    const alarms = new AlarmStore(join(dir, 'alarms.db'))
    alarms.start()
    const made = Date.now()
    const store = new IncidentStore(db)
    let incidents = 0
    let alarmRows = 0
    const actor = { name: '王师傅', via: 'link' as const, role: 'maintenance' as const }
    db.transaction(() => {
      ids.forEach((id, i) => {
        const e = registry.elevator(id)!
        const k = Math.floor((o.incidentsPerCar ?? 1.2) + rnd())
        for (let j = 0; j < k; j++) {
          const at = YEAR_FROM + Math.floor(rnd() * 365 * DAY)
          const facts = { elevatorId: id, region: e.region, township: e.township!, maintenance: e.maintenance!, property: e.property! }
          let s = openForAlarm({ id: `inc-${i}-${j}`, elevator: facts, policy: DEFAULT_POLICY, now: at },
            { id: `a-${i}-${j}`, type: 'entrapment', severity: 'critical', elevatorId: id, raisedAt: at, detectedAt: at, drill: rnd() < 0.1 }).state
          const resp = at + Math.floor(60_000 + rnd() * 300_000)
          const arr = resp + Math.floor(600_000 + rnd() * 2_400_000)
          s = step(s, { kind: 'action', action: { kind: 'responded' }, actor }, resp).state
          s = step(s, { kind: 'action', action: { kind: 'arrived' }, actor }, arr).state
          s = step(s, { kind: 'action', action: { kind: 'released', persons: 1 }, actor }, arr + 600_000).state
          store.save(s, null)
          incidents++
        }
      })
    })()
    // alarms written in one transaction on the store's own file (record() syncs each row), then the store reopened on it
    const perCar = o.alarmsPerCar ?? 10
    alarms.stop()
    const adb = new Database(join(dir, 'alarms.db'))
    const ins = adb.prepare(`INSERT INTO alarms (id, key, type, code, severity, state, elevator_id, region, raised_at, cleared_at, evidence, drill)
      VALUES (?, ?, ?, NULL, ?, 'cleared', ?, '330922', ?, ?, '{}', 0)`)
    adb.transaction(() => {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < perCar; j++) {
          const at = YEAR_FROM + Math.floor(rnd() * 365 * DAY)
          const type = j === 0 ? 'entrapment' : FAULTS[j % FAULTS.length]!
          ins.run(`al-${i}-${j}`, `${ids[i]}:${type}:${j}`, type, type === 'entrapment' ? 'critical' : 'major', ids[i]!, at, at + 60_000)
          alarmRows++
        }
      }
    })()
    adb.close()
    alarms.start()
    const hz = db.prepare(`INSERT INTO hazards (id, number, elevator_id, region, township, state, grade, found_by, found_at, deadline, closed_at, data)
      VALUES (?, ?, ?, '330922', ?, ?, ?, 'monitoring', ?, ?, ?, ?)`)
    const pt = db.prepare('INSERT INTO patrols (id, elevator_id, village, township, at, data) VALUES (?, ?, ?, ?, ?, ?)')
    const cp = db.prepare(`INSERT INTO complaints (id, elevator_id, township, village, state, created_at, ack_due_at, resolve_due_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    let hazards = 0
    let patrols = 0
    let complaints = 0
    db.transaction(() => {
      ids.forEach((id, i) => {
        const e = registry.elevator(id)!
        if (i % 5 === 0) {
          const at = YEAR_FROM + Math.floor(rnd() * 365 * DAY)
          const closed = rnd() < 0.7 ? at + Math.floor(rnd() * 20 * DAY) : null
          hz.run(`hz-${i}`, `330922-2026-${i}`, id, e.township!, closed ? 'closed' : 'open', i % 10 === 0 ? 'major' : 'general', at, at + 7 * DAY, closed, JSON.stringify({ id: `hz-${i}`, doneAt: closed ?? undefined }))
          hazards++
        }
        for (let m = 0; m < 12; m++) {
          const at = YEAR_FROM + m * 30 * DAY + Math.floor(rnd() * 25 * DAY)
          pt.run(`pt-${i}-${m}`, id, e.village!, e.township!, at, JSON.stringify({ id: `pt-${i}-${m}`, elevatorId: id, at, results: [], hazardIds: [] }))
          patrols++
        }
        if (i % 3 === 0) {
          const at = YEAR_FROM + Math.floor(rnd() * 365 * DAY)
          cp.run(`cp-${i}`, id, e.township!, e.village!, 'resolved', at, at + DAY, at + 7 * DAY,
            JSON.stringify({ id: `cp-${i}`, ackAt: at + Math.floor(rnd() * 2 * DAY), resolvedAt: at + Math.floor(rnd() * 10 * DAY) }))
          complaints++
        }
      })
    })()
    const generateSeconds = (Date.now() - made) / 1000

    // the service's clock stands after the year; kpis() reads no timers
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity)
    scheduler.frame = YEAR_FROM + 366 * DAY
    const directory = parseParties({ organisations: [], people: [], endpoints: [], elevators: [] })
    const service = new IncidentService({
      db, registry, parties: () => directory, policies: { policies: [DEFAULT_POLICY] }, scheduler, log: pino({ level: 'silent' }),
      outbox: new Outbox(db), kick: () => undefined, linkBase: 'http://127.0.0.1',
    })
    const sources = {
      registry, db, alarms, principal: ADMIN, now: scheduler.now(),
      kpis: (by: 'township' | 'county', from: number, to: number, region: string) => service.kpis(by, { from, to, region }, ADMIN),
    }
    const run = (period: string) => {
      const before = { rss: rssMb(), maxRss: maxRssMb() }
      const t = process.hrtime.bigint()
      const r = periodReport({ period, region: '330922' }, sources)
      const seconds = Number(process.hrtime.bigint() - t) / 1e9
      return {
        seconds: Math.round(seconds * 1000) / 1000, rssBeforeMb: before.rss, rssAfterMb: rssMb(), peakRssBeforeMb: before.maxRss, peakRssAfterMb: maxRssMb(),
        incidents: r.total.kpi?.incidents ?? 0, alarms: r.total.alarms, patrols: r.total.patrols, townships: r.townships.length,
      }
    }
    const month = run('2026-06')
    const year = run('2026')
    alarms.stop()
    db.close()
    return {
      elevators: n, townships: towns, rows: { incidents, alarms: alarmRows, hazards, patrols, complaints }, generateSeconds,
      month, year, peakRssMb: maxRssMb(),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchReport(), null, 2))
}
