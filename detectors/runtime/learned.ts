// Learned state that outlives the process: what a detector has learned about one elevator over
// days (an anomaly baseline, when the last maintenance visit ended, since when the car has stood
// idle) as a JSON value, so the broker can keep it in its store and hand it back after a restart
// (docs/performance.md#learned-state-across-restarts). Pure: the detector says what to keep and
// how to put it back; the broker does the I/O.

/** A snapshot as stored: its detector's format version and the settings it was learned under. */
export interface LearnedRecord {
  readonly version: number
  readonly fingerprint: string
  /** JSON-safe: numbers are finite, no typed arrays */
  readonly data: unknown
}

/** What of a machine's state (type S) is learned, and how to put it back into a fresh state. */
export interface Learned<S> {
  /** bumped whenever the snapshot's shape or meaning changes: an older one is dropped */
  readonly version: number
  /** the settings the learned state depends on; a snapshot made under others is dropped */
  readonly fingerprint: string
  /** the learned part of `s`; null when nothing has been learned yet (nothing to keep) */
  snapshot(s: S): unknown
  /** `initial` with `data` put back; null when `data` does not fit (it is dropped) */
  restore(initial: S, data: unknown): S | null
}

/** Why a stored snapshot was not restored. */
export type LearnedDrop = 'version' | 'settings' | 'invalid'

/** A fingerprint of the settings named: their values as JSON, in the order given. */
export const fingerprintOf = (cfg: Readonly<Record<string, unknown>>, keys: readonly string[]): string =>
  JSON.stringify(keys.map((k) => cfg[k] ?? null))

export function snapshotOf<S>(l: Learned<S>, s: S): LearnedRecord | null {
  const data = l.snapshot(s)
  return data === null || data === undefined ? null : { version: l.version, fingerprint: l.fingerprint, data }
}

/** The restored state, or why the record was dropped. */
export function restoreFrom<S>(l: Learned<S>, initial: S, r: LearnedRecord): S | LearnedDrop {
  if (r.version !== l.version) return 'version'
  if (r.fingerprint !== l.fingerprint) return 'settings'
  try {
    return l.restore(initial, r.data) ?? 'invalid'
  } catch {
    return 'invalid'
  }
}

/** A finite number, or null (JSON has no NaN or infinities). */
export const isTime = (x: unknown): x is number | null => x === null || (typeof x === 'number' && Number.isFinite(x))

export const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
