import { describe, expect, it } from 'vitest'
import { auditConfigChange, sectionDigests } from '../../../broker/accounts/config-audit.ts'
import { AccountStore } from '../../../broker/accounts/store.ts'
import { parseBrokerConfig } from '../../../broker/config.ts'

const minimal = { mqtt: {}, registry: { elevators: [] } }

describe('config change audit', () => {
  it('records the sections that differ from the last start, and nothing when none does', () => {
    const store = new AccountStore({ path: ':memory:' })
    store.start()
    const first = auditConfigChange(store, parseBrokerConfig(minimal))
    expect(first).toMatchObject({ actor: null, action: 'config.change', target: 'broker' })
    expect(first!.detail!.changed).toEqual(['accounts', 'alarms', 'detectors', 'http', 'ingest', 'mqtt', 'parties', 'records', 'registry', 'response', 'sources', 'telemetry'])

    expect(auditConfigChange(store, parseBrokerConfig(minimal))).toBeNull()

    const edited = parseBrokerConfig({ ...minimal, alarms: { keepUntilAcked: ['critical', 'major'] } })
    expect(auditConfigChange(store, edited)!.detail).toMatchObject({ changed: ['alarms'], sections: sectionDigests(edited) })
    expect(auditConfigChange(store, edited)).toBeNull()
    expect(store.auditLog().map((e) => e.action)).toEqual(['config.change', 'config.change'])
    store.stop()
  })
})
