// The accounts store's schema (broker/accounts/store.ts). A later change appends a step, never edits one.
export const MIGRATIONS = [
  // user_version 1
  `CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
  ) STRICT;
  CREATE INDEX sessions_user ON sessions (user_id);
  CREATE TABLE tokens (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used INTEGER,
    revoked_at INTEGER
  ) STRICT;
  CREATE TABLE login_failures (
    username TEXT NOT NULL,
    at INTEGER NOT NULL,
    ip TEXT NOT NULL
  ) STRICT;
  CREATE INDEX login_failures_username ON login_failures (username, at);
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT,
    actor_name TEXT,
    role TEXT,
    via TEXT,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT,
    ip TEXT
  ) STRICT;
  CREATE INDEX audit_at ON audit (at);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;`,
  // user_version 2: old failures and expired sessions are pruned by time
  `CREATE INDEX login_failures_at ON login_failures (at);
  CREATE INDEX sessions_last_seen ON sessions (last_seen);`,
  // user_version 3: the last entry of one action (config.change at each start) without a scan
  'CREATE INDEX audit_action ON audit (action, id);',
] as const
