// Issue 12's drills: `liftwatch drill` (broker/incidents/drill.ts) runs a simulated entrapment through
// the running broker's real chain with an API token; every message that reaches the receivers is
// marked 【演练】; a technician answers through the link in the maintenance group's message; the
// command prints each time reached and ends completed; the drill is kept as an incident with
// drill: true and stays out of the KPIs.
import { afterAll, describe, expect, it } from 'vitest'
import { Receivers } from '../../../simulators/notify/receivers.ts'
import { runDrill } from '../../../broker/incidents/drill.ts'
import type { IncidentSummary } from '../../../broker/incidents/types.ts'
import type { Aggregate } from '../../../response/index.ts'
import type { BrokerRun } from '../../helpers/broker-app.ts'
import { linkIn, ROBOT, startCountyBroker } from './county.ts'

const LIFT = '31103309222024010001'

describe('liftwatch drill', () => {
  const recv = new Receivers()
  let broker: BrokerRun | undefined
  afterAll(async () => {
    await broker?.stop()
    await recv.stop()
  })

  it('runs a drill through the real chain and prints the times reached', async () => {
    await recv.start()
    const run = await startCountyBroker(recv, [LIFT], 'drill')
    broker = run.broker
    const { token } = run

    // the technician: answers through the link of the maintenance group's drill message
    void recv.waitFor((r) => r.endpointId === ROBOT.maintenance, 10_000).then(async (r) => {
      const link = new URL(linkIn(r.text)!)
      const act = (body: object) => fetch(`${broker!.base}${link.pathname}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      await act({ kind: 'responded' })
      await act({ kind: 'arrived' })
      await act({ kind: 'released', persons: 0 })
    })
    const lines: string[] = []
    const result = await runDrill({ url: broker.base, token, elevatorId: LIFT, timeoutMs: 20_000, pollMs: 100, out: (l) => lines.push(l) })

    expect(result).toMatchObject({ state: '00', completed: true })
    for (const k of ['firstDelivered', 'allAtOnceDelivered', 'responded', 'arrived', 'released'] as const) expect(result.reached[k]).toBeGreaterThanOrEqual(0)
    expect(result.reached.allAtOnceDelivered!).toBeLessThan(5000)
    expect(lines[0]).toContain('【演练】')
    expect(lines.join('\n')).toMatch(/到达 arrived\s+\d+ s/)
    // every message that went out was a drill's
    const got = recv.received
    expect(got.map((r) => r.endpointId).sort()).toEqual([ROBOT.desk, ROBOT.maintenance, ROBOT.property, ROBOT.steward].sort())
    expect(got.every((r) => r.text.includes('【演练】'))).toBe(true)
    // kept: a drill incident, outside the KPIs unless asked for
    const admin = await broker.login()
    const { incidents } = await admin.json<{ incidents: IncidentSummary[] }>('/api/incidents?drill=true')
    expect(incidents.map((i) => [i.id, i.drill, i.state])).toEqual([[result.incidentId, true, '00']])
    expect((await admin.json<{ rows: Aggregate[] }>('/api/kpis?by=county')).rows).toEqual([])
    // a drill of an unknown elevator is refused with the broker's reason
    await expect(runDrill({ url: broker.base, token, elevatorId: '31103309222024019999', timeoutMs: 1000, out: () => undefined })).rejects.toThrow(/HTTP 404/)
  }, 60_000)
})
