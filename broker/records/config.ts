// The broker's `records` section (docs/records.md): the limits the county sets for its records,
// each with the default docs/domain.md gives. Every key is optional.
import { Type, type Static } from '@sinclair/typebox'

const Num = (min: number, max: number, description: string) => Type.Optional(Type.Number({ minimum: min, maximum: max, description }))

export const RecordsConfigSchema = Type.Object({
  hazards: Type.Optional(Type.Object({
    majorDays: Num(1, 365, 'days to rectify a major hazard (default 7)'),
    generalDays: Num(1, 365, 'days to rectify a general hazard (default 30)'),
    repeatCount: Num(2, 100, 'a major fault repeated this many times … (default 3)'),
    repeatDays: Num(1, 365, '… within this many days registers a hazard (default 30)'),
    escalateEveryHours: Num(1, 24 * 30, 'an overdue hazard is told again this often (default 24)'),
  }, { additionalProperties: false })),
  patrols: Type.Optional(Type.Object({
    everyDays: Num(1, 365, 'each elevator is patrolled this often (default 30: monthly)'),
    linkDays: Num(1, 366, "a grid administrator's patrol link works this long (default 31)"),
  }, { additionalProperties: false })),
  complaints: Type.Optional(Type.Object({
    ackHours: Num(1, 24 * 30, "a resident's report is acknowledged within (default 24)"),
    resolveDays: Num(1, 365, '… and resolved within (default 7)'),
    perAddressMinute: Num(1, 1000, 'reports per client address and minute (default 5)'),
    perAddressDay: Num(1, 100_000, 'reports per client address and day (default 20)'),
    perCarHour: Num(1, 100_000, 'reports per car and hour (default 30)'),
  }, { additionalProperties: false })),
  due: Type.Optional(Type.Object({
    warnDays: Num(1, 365, 'warn this many days before the periodic inspection (default 30)'),
    drillEveryDays: Num(1, 3650, 'an emergency drill per elevator at least this often (default 182)'),
  }, { additionalProperties: false })),
}, { additionalProperties: false, default: {} })
export type RecordsConfig = Static<typeof RecordsConfigSchema>
