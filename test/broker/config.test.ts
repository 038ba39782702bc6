// The broker configuration's alarm section: the default visible-list rule, and a bad severity
// reported with its path.
import { describe, expect, it } from 'vitest'
import { ConfigError, parseBrokerConfig } from '../../broker/config.ts'

const minimal = { mqtt: {}, registry: { elevators: [] } }

describe('broker config: alarms', () => {
  it('keeps cleared critical alarms until acknowledged by default', () => {
    expect(parseBrokerConfig(minimal).alarms).toEqual({ path: './data/alarms.db', keepUntilAcked: ['critical'] })
    expect(parseBrokerConfig({ ...minimal, alarms: { keepUntilAcked: ['critical', 'major'] } }).alarms.keepUntilAcked).toEqual(['critical', 'major'])
  })

  it('names a severity that does not exist', () => {
    let err: unknown
    try { parseBrokerConfig({ ...minimal, alarms: { keepUntilAcked: ['urgent'] } }, 'broker.yaml') } catch (e) { err = e }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toEqual([{ path: 'alarms.keepUntilAcked.0', message: 'must be equal to one of the allowed values: ["critical","major","minor","warning"]' }])
  })
})

describe('broker config: event stream limits', () => {
  it('takes http.sse.maxPerUser and maxClients, and refuses a zero', () => {
    expect(parseBrokerConfig(minimal).http.sse).toBeUndefined()
    expect(parseBrokerConfig({ ...minimal, http: { sse: { maxPerUser: 2, maxClients: 50 } } }).http.sse).toEqual({ maxPerUser: 2, maxClients: 50 })
    let err: unknown
    try { parseBrokerConfig({ ...minimal, http: { sse: { maxPerUser: 0 } } }, 'broker.yaml') } catch (e) { err = e }
    expect((err as ConfigError).problems).toEqual([{ path: 'http.sse.maxPerUser', message: 'must be >= 1' }])
  })
})
