// The demo's login users: a duty desk for the whole county, a township officer of the first
// township, and the first maintenance unit (half the cars, bin/demo-files.ts). Written into the
// broker's accounts store before the broker starts, with fresh passwords each start that the demo
// prints; the desk is also the page's auto-login on this machine (http.autoLogin, loopback only).
import { AccountStore, generatePassword } from '../broker/accounts/store.ts'
import type { Role } from '../broker/accounts/roles.ts'
import { formatScope, inScope, type Scope, type ScopedElevator } from '../broker/accounts/scope.ts'
import { MAINTENANCE_ORGS, REGION, TOWNSHIPS } from './demo-files.ts'

export interface DemoUser { username: string; name: string; role: Role; scope: Scope; sees: [zh: string, en: string] }

export const AUTO_LOGIN = 'desk'

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'desk', name: '张敏（演示）', role: 'desk', scope: { region: REGION }, sees: ['全县', 'the whole county'] },
  { username: 'township', name: `李强（${TOWNSHIPS[0].name}，演示）`, role: 'township', scope: { region: TOWNSHIPS[0].code }, sees: [TOWNSHIPS[0].name, `township ${TOWNSHIPS[0].code}`] },
  { username: 'maintenance', name: '王磊（维保，演示）', role: 'maintenance', scope: { org: MAINTENANCE_ORGS[0] }, sees: ['所维保的电梯', `the cars of ${MAINTENANCE_ORGS[0]}`] },
]

/** Each demo user made or given a new password in the store at `path`; their passwords. */
export async function seedDemoUsers(path: string): Promise<{ user: DemoUser; password: string }[]> {
  const store = new AccountStore({ path })
  store.start()
  try {
    const out: { user: DemoUser; password: string }[] = []
    for (const u of DEMO_USERS) {
      const password = generatePassword()
      const existing = store.user(u.username)
      // a data directory whose `desk` is someone else: refuse rather than hand them a new password
      if (existing && (existing.role !== u.role || formatScope(existing.scope) !== formatScope(u.scope))) {
        throw new Error(`accounts store ${path}: user ${u.username} has role ${existing.role} and scope ${formatScope(existing.scope)}, not the demo's; use another --data directory`)
      }
      if (existing) await store.setPassword(u.username, password)
      else await store.addUser({ username: u.username, name: u.name, role: u.role, scope: u.scope, password })
      store.audit({ actor: 'cli', action: existing ? 'user.passwd' : 'user.add', target: u.username, detail: { by: 'liftwatch demo', role: u.role } })
      out.push({ user: u, password })
    }
    return out
  } finally {
    store.stop()
  }
}

/** The lines the demo prints: who may log in with what and how many of the registry's cars each sees, zh-CN first. */
export function loginLines(logins: { user: DemoUser; password: string }[], httpPort: number, elevators: readonly ScopedElevator[]): string {
  const rows = logins.map(({ user, password }) => {
    const n = elevators.filter((e) => inScope(user.scope, e)).length
    return `    ${user.username.padEnd(12)} ${password}   ${user.sees[0]} ${n} 台 / ${user.sees[1]}, ${n} cars${user.username === AUTO_LOGIN ? '  (本机自动登录 auto-login here)' : ''}\n`
  })
  return `  登录 logins:          http://127.0.0.1:${httpPort}/login  (本次启动的密码 passwords of this run)\n${rows.join('')}`
}
