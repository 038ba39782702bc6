// `liftwatch user add|list|disable|passwd|token`: the people who log in to the live page and the
// API, kept in the accounts store named by the broker config. A password is read from stdin
// (--password-stdin) or generated and printed once; every change is audited with actor "cli".
import { parseArgs } from 'node:util'
import { ConfigError, loadBrokerConfig } from '../config.ts'
import { askTwice, readPiped } from '../mqtt/passwd.ts'
import { ROLES, isRole } from './roles.ts'
import { formatScope, parseScope } from './scope.ts'
import { AccountError, AccountErrorCode, AccountStore, generatePassword } from './store.ts'

const HELP = `usage: liftwatch user <command> --config broker.yaml [options]
登录用户与 API 令牌 / people who log in to the live page and the API.

  add USER --role R --scope S [--name NAME] [--password-stdin]
                       R: ${ROLES.join(', ')}
                       S: region:330922 (county, 6 digits), region:330922001 (township, 9),
                          region:330922001001 (village, 12), org:ORG (maintenance, property), all (admin)
  list
  disable USER         ends the user's sessions and revokes their tokens
  passwd USER [--password-stdin]
  token add USER --name NAME     prints the token once
  token list
  token revoke ID

Without --password-stdin a password is generated and printed once.
`

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  role: { type: 'string' },
  scope: { type: 'string' },
  name: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function main(argv: string[]): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
  } catch (err) {
    return usageError((err as Error).message)
  }
  const { values: v, positionals: [command, ...args] } = parsed
  if (v.help || !command) {
    process.stdout.write(HELP)
    return
  }
  if (!v.config) return usageError('--config is required')
  let cfg
  try {
    cfg = loadBrokerConfig(v.config)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`liftwatch user: ${err.message}\n`)
    process.exitCode = 2
    return
  }
  if (cfg.accounts.path === ':memory:') return usageError(`${v.config}: accounts.path is ':memory:', there is no store to change`)
  const store = new AccountStore({ path: cfg.accounts.path })
  store.start()
  try {
    await run(store, command, args, v)
  } catch (err) {
    if (!(err instanceof AccountError)) throw err
    process.stderr.write(`liftwatch user: ${err.message}\n`)
    process.exitCode = 1
  } finally {
    store.stop()
  }
}

type Values = { role?: string; scope?: string; name?: string; 'password-stdin'?: boolean }

async function run(store: AccountStore, command: string, args: string[], v: Values): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`)
  const [user, ...extra] = args
  const one = (what: string): string | undefined => (user && !extra.length ? user : (usageError(`${command} takes exactly one ${what}`), undefined))
  switch (command) {
    case 'add': {
      if (!one('USER')) return
      if (!isRole(v.role)) return usageError(`--role must be one of ${ROLES.join(', ')}`)
      const scope = v.scope === undefined ? null : parseScope(v.scope)
      if (!scope) return usageError('--scope is required: region:CODE, org:ORG or all')
      const { password, generated } = await newPassword(v)
      if (!password) return
      const u = await store.addUser({ username: user!, name: v.name ?? user!, role: v.role, scope, password })
      store.audit({ actor: 'cli', action: 'user.add', target: u.username, detail: { role: u.role, scope: formatScope(u.scope) } })
      out(`added ${u.username} (${u.role}, ${formatScope(u.scope)})  已添加用户`)
      if (generated) out(`password 口令: ${password}`)
      return
    }
    case 'list':
      for (const u of store.listUsers()) {
        out([u.username.padEnd(16), u.role.padEnd(12), formatScope(u.scope).padEnd(24), u.disabled ? 'disabled 已停用' : 'enabled', u.name].join(' '))
      }
      return
    case 'disable':
      if (!one('USER')) return
      store.disable(user!)
      store.audit({ actor: 'cli', action: 'user.disable', target: user! })
      out(`disabled ${user}  已停用`)
      return
    case 'passwd': {
      if (!one('USER')) return
      const { password, generated } = await newPassword(v)
      if (!password) return
      await store.setPassword(user!, password)
      store.audit({ actor: 'cli', action: 'user.passwd', target: user! })
      out(`password changed for ${user}; their sessions ended  口令已更改`)
      if (generated) out(`password 口令: ${password}`)
      return
    }
    case 'token':
      return token(store, args, v, out)
    default:
      return usageError(`unknown command "${command}"`)
  }
}

function token(store: AccountStore, [sub, arg, ...extra]: string[], v: Values, out: (line: string) => void): void {
  if (sub === 'list' && arg === undefined) {
    for (const t of store.listTokens()) {
      const used = t.lastUsed === null ? 'never used' : `last used ${new Date(t.lastUsed).toISOString()}`
      out([String(t.id).padStart(4), t.username.padEnd(16), t.name.padEnd(24), t.revokedAt === null ? used : 'revoked 已吊销'].join(' '))
    }
    return
  }
  if (extra.length || arg === undefined) return usageError('token add USER --name NAME | token list | token revoke ID')
  if (sub === 'add') {
    const u = store.user(arg)
    if (!u) throw new AccountError(AccountErrorCode.NotFound, `no user ${arg}`, { username: arg })
    if (!v.name) return usageError('token add needs --name (what the integration is)')
    const plaintext = store.createToken(u.id, v.name)
    store.audit({ actor: 'cli', action: 'token.create', target: u.username, detail: { name: v.name } })
    out(`token for ${u.username} (${v.name}), shown once 仅显示一次:`)
    out(plaintext)
    return
  }
  if (sub === 'revoke' && /^\d+$/.test(arg)) {
    store.revokeToken(Number(arg))
    store.audit({ actor: 'cli', action: 'token.revoke', target: arg })
    out(`revoked token ${arg}  已吊销`)
    return
  }
  usageError('token add USER --name NAME | token list | token revoke ID')
}

/** From stdin (asked twice on a terminal) or generated; undefined after reporting a problem. */
async function newPassword(v: Values): Promise<{ password?: string; generated: boolean }> {
  if (!v['password-stdin']) return { password: generatePassword(), generated: true }
  const password = process.stdin.isTTY ? await askTwice() : await readPiped()
  if (!password) {
    process.stderr.write(`liftwatch user: ${password === null ? 'the passwords differ' : 'empty password'}\n`)
    process.exitCode = 1
    return { generated: false }
  }
  return { password, generated: false }
}

function usageError(message: string): void {
  process.stderr.write(`liftwatch user: ${message}\n\n${HELP}`)
  process.exitCode = 2
}
