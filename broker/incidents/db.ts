// The response store: incidents and the notification outbox in one SQLite file, so an incident's
// new state and the notifications it caused are written in one transaction (nothing told is lost
// by a crash between the two; docs/domain.md#response-chain).
import { openSqlite, type Db } from '../../core/sqlite.ts'

export const RESPONSE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    elevator_id TEXT NOT NULL,
    region TEXT NOT NULL,
    township TEXT,
    maintenance TEXT,
    property TEXT,
    state TEXT NOT NULL,
    drill INTEGER NOT NULL,
    source TEXT NOT NULL,
    alarm_type TEXT,
    trapped_at INTEGER NOT NULL,
    alarm_at INTEGER NOT NULL,
    closed_at INTEGER,
    wake_at INTEGER,
    data TEXT NOT NULL
  ) STRICT;
  CREATE INDEX incidents_open ON incidents (elevator_id) WHERE closed_at IS NULL;
  CREATE INDEX incidents_alarm_at ON incidents (alarm_at);
  CREATE INDEX incidents_wake ON incidents (wake_at) WHERE wake_at IS NOT NULL;
  CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    role TEXT NOT NULL,
    party_id TEXT NOT NULL,
    party_name TEXT NOT NULL,
    channel TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    to_phone TEXT,
    message TEXT NOT NULL,
    drill INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL,
    last_detail TEXT,
    delivered_at INTEGER
  ) STRICT;
  CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
  CREATE INDEX outbox_incident ON outbox (incident_id);
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`,
  // the records the county keeps (broker/records/types.ts): in this file, so a record's change and
  // the notifications it causes go in one transaction too
  `CREATE TABLE hazards (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    elevator_id TEXT NOT NULL,
    region TEXT NOT NULL,
    township TEXT,
    village TEXT,
    maintenance TEXT,
    use_unit TEXT,
    state TEXT NOT NULL,
    grade TEXT NOT NULL,
    found_by TEXT NOT NULL,
    rule TEXT,
    found_at INTEGER NOT NULL,
    deadline INTEGER NOT NULL,
    closed_at INTEGER,
    data TEXT NOT NULL
  ) STRICT;
  CREATE INDEX hazards_elevator ON hazards (elevator_id);
  CREATE INDEX hazards_open_rule ON hazards (elevator_id, rule) WHERE state != 'closed';
  CREATE INDEX hazards_deadline ON hazards (deadline) WHERE state != 'closed';
  CREATE TABLE patrols (
    id TEXT PRIMARY KEY,
    elevator_id TEXT NOT NULL,
    village TEXT,
    township TEXT,
    at INTEGER NOT NULL,
    data TEXT NOT NULL
  ) STRICT;
  CREATE INDEX patrols_elevator_at ON patrols (elevator_id, at);
  CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    elevator_id TEXT NOT NULL,
    township TEXT,
    village TEXT,
    state TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ack_due_at INTEGER NOT NULL,
    resolve_due_at INTEGER NOT NULL,
    data TEXT NOT NULL
  ) STRICT;
  CREATE INDEX complaints_elevator ON complaints (elevator_id, created_at);
  CREATE INDEX complaints_open ON complaints (state, ack_due_at) WHERE state != 'resolved';
  CREATE TABLE public_codes (
    code TEXT PRIMARY KEY,
    elevator_id TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE TABLE photos (
    id TEXT PRIMARY KEY,
    subject TEXT,
    type TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    at INTEGER NOT NULL,
    by TEXT NOT NULL
  ) STRICT;`,
]

/** One process owns the file: two would send the outbox twice. */
export function openResponseDb(path: string): Db {
  return openSqlite(path, { migrations: RESPONSE_MIGRATIONS, exclusive: path !== ':memory:' })
}
