// Incident events on the live stream: LiveView merges the incident service's changes into live$,
// and each goes only to principals whose scope covers the incident's elevator — in the view, and
// over a real /api/events socket (event name `incident`, an id to resume from, latest per incident).
import { afterEach, describe, expect, it } from 'vitest'
import { Subject } from 'rxjs'
import pino from 'pino'
import type { FastifyInstance } from 'fastify'
import { AlarmStore } from '../../broker/alarms/store.ts'
import { build } from '../../broker/http/app.ts'
import type { LiveEvent } from '../../broker/http/broker-view.ts'
import type { IncidentEvent, IncidentSummary } from '../../broker/incidents/types.ts'
import { LiveView } from '../../broker/live-view.ts'
import { parseRegistry } from '../../broker/registry/registry.ts'
import type { AccountStore } from '../../broker/accounts/store.ts'
import { liveFleet, principal, type LiveFleet } from './http/fixtures.ts'
import { login, testAccounts } from './http/login-fixture.ts'
import { SseClient } from './http/sse-client.ts'

const TOWN_A = '330922100'
const TOWN_B = '330922101'
const E1 = '31103309222018060001'
const registry = parseRegistry({
  elevators: [{ id: E1, registrationCode: E1, rescueCode: '50001', region: '330922', township: TOWN_A, address: '菜园镇测试路 1 号', landings: 6, ratedSpeed: 1, gatewayId: 'gw-1' }],
})

const summary = (over: Partial<IncidentSummary> = {}): IncidentSummary => ({
  id: 'inc-1', elevatorId: E1, state: '01', drill: false, source: 'alarm', alarmType: 'entrapment',
  trappedAt: 1_000, alarmAt: 1_000, nextStep: { id: 'l2', dueAt: 181_000, roles: ['grid', 'township'] },
  region: '330922', township: TOWN_A, village: `${TOWN_A}001`, maintenance: 'm-east', property: 'sunshine-pm',
  address: '菜园镇测试路 1 号', building: '1号楼', rescueCode: '50001', registrationCode: E1, ...over,
})

const cleanup: (() => void | Promise<void>)[] = []
afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f() })

function setup() {
  const store = new AlarmStore(':memory:')
  store.start()
  const view = new LiveView(registry, store, async () => '', () => ({ ok: true, checks: {} }))
  const incidents = new Subject<IncidentEvent>()
  const events: LiveEvent[] = []
  view.live$.subscribe((e) => events.push(e))
  cleanup.push(() => { view.stop(); store.stop() })
  return { view, incidents, events }
}

describe('LiveView incidents', () => {
  it('merges the incident service’s changes into live$, once however often attached, and stops with the view', () => {
    const { view, incidents, events } = setup()
    view.attachIncidents(incidents)
    view.attachIncidents(incidents)
    const s = summary()
    incidents.next({ kind: 'incident', incident: s })
    expect(events).toEqual([{ kind: 'incident', incident: s }])
    view.stop()
    expect(incidents.observed).toBe(false)
  })

  it('passes an incident only to principals whose scope covers its elevator', () => {
    const { view } = setup()
    const e: LiveEvent = { kind: 'incident', incident: summary() }
    const seen = (scope: Parameters<typeof principal>[0]) => view.visibleTo(e, principal(scope)) !== undefined
    expect(seen({ scope: { all: true } })).toBe(true)
    expect(seen({ role: 'desk', scope: { region: '330922' } })).toBe(true)
    expect(seen({ role: 'township', scope: { region: TOWN_A } })).toBe(true)
    expect(seen({ role: 'grid', scope: { region: `${TOWN_A}001` } })).toBe(true)
    expect(seen({ role: 'grid', scope: { region: `${TOWN_A}002` } })).toBe(false)
    expect(seen({ role: 'township', scope: { region: TOWN_B } })).toBe(false)
    expect(seen({ role: 'maintenance', scope: { org: 'm-east' } })).toBe(true)
    expect(seen({ role: 'maintenance', scope: { org: 'm-west' } })).toBe(false)
    expect(seen({ role: 'property', scope: { org: 'sunshine-pm' } })).toBe(true)
    // the summary's own fields decide, not the registry's: an incident of another county is not the desk's
    expect(view.visibleTo({ kind: 'incident', incident: summary({ region: '330921', township: undefined, village: undefined }) },
      principal({ role: 'desk', scope: { region: '330922' } }))).toBeUndefined()
  })
})

describe('/api/events with incidents', () => {
  let app: FastifyInstance
  let fleet: LiveFleet
  let accounts: AccountStore

  async function start() {
    fleet = liveFleet(2)
    accounts = await testAccounts()
    app = build({ view: fleet.view, log: pino({ level: 'silent' }), accounts, uiDir: false })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    cleanup.push(async () => { await app.close(); fleet.stop(); accounts.stop() })
    const incidents = new Subject<IncidentEvent>()
    fleet.view.attachIncidents(incidents)
    const open = async (username: string) => {
      const who = await login(app, username)
      const c = await SseClient.connect(`${base}/api/events`, who.headers())
      cleanup.push(() => c.close())
      await c.next((m) => m.event === 'hello')
      return c
    }
    return { incidents, open, base }
  }

  it('streams `incident` events with an id to the desk, and none of another organisation’s incidents to a property user', async () => {
    const { incidents, open } = await start()
    const desk = await open('desk')
    const property = await open('property')
    incidents.next({ kind: 'incident', incident: summary({ id: 'inc-other', property: 'other-pm' }) })
    incidents.next({ kind: 'incident', incident: summary({ id: 'inc-mine', state: '02', respondedAt: 60_000 }) })
    const mine = await property.next((m) => m.event === 'incident')
    expect(JSON.parse(mine.data)).toEqual({ kind: 'incident', incident: summary({ id: 'inc-mine', state: '02', respondedAt: 60_000 }) })
    expect(mine.id).toMatch(/^[0-9a-z]+:\d+$/)
    await desk.next((m) => m.event === 'incident' && m.data.includes('inc-mine'))
    expect(desk.events('incident').map((m) => (JSON.parse(m.data) as { incident: IncidentSummary }).incident.id)).toEqual(['inc-other', 'inc-mine'])
    expect(property.events('incident')).toHaveLength(1)
  })

  it('replays incident events to a client resuming from its Last-Event-ID', async () => {
    const { incidents, open, base } = await start()
    const desk = await open('desk')
    incidents.next({ kind: 'incident', incident: summary({ id: 'inc-1' }) })
    const first = await desk.next((m) => m.event === 'incident')
    desk.close()
    incidents.next({ kind: 'incident', incident: summary({ id: 'inc-1', state: '04', arrivedAt: 600_000 }) })
    const who = await login(app, 'desk')
    const again = await SseClient.connect(`${base}/api/events`, { ...who.headers(), 'last-event-id': first.id! })
    cleanup.push(() => again.close())
    const replayed = await again.next((m) => m.event === 'incident')
    expect(JSON.parse(replayed.data)).toMatchObject({ incident: { id: 'inc-1', state: '04', arrivedAt: 600_000 } })
  })
})
