// The mqtt config section: defaults, and every problem as `path: message` naming the file.
import { describe, expect, it } from 'vitest'
import { formatProblems } from '../../../protocol/index.ts'
import { ConfigError } from '../../../core/config.ts'
import { parseMqttHostConfig } from '../../../broker/mqtt/config.ts'
import { PasswordVerifier, hashPassword, verifyPassword } from '../../../broker/mqtt/passwords.ts'

const problems = (data: unknown): string[] => {
  try {
    parseMqttHostConfig(data, 'broker.yaml')
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).message).toMatch(/^broker\.yaml: invalid configuration/)
    return formatProblems((err as ConfigError).problems).split('\n')
  }
  throw new Error('expected a ConfigError')
}

describe('mqtt config section', () => {
  it('defaults to one TCP listener on 1883, anonymous off, no users; frozen', () => {
    const cfg = parseMqttHostConfig(undefined)
    expect(cfg).toEqual({
      listeners: { tcp: { host: '0.0.0.0', port: 1883 } }, allowAnonymous: false, users: {},
      maxConnectBytes: 65_536, maxPacketBytes: 2_097_152, offlineQueue: { maxMessages: 10_000, maxBytes: 16_777_216 },
    })
    expect(Object.isFrozen(cfg.listeners)).toBe(true)
  })

  it('opens only the listeners configured: TLS alone adds no plain TCP listener', () => {
    const cfg = parseMqttHostConfig({ listeners: { tls: { cert: 'c.pem', key: 'k.pem' } } })
    expect(cfg.listeners).toEqual({ tls: { host: '0.0.0.0', port: 8883, cert: 'c.pem', key: 'k.pem', requireClientCert: false } })
  })

  it('reports every problem by path', async () => {
    const hash = await hashPassword('x', { N: 1024, r: 8, p: 1 })
    expect(problems({
      listeners: { tcp: { port: 8883 }, tls: { cert: 'c', key: 'k', requireClientCert: true }, ws: { port: 70_000 } },
      allowAnonymous: 'yes',
      users: { 'bad id': { role: 'gateway', hash }, 'gw-1': { role: 'admin', hash: 'plain' } },
      extra: 1,
    })).toEqual([
      'mqtt.extra: unknown property',
      'mqtt.listeners.ws.port: must be <= 65535',
      'mqtt.allowAnonymous: must be boolean',
      // a username must be a valid id (a gateway's username is its gatewayId)
      'mqtt.users.bad id: unknown property',
      'mqtt.users.gw-1.role: must be one of "gateway", "monitor", "bridge"',
      expect.stringMatching(/^mqtt\.users\.gw-1\.hash: must match pattern/),
    ])
    expect(problems({ listeners: { tcp: { port: 8883 }, tls: { cert: 'c', key: 'k', requireClientCert: true } }, users: { 'gw-1': { role: 'gateway', hash: hash.replace('$1024$', '$1000$') } } })).toEqual([
      'mqtt.listeners.tls.port: 8883 is also listeners.tcp.port',
      'mqtt.listeners.tls.ca: is required with requireClientCert',
      'mqtt.users.gw-1.hash: invalid password hash: N=1000 must be a power of 2 in 1024…1048576',
    ])
    expect(problems({ listeners: {} })).toEqual(['mqtt.listeners: at least one of tcp, tls, ws is required'])
  })
})

describe('password hashes', () => {
  it('are salted per user, verify only the right password, and carry their parameters', async () => {
    const a = await hashPassword('same password', { N: 1024, r: 8, p: 1 })
    const b = await hashPassword('same password', { N: 2048, r: 4, p: 2 })
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(b.split('$').slice(1, 4)).toEqual(['2048', '4', '2'])
    expect(a.split('$')[4]).not.toBe(b.split('$')[4])
    expect(await verifyPassword('same password', a)).toBe(true)
    expect(await verifyPassword('same password', b)).toBe(true)
    expect(await verifyPassword('same passwore', a)).toBe(false)
    expect(await verifyPassword('', a)).toBe(false)
    await expect(verifyPassword('x', 'bcrypt$1$2$3$4$5')).rejects.toMatchObject({ code: 'LW_ERR_PASSWORD_HASH' })
  })
})

describe('PasswordVerifier', () => {
  it('remembers a success, still refuses a wrong password, and answers each of many concurrent checks', async () => {
    const hash = await hashPassword('right', { N: 1024, r: 8, p: 1 })
    const v = new PasswordVerifier(2)
    expect(await v.verify('right', hash)).toBe(true)
    expect(await v.verify('right', hash)).toBe(true)
    expect(await v.verify('wrong', hash)).toBe(false)
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => v.verify(i % 2 ? 'wrong' : 'right', hash)))
    expect(results).toEqual([true, false, true, false, true, false, true])
  })
})
