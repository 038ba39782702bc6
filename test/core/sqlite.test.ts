// core/sqlite.ts: the opener's directory, WAL, migrations by user_version, and refusals.
import { describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openSqlite } from '../../core/sqlite.ts'

const V1 = 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);'
const V2 = 'ALTER TABLE notes ADD COLUMN at INTEGER;'

describe('openSqlite', () => {
  it('makes the directory, turns WAL on and runs every migration once', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lw-core-sqlite-')), 'deep', 'er', 'notes.db')
    const db = openSqlite(path, { migrations: [V1] })
    expect(existsSync(path)).toBe(true)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    db.prepare('INSERT INTO notes (body) VALUES (?)').run('kept')
    db.close()

    // a later release appends a step: only that one runs, the rows stay
    let ran = 0
    const again = openSqlite(path, { migrations: [V1, V2, () => { ran++ }], synchronous: 'normal' })
    expect(again.pragma('user_version', { simple: true })).toBe(3)
    expect(again.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
    expect(again.prepare('SELECT body, at FROM notes').all()).toEqual([{ body: 'kept', at: null }])
    again.close()
    openSqlite(path, { migrations: [V1, V2, () => { ran++ }] }).close()
    expect(ran).toBe(1)
  })

  it('refuses a file written by a newer program, and closes it', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lw-core-sqlite-')), 'new.db')
    openSqlite(path, { migrations: [V1, V2] }).close()
    expect(() => openSqlite(path, { migrations: [V1] })).toThrow(expect.objectContaining({
      code: 'LW_ERR_SQLITE', message: "schema version 2 is newer than this program's (1)", data: expect.objectContaining({ path }),
    }))
    // closed: the file opens again at once, even exclusively
    openSqlite(path, { migrations: [V1, V2], exclusive: true }).close()
  })

  it('rolls a failing migration back as a whole', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lw-core-sqlite-')), 'bad.db')
    openSqlite(path, { migrations: [V1] }).close()
    expect(() => openSqlite(path, { migrations: [V1, V2, 'NOT SQL'] })).toThrow(/syntax error/)
    const db = openSqlite(path, { migrations: [V1, V2] })
    expect(db.prepare("SELECT name FROM pragma_table_info('notes')").all()).toEqual([{ name: 'id' }, { name: 'body' }, { name: 'at' }])
    db.close()
  })

  it('opens :memory: without WAL (there is none) and migrates it', () => {
    const db = openSqlite(':memory:', { migrations: [V1, V2] })
    expect(db.pragma('journal_mode', { simple: true })).toBe('memory')
    expect(db.pragma('user_version', { simple: true })).toBe(2)
    db.close()
  })

  it('with exclusive, a second opener of the same file is kept out', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'lw-core-sqlite-')), 'own.db')
    const first = openSqlite(path, { migrations: [V1], exclusive: true })
    first.prepare('INSERT INTO notes (body) VALUES (?)').run('mine')
    expect(() => openSqlite(path, { migrations: [V1], busyTimeoutMs: 50 })).toThrow(/locked/)
    first.close()
  })
})
