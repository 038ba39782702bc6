// Login users for tests of a real broker, written into its accounts store (broker/accounts/store.ts)
// before it starts, so a test logs in through POST /api/login exactly as the page does.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccountStore, AccountError, AccountErrorCode } from '../../broker/accounts/store.ts'
import type { Role } from '../../broker/accounts/roles.ts'
import type { Scope } from '../../broker/accounts/scope.ts'

export interface TestUser { username: string; name: string; role: Role; scope: Scope; password: string }

// cheap scrypt parameters keep the tests fast (still within broker/mqtt/passwords.ts checkParams)
export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 }

/** Sees and may do everything: for the tests' own reads of the API and the audit log. */
export const TEST_ADMIN: TestUser = { username: 'test-admin', name: '测试管理员', role: 'admin', scope: { all: true }, password: 'test-admin-pw-7Hq2' }

export const tempAccountsPath = (): string => join(mkdtempSync(join(tmpdir(), 'lw-accounts-')), 'accounts.db')

/** TEST_ADMIN and `users` in the store at `path` (users already there are kept as they are). */
export async function seedAccounts(path: string, users: TestUser[] = []): Promise<void> {
  const store = new AccountStore({ path, scrypt: CHEAP_SCRYPT })
  store.start()
  try {
    for (const u of [TEST_ADMIN, ...users]) {
      try {
        await store.addUser(u)
      } catch (err) {
        if (!(err instanceof AccountError && err.code === AccountErrorCode.Exists)) throw err
      }
    }
  } finally {
    store.stop()
  }
}

/** A store in memory with TEST_ADMIN and `users`, started: for build() in tests of the HTTP app. */
export async function memoryAccounts(users: TestUser[] = []): Promise<AccountStore> {
  const store = new AccountStore({ path: ':memory:', scrypt: CHEAP_SCRYPT })
  store.start()
  for (const u of [TEST_ADMIN, ...users]) await store.addUser(u)
  return store
}
