// Opening a SQLite file the way every store of ours needs it: its directory made, WAL journal
// (readers never block the writer; checked, since SQLite silently keeps another mode on some file
// systems), a busy timeout, and the schema brought up to date by an ordered list of migrations
// whose count is the file's `user_version`.
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { CoreError, CoreErrorCode } from './errors.ts'

export type { Database }
export type Db = Database.Database

export interface SqliteOptions {
  /** Schema steps in order; step i takes user_version i to i + 1. A later change appends one, never edits one. */
  migrations: readonly (string | ((db: Db) => void))[]
  /** FULL survives a power cut; NORMAL may lose the last commits (default full). */
  synchronous?: 'full' | 'normal'
  /** One process owns the file (a second one would, say, replay an outbox twice). */
  exclusive?: boolean
  busyTimeoutMs?: number
}

// keeps the WAL file from staying at its high-water mark for years
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024

/** The open database, migrated; a file whose schema is newer than `migrations` is refused. */
export function openSqlite(path: string, opts: SqliteOptions): Db {
  const memory = path === ':memory:'
  if (!memory) mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path, { timeout: opts.busyTimeoutMs ?? 1000 })
  try {
    if (opts.exclusive) db.pragma('locking_mode = EXCLUSIVE')
    const mode = db.pragma('journal_mode = WAL', { simple: true })
    // an in-memory database has no WAL: it answers "memory"
    if (mode !== 'wal' && !memory) throw new CoreError(CoreErrorCode.Sqlite, `journal_mode WAL refused (got ${String(mode)})`, { path })
    db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`)
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`)
    migrate(db, path, opts.migrations)
  } catch (err) {
    db.close()
    throw err
  }
  return db
}

function migrate(db: Db, path: string, migrations: SqliteOptions['migrations']): void {
  const version = db.pragma('user_version', { simple: true }) as number
  if (version > migrations.length) {
    throw new CoreError(CoreErrorCode.Sqlite, `schema version ${version} is newer than this program's (${migrations.length})`, { path, version })
  }
  if (version === migrations.length) return
  db.transaction(() => {
    for (const step of migrations.slice(version)) {
      if (typeof step === 'string') db.exec(step)
      else step(db)
    }
    db.pragma(`user_version = ${migrations.length}`)
  })()
}
