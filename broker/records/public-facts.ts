// What a car's public page shows (docs/domain.md, Public disclosure and residents): the
// registration and rescue codes, where it is, its use unit and maintenance unit with their duty
// phones (organisations only: no person's name or phone), the last maintenance seen, the next
// inspection, and whether it is in service now. Pure over the deps it reads.
import type { RecordsDeps } from './types.ts'

export type ServiceState = 'in_service' | 'stopped' | 'unknown'

export const SERVICE_ZH: Readonly<Record<ServiceState, { zh: string; en: string }>> = {
  in_service: { zh: '正常运行', en: 'In service' },
  stopped: { zh: '暂停使用', en: 'Out of service' },
  unknown: { zh: '状态未知', en: 'Status unknown' },
}

export interface PublicFacts {
  readonly registrationCode: string
  readonly rescueCode: string
  readonly address: string
  readonly building?: string
  readonly useUnit?: { readonly name: string; readonly dutyPhone?: string }
  readonly maintenance?: { readonly name: string; readonly dutyPhone?: string }
  /** the last maintenance seen: a visit's date, 'now' (on site), 'overdue', or unknown */
  readonly lastMaintenance: { readonly kind: 'visit'; readonly at: number } | { readonly kind: 'now' | 'overdue' | 'unknown' }
  /** YYYY-MM-DD, the registry's */
  readonly nextInspection?: string
  readonly service: ServiceState
}

type FactDeps = Pick<RecordsDeps, 'registry' | 'parties' | 'alarms' | 'live'>

const SERVICE_MODES = new Set(['maintenance', 'inspection'])
// the maintenance_overdue alarms are few; the newest of the car's recent alarms is enough
const ALARM_SCAN = 500

function organisation(deps: FactDeps, id: string | undefined): PublicFacts['useUnit'] {
  if (!id) return undefined
  const o = deps.parties().organisation(id)
  if (!o) return undefined
  return { name: o.name, ...(o.dutyPhone ? { dutyPhone: o.dutyPhone } : {}) }
}

/**
 * The last maintenance seen, from what the broker knows (it keeps no history of modes): the car in
 * maintenance or inspection mode now; else the newest 维保超期 alarm of the car — active: overdue;
 * cleared: the visit that cleared it (its evidence's visitFrom, else when it cleared); else unknown.
 */
function lastMaintenance(deps: FactDeps, elevatorId: string, mode: string | undefined): PublicFacts['lastMaintenance'] {
  if (mode && SERVICE_MODES.has(mode)) return { kind: 'now' }
  const a = deps.alarms.list({ elevatorId, limit: ALARM_SCAN }).find((x) => x.type === 'maintenance_overdue' && !x.drill)
  if (!a) return { kind: 'unknown' }
  if (a.state === 'raised') return { kind: 'overdue' }
  const from = a.evidence.visitFrom
  const at = typeof from === 'number' ? from : a.clearedAt
  return at ? { kind: 'visit', at } : { kind: 'unknown' }
}

/** In service unless offline/unknown (状态未知), or an active critical alarm or a mode other than normal (暂停使用). */
export function serviceState(live: ReturnType<RecordsDeps['live']>): ServiceState {
  if (live.availability !== 'online') return 'unknown'
  if (live.activeAlarms.some((a) => a.severity === 'critical' && !a.drill)) return 'stopped'
  const mode = live.telemetry?.mode
  if (!mode) return 'unknown'
  return mode === 'normal' ? 'in_service' : 'stopped'
}

export function publicFacts(deps: FactDeps, elevatorId: string): PublicFacts | null {
  const e = deps.registry.elevator(elevatorId)
  if (!e) return null
  const parties = deps.parties().elevator(elevatorId)
  const live = deps.live(elevatorId)
  const useUnit = organisation(deps, parties?.property ?? e.property)
  const maintenance = organisation(deps, parties?.maintenance ?? e.maintenance)
  return {
    registrationCode: e.registrationCode, rescueCode: e.rescueCode, address: e.address, ...(e.building ? { building: e.building } : {}),
    ...(useUnit ? { useUnit } : {}), ...(maintenance ? { maintenance } : {}),
    lastMaintenance: lastMaintenance(deps, elevatorId, live.telemetry?.mode),
    ...(e.nextInspection ? { nextInspection: e.nextInspection } : {}),
    service: serviceState(live),
  }
}
