import { describe, expect, it } from 'vitest'
import type { AlarmEvent } from '../../../protocol/index.ts'
import type { AlarmSignal } from '../../../detectors/index.ts'
import { GatewayInhibition } from '../../../detectors/runtime/inhibit.ts'
import { E1, E2, T0, vts } from '../harness.ts'

const lost = (who: typeof E1, state: AlarmSignal['state'], cause = 'gateway'): AlarmSignal =>
  ({ ...who, type: 'communication_lost', state, at: T0, evidence: state === 'raised' ? { cause, gatewayId: who.gatewayId } : { recovery: 'telemetry' } })

function inhibition() {
  const scheduler = vts()
  const out: AlarmSignal[] = []
  const inh = new GatewayInhibition(scheduler, (s) => out.push(s))
  return { inh, out, flush: () => scheduler.flush() }
}

describe('gateway inhibition', () => {
  it('folds the communication_lost of a gateway\'s elevators into one gateway signal, cleared with the last of them', () => {
    const { inh, out, flush } = inhibition()
    inh.apply(lost(E1, 'raised'))
    inh.apply(lost(E2, 'raised'))
    flush()
    expect(out).toEqual([expect.objectContaining({ scope: 'gateway', elevatorId: 'gw-1', state: 'raised', groups: [E1.elevatorId, E2.elevatorId] })])
    expect(inh.activeTypes(E1.elevatorId)).toEqual(['communication_lost'])
    inh.apply(lost(E1, 'cleared'))
    expect(out).toHaveLength(1)
    inh.apply(lost(E2, 'cleared'))
    expect(out.at(-1)).toMatchObject({ scope: 'gateway', state: 'cleared', evidence: { recovery: 'telemetry' } })
  })

  it('passes on an elevator\'s own loss of communication and every other alarm', () => {
    const { inh, out, flush } = inhibition()
    const own = lost(E1, 'raised', 'availability')
    const other: AlarmSignal = { ...E1, type: 'entrapment', state: 'raised', at: T0, evidence: {} }
    inh.apply(own)
    inh.apply(other)
    inh.apply(lost(E1, 'cleared'))
    flush()
    expect(out).toEqual([own, other, lost(E1, 'cleared')])
  })

  it('takes its groups back from gateway alarms active before a restart', () => {
    const { inh, out } = inhibition()
    const before = {
      v: 1, id: 'G', key: 'gateway:gw-1:communication_lost', type: 'communication_lost', code: null, severity: 'major', state: 'raised',
      elevatorId: 'gw-1', region: '330922', raisedAt: T0, clearedAt: null, evidence: {}, drill: false, scope: 'gateway', gatewayId: 'gw-1', elevators: [E1.elevatorId],
    } satisfies AlarmEvent
    inh.restore([before])
    expect(inh.activeTypes(E1.elevatorId)).toEqual(['communication_lost'])
    inh.apply(lost(E1, 'cleared'))
    expect(out).toEqual([expect.objectContaining({ scope: 'gateway', elevatorId: 'gw-1', state: 'cleared' })])
  })
})
