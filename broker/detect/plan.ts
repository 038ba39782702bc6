// Change-driven dispatch in the engine's per-elevator loop (docs/detectors-benchmark.md#issue-14-round-2-dispatch-in-the-engine):
// what each detector of a group reads, and after how long a repeat no longer counts, in typed
// arrays shared by every group whose detectors have the same dispatch rules. With the group's
// cells (driver.ts `SharedLink`: each driver's wake-up time and whether it must see the next
// live sample), a live sample that changes none of a detector's fields is skipped here, without
// a call to its driver: the same test the driver makes (driver.ts `skips`), made from arrays.
import type { Dispatch } from '../../detectors/runtime/types.ts'
import { F } from '../../detectors/runtime/link.ts'

/** One group's dispatch rules, by detector: shared by the groups with the same rules. */
export interface Plan {
  readonly dispatch: readonly (Dispatch | null)[]
  readonly reads: Int32Array
  /** a repeat this long after the previous sample is stepped; -Infinity = every sample is */
  readonly gapMs: Float64Array
  /** where the group's cells hold the detector's band (driver.ts SharedLink); -1 = none */
  readonly band: Int32Array
  /** the field banded (`F.position`, `F.speed`); 0 = none */
  readonly banded: Int32Array
}

/** distinct plans kept for sharing; groups past that many distinct configurations get their own */
const MAX_SHARED = 32

export class Plans {
  private readonly shared: Plan[] = []

  /** The plan for these rules (null: a detector stepped on every sample, or not running). */
  of(rules: readonly (Dispatch | null)[]): Plan {
    for (const p of this.shared) if (same(p.dispatch, rules)) return p
    const n = rules.length
    const plan: Plan = { dispatch: [...rules], reads: new Int32Array(n), gapMs: new Float64Array(n), band: new Int32Array(n), banded: new Int32Array(n) }
    // the bands follow the wake-up cells, in detector order, as the engine lays them out
    let band = 2 * n
    for (let k = 0; k < n; k++) {
      const d = rules[k]
      // a banded field is tested against the band, not as a change
      const banded = d?.band === F.position || d?.band === F.speed ? d.band : 0
      plan.reads[k] = d ? d.reads & ~banded : 0
      plan.gapMs[k] = d ? d.gapMs : -Infinity
      plan.band[k] = banded ? band : -1
      plan.banded[k] = banded
      if (banded) band += 2
    }
    if (this.shared.length < MAX_SHARED) this.shared.push(plan)
    return plan
  }
}

function same(a: readonly (Dispatch | null)[], b: readonly (Dispatch | null)[]): boolean {
  if (a.length !== b.length) return false
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false
  return true
}

/**
 * Whether detector `k` of a group may skip a live sample that changed `changed`, came `dt` after
 * the previous one (the larger of the input's and the message's ts differences) at event time
 * `now`, with `cells` the group's driver cells; the cell already holds the detector's `idle`
 * verdict on a repeat of the previous sample (driver.ts `seen`).
 */
export const skippable = (plan: Plan, cells: number[], k: number, changed: number, dt: number, now: number): boolean =>
  cells[2 * k + 1] === 0 && (changed & plan.reads[k]!) === 0 && dt < plan.gapMs[k]! && now < cells[2 * k]!

/** Whether `value` is within the band at `b` of the cells (NaN bounds: never). */
export const inBand = (cells: number[], b: number, value: number | null): boolean =>
  value !== null && cells[b]! <= value && value <= cells[b + 1]!
