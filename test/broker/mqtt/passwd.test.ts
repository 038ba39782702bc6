// `liftwatch passwd` as a real child process: its line pastes into the config, verifies with the
// auth code, and lets that user connect to a real host.
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { liftwatchWithStdin } from '../../helpers/cli.ts'
import { parseMqttHostConfig } from '../../../broker/mqtt/config.ts'
import { verifyPassword } from '../../../broker/mqtt/passwords.ts'
import { connect, startHost } from './fixtures.ts'

const passwd = (args: string[], stdin: string) => liftwatchWithStdin(['passwd', ...args], stdin)

describe('liftwatch passwd', () => {
  it('prints a users line whose hash verifies the password read from stdin, and that user connects', async () => {
    const id = '31103309222019010001' // an all-digit gateway id must stay a string
    const r = await passwd([id, '--role', 'gateway'], 'correct horse battery\n')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    const users = parseYaml(r.stdout) as Record<string, { role: string; hash: string }>
    expect(Object.keys(users)).toEqual([id])
    expect(users[id]!.role).toBe('gateway')
    expect(users[id]!.hash).toMatch(/^scrypt\$16384\$8\$1\$/)
    expect(r.stdout).not.toContain('correct horse')
    expect(await verifyPassword('correct horse battery', users[id]!.hash)).toBe(true)
    expect(await verifyPassword('correct horse battery\n', users[id]!.hash)).toBe(false)

    const cfg = parseMqttHostConfig({ users })
    expect(cfg.users[id]).toEqual(users[id])
    const fx = await startHost({ section: { listeners: { tcp: { host: '127.0.0.1', port: 0 } }, users } })
    try {
      const c = await connect(fx.url, { clientId: id, username: id, password: 'correct horse battery' })
      await c.endAsync()
      await expect(connect(fx.url, { clientId: id, username: id, password: 'correct horse' })).rejects.toMatchObject({ code: 4 })
    } finally {
      await fx.stop()
    }
  })

  it('takes --password and --role monitor; refuses a bad user name, a bad role and an empty password', async () => {
    const ok = await passwd(['ops', '--role', 'monitor', '--password', 's3cret'], '')
    expect(ok.code, ok.stderr).toBe(0)
    const users = parseYaml(ok.stdout) as Record<string, { role: string; hash: string }>
    expect(users.ops!.role).toBe('monitor')
    expect(await verifyPassword('s3cret', users.ops!.hash)).toBe(true)

    expect((await passwd(['bad user'], 'x\n')).code).toBe(2)
    expect((await passwd(['ops', '--role', 'admin'], 'x\n')).code).toBe(2)
    const empty = await passwd(['ops'], '\n')
    expect(empty.code).toBe(1)
    expect(empty.stderr).toMatch(/empty password/)
  })

  it('prints a bridge with the gateways it carries, and refuses --gateways without --role bridge and a bridge without them', async () => {
    const [ok, bare, stray] = await Promise.all([
      passwd(['north', '--role', 'bridge', '--gateways', 'gw-a,gw-b', '--password', 'pw', '--cost', '1024'], ''),
      passwd(['north', '--role', 'bridge', '--password', 'pw'], ''),
      passwd(['ops', '--role', 'monitor', '--gateways', 'gw-a', '--password', 'pw'], ''),
    ])
    expect(ok.code, ok.stderr).toBe(0)
    expect(parseMqttHostConfig({ users: parseYaml(ok.stdout) }).users.north).toMatchObject({ role: 'bridge', gateways: ['gw-a', 'gw-b'] })
    expect([bare.code, stray.code]).toEqual([2, 2])
    expect(bare.stderr).toMatch(/--gateways goes with --role bridge/)
  })
})
