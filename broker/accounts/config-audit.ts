// "Every config change" in the audit log (issue 11): the broker cannot see who edited its file, but
// it can see, at start, which sections differ from the last start's and record that, with the
// digests, so that an edit shows up in the log between the actions it may explain.
import { createHash } from 'node:crypto'
import type { AccountStore } from './store.ts'
import type { AuditEntry } from './types.ts'

export const CONFIG_CHANGE = 'config.change'

/** A short SHA-256 of each top-level section (secrets in it are hashes or file names already). */
export function sectionDigests(cfg: object): Record<string, string> {
  const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v) ?? 'undefined').digest('hex').slice(0, 16)
  return Object.fromEntries(Object.entries(cfg).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, digest(v)]))
}

/** Appends a config.change entry when a section differs from the last one recorded; null when none does. */
export function auditConfigChange(accounts: AccountStore, cfg: object): AuditEntry | null {
  const sections = sectionDigests(cfg)
  const last = accounts.lastAudit(CONFIG_CHANGE)?.detail?.sections as Record<string, string> | undefined
  const changed = Object.keys({ ...sections, ...last }).filter((k) => sections[k] !== last?.[k]).sort()
  if (changed.length === 0) return null
  return accounts.audit({ actor: null, action: CONFIG_CHANGE, target: 'broker', detail: { changed, sections } })
}
