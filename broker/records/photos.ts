// Photos of records (a patrol's failed item, a hazard): files under the data directory, a row in the
// response store's `photos` table (broker/incidents/db.ts). What a phone uploads is trusted only as
// far as its bytes go: the type is read from the file's magic bytes, the declared Content-Type must
// agree, and the size is bounded. Written tmp + rename so a crash never leaves half a photo.
import { randomBytes } from 'node:crypto'
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Db } from '../../core/sqlite.ts'
import type { Logger } from 'pino'
import type { RecordActor } from './types.ts'

export const PHOTO_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const
export type PhotoType = (typeof PHOTO_TYPES)[number]
const EXT: Readonly<Record<PhotoType, string>> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' }

export const PHOTO_MAX_BYTES = 5 * 1024 * 1024
export const PHOTO_MIN_BYTES = 100

export const PHOTO_PROBLEMS = ['too_small', 'too_large', 'not_an_image', 'declared_type', 'type_mismatch', 'write_failed'] as const
export type PhotoProblem = (typeof PHOTO_PROBLEMS)[number]
/** zh-CN first: shown to whoever uploaded */
export const PHOTO_PROBLEM_TEXT: Readonly<Record<PhotoProblem, string>> = {
  too_small: '照片太小或为空 / The photo is empty or too small',
  too_large: '照片超过大小限制 / The photo is too large',
  not_an_image: '只接受 JPEG、PNG、WebP 照片 / Only JPEG, PNG and WebP photos are accepted',
  declared_type: '上传类型须为 image/jpeg、image/png 或 image/webp / Upload as image/jpeg, image/png or image/webp',
  type_mismatch: '文件内容与声明的类型不符 / The file is not the type it claims to be',
  write_failed: '照片保存失败，请重试 / The photo could not be saved, try again',
}

/** Refused uploads by reason, for /metrics and stats() (one process, one data directory). */
export const photoRefusals: Record<PhotoProblem, number> = Object.fromEntries(PHOTO_PROBLEMS.map((p) => [p, 0])) as Record<PhotoProblem, number>

export interface PhotoOptions {
  /** ms, when the photo was taken in (default: the wall clock) */
  readonly now?: number
  readonly maxBytes?: number
  /** where a failed write is told (the disk full, the directory unwritable) */
  readonly log?: Logger
}

const ID = /^ph-[A-Za-z0-9_-]{22}$/

/** The type the bytes are, whatever they are called: JPEG FF D8 FF, PNG's 8-byte signature, RIFF….WEBP. */
export function sniffPhotoType(b: Buffer): PhotoType | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg'
  if (b.length >= 8 && b.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png'
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'image/webp'
  return null
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** `image/JPEG; q=1` → image/jpeg; image/jpg is what some phones say. */
function declared(t: string): PhotoType | null {
  const base = t.split(';')[0]!.trim().toLowerCase()
  const name = base === 'image/jpg' || base === 'image/pjpeg' ? 'image/jpeg' : base
  return (PHOTO_TYPES as readonly string[]).includes(name) ? (name as PhotoType) : null
}

/** The photo's file: `${dataDir}/photos/<yyyy-mm>/<id>.<ext>`, the month in China time (UTC+8). */
function photoPath(dataDir: string, id: string, type: PhotoType, at: number): { dir: string; file: string } {
  const month = new Date(at + 8 * 3600_000).toISOString().slice(0, 7)
  const dir = join(dataDir, 'photos', month)
  return { dir, file: join(dir, `${id}.${EXT[type]}`) }
}

export function savePhoto(dataDir: string, bytes: Buffer, declaredType: string, by: RecordActor, db: Db, opts: PhotoOptions = {}): { id: string } | { problem: PhotoProblem } {
  const refuse = (problem: PhotoProblem) => { photoRefusals[problem]++; return { problem } }
  if (bytes.length < PHOTO_MIN_BYTES) return refuse('too_small')
  if (bytes.length > (opts.maxBytes ?? PHOTO_MAX_BYTES)) return refuse('too_large')
  const sniffed = sniffPhotoType(bytes)
  if (!sniffed) return refuse('not_an_image')
  const claimed = declared(declaredType)
  if (!claimed) return refuse('declared_type')
  if (claimed !== sniffed) return refuse('type_mismatch')
  const id = `ph-${randomBytes(16).toString('base64url')}`
  const at = opts.now ?? Date.now()
  const { dir, file } = photoPath(dataDir, id, sniffed, at)
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  try {
    mkdirSync(dir, { recursive: true })
    const fd = openSync(tmp, 'wx', 0o640)
    try {
      writeSync(fd, bytes)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, file)
  } catch (err) {
    opts.log?.error({ err, dir }, 'photo write failed')
    try { unlinkSync(tmp) } catch { /* never made: the write failed before it */ }
    return refuse('write_failed')
  }
  try {
    db.prepare('INSERT INTO photos (id, subject, type, bytes, at, by) VALUES (?, NULL, ?, ?, ?, ?)').run(id, sniffed, bytes.length, at, JSON.stringify(by))
  } catch (err) {
    unlinkSync(file)
    throw err
  }
  return { id }
}

export interface PhotoRow { readonly id: string; readonly subject: string | null; readonly type: PhotoType; readonly bytes: number; readonly at: number; readonly by: RecordActor }

export function photoInfo(db: Db, id: string): PhotoRow | null {
  if (!ID.test(id)) return null
  const r = db.prepare('SELECT id, subject, type, bytes, at, by FROM photos WHERE id = ?').get(id) as (Omit<PhotoRow, 'by'> & { by: string }) | undefined
  return r ? { ...r, by: JSON.parse(r.by) as RecordActor } : null
}

/** The photo's bytes, or null for an unknown id or a missing file. */
export function readPhoto(dataDir: string, id: string, db: Db): { type: PhotoType; bytes: Buffer } | null {
  const row = photoInfo(db, id)
  if (!row) return null
  try {
    return { type: row.type, bytes: readFileSync(photoPath(dataDir, id, row.type, row.at).file) }
  } catch {
    return null
  }
}

/** Gives a photo its subject (a hazard id); false if unknown or already another subject's. */
export function attachPhoto(db: Db, id: string, subject: string): boolean {
  return db.prepare('UPDATE photos SET subject = ? WHERE id = ? AND (subject IS NULL OR subject = ?)').run(subject, id, subject).changes === 1
}
