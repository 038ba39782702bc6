// 维保超期 (docs/domain.md#fault-catalogue): no maintenance visit in the period, 15 days by default (TSG T5002's
// half-monthly maintenance). A visit is a session in inspection or maintenance mode that lasts
// 20 min. The period counts from the last visit, or from the first sample this instance saw.
import { Type } from '@sinclair/typebox'
import { MODES, type Mode } from '../protocol/index.ts'
import { conditionDetector, modesSetting, staleSetting } from './runtime/condition.ts'
import { isRecord, isTime } from './runtime/learned.ts'

const configSchema = Type.Object({
  periodMs: Type.Integer({ minimum: 3_600_000, default: 15 * 86_400_000, description: 'a maintenance visit at least this often' }),
  visitMs: Type.Integer({ minimum: 0, default: 1_200_000, description: 'an inspection or maintenance mode session this long is a visit' }),
  visitModes: modesSetting(['inspection', 'maintenance'], 'service modes a technician on site puts the car in'),
  staleAfterMs: staleSetting(),
  // overdue is a fact about the calendar, whatever the car is doing
  modes: modesSetting(MODES, 'service modes in which an overdue visit is an alarm'),
}, { additionalProperties: false })

interface Memo {
  /** when the current technician session began; null = none */
  readonly sessionStart: number | null
  /** the current session has lasted long enough to be a visit */
  readonly visiting: boolean
  /** the period counts from here: the end of the last visit, or the first sample seen */
  readonly periodStart: number | null
}

const inSession = (mode: Mode, visitModes: readonly Mode[]) => visitModes.includes(mode)

export const maintenanceOverdue = conditionDetector({
  id: 'maintenance-overdue',
  type: 'maintenance_overdue',
  configSchema,
  reads: 0,
  // a session under way counts its time; a visit restarts the period on every sample
  quiet: (m) => m.sessionStart === null && !m.visiting,
  memo: {
    initial: { sessionStart: null, visiting: false, periodStart: null } as Memo,
    next: (memo, t, _prev, cfg) => {
      // a session switching between inspection and maintenance is one visit; a short gap in the
      // data does not end it either
      const sessionStart = inSession(t.mode, cfg.visitModes) ? memo.sessionStart ?? t.ts : null
      const visiting = sessionStart !== null && t.ts - sessionStart >= cfg.visitMs
      // during a visit, and at the sample that ends it, the period starts again
      const fresh = visiting || (memo.visiting && sessionStart === null)
      const periodStart = fresh ? t.ts : memo.periodStart ?? t.ts
      // unchanged: the same memo, so the condition's state is not copied for it
      return sessionStart === memo.sessionStart && visiting === memo.visiting && periodStart === memo.periodStart ? memo
        : { sessionStart, visiting, periodStart }
    },
  },
  // the last visit survives a restart: a broker restarted weekly still sees a 15-day period pass
  learned: {
    version: 1,
    settings: ['visitMs', 'visitModes'],
    parse: (d) => (isRecord(d) && isTime(d.sessionStart) && typeof d.visiting === 'boolean' && isTime(d.periodStart)
      ? { sessionStart: d.sessionStart, visiting: d.visiting, periodStart: d.periodStart } : null),
  },
  // a visit under way ends the condition; the count lives in memo, so a gap does not restart it
  holds: (t, memo, cfg) => (memo.visiting || memo.periodStart === null ? null : {
    holdMs: cfg.periodMs, since: memo.periodStart, evidence: { lastVisitOrFirstSeen: memo.periodStart, mode: t.mode },
  }),
  clearedEvidence: (t, memo) => ({ visitFrom: memo.sessionStart, mode: t.mode }),
})
