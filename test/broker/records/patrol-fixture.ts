// Grid patrols over a real SQLite file in virtual time: the incident tests' county
// (test/broker/incidents/fixtures.ts), the real hazard register, photos under a temporary data
// directory, and small real images made here (a PNG encoder of a few lines, a JPEG's markers).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import pino from 'pino'
import type { VirtualTimeScheduler } from 'rxjs'
import { openResponseDb } from '../../../broker/incidents/db.ts'
import { IncidentService } from '../../../broker/incidents/service.ts'
import { AlarmStore } from '../../../broker/alarms/store.ts'
import { Outbox } from '../../../broker/notify/outbox.ts'
import { Hazards } from '../../../broker/records/hazards.ts'
import { Patrols, type PatrolsOptions } from '../../../broker/records/patrols.ts'
import { PATROL_ITEMS, type PatrolItemId, type PatrolResult, type RecordsDeps } from '../../../broker/records/types.ts'
import type { Db } from '../../../core/sqlite.ts'
import { parties, POLICIES, registry } from '../incidents/fixtures.ts'

export interface PatrolRig { patrols: Patrols; hazards: Hazards; outbox: Outbox; db: Db; dir: string; kicks: number; deps: RecordsDeps; close(): void }

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'lw-patrols-'))

export function patrolRig(dir: string, s: VirtualTimeScheduler, opts: PatrolsOptions = {}): PatrolRig {
  const db = openResponseDb(join(dir, 'response.db'))
  const outbox = new Outbox(db)
  const alarms = new AlarmStore(':memory:')
  alarms.start()
  const reg = registry()
  const dirs = parties()
  const log = pino({ level: 'silent' })
  const r = { db, outbox, dir, kicks: 0 } as PatrolRig
  const incidents = new IncidentService({ db, registry: reg, parties: () => dirs, policies: POLICIES, scheduler: s, log, outbox, kick: () => {}, linkBase: 'https://lw.example' })
  r.deps = {
    db, registry: reg, parties: () => dirs, scheduler: s, log, outbox, kick: () => { r.kicks++ }, linkBase: () => 'https://lw.example/',
    linkKey: Buffer.alloc(32, 7), dataDir: dir, alarms, incidents, live: () => ({ availability: 'unknown', activeAlarms: [] }),
  }
  r.hazards = new Hazards(r.deps)
  r.hazards.start()
  r.patrols = new Patrols(r.deps, r.hazards, opts)
  r.patrols.start()
  r.close = () => { r.patrols.stop(); r.hazards.stop(); alarms.stop(); if (db.open) db.close() }
  return r
}

/** Every checklist item answered; `failed` items not OK, with a note and the given photos. */
export function answers(failed: Partial<Record<PatrolItemId, readonly string[]>> = {}): PatrolResult[] {
  return PATROL_ITEMS.map((it) => {
    const photos = failed[it.id]
    return photos === undefined ? { item: it.id, ok: true } : { item: it.id, ok: false, note: `${it.zh} 不合格`, ...(photos.length ? { photos } : {}) }
  })
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (b: Buffer): number => {
  let c = 0xffffffff
  for (const x of b) c = CRC[(c ^ x) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Buffer): Buffer => {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** A real w×h RGB PNG with a pattern (so it is over the 100-byte minimum); browsers decode it. */
export function png(w = 24, h = 24): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const rows: number[] = []
  for (let y = 0; y < h; y++) {
    rows.push(0)
    for (let x = 0; x < w; x++) rows.push((x * 37 + y * 11) & 0xff, (x * y) & 0xff, (y * 53) & 0xff)
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.from(rows))), chunk('IEND', Buffer.alloc(0))])
}

/** JPEG markers around filler: the type check reads only the start (SOI FF D8 FF). */
export const jpeg = (n = 400): Buffer => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(n - 6, 0x42), Buffer.from([0xff, 0xd9])])
export const webp = (n = 200): Buffer => { const b = Buffer.alloc(n, 0); b.write('RIFF', 0, 'latin1'); b.writeUInt32LE(n - 8, 4); b.write('WEBPVP8 ', 8, 'latin1'); return b }
