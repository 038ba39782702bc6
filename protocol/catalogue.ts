// The fault and event catalogue (docs/domain.md#fault-catalogue). Codes follow the provincial special-equipment
// platforms so exports map 1:1; our own types have no code.
export type Severity = 'critical' | 'major' | 'minor' | 'warning'

export interface CatalogueEntry {
  readonly type: string
  readonly code: string | null
  readonly zh: string
  readonly en: string
  readonly severity: Severity
}

export const CATALOGUE = [
  { type: 'entrapment', code: '11', zh: '困人', en: 'Passenger trapped', severity: 'critical' },
  { type: 'safety_circuit_open', code: '01', zh: '运行中安全回路断路', en: 'Safety circuit opened during a trip', severity: 'major' },
  { type: 'door_close_fault', code: '02', zh: '关门故障', en: 'Door fails to close', severity: 'major' },
  { type: 'door_open_fault', code: '03', zh: '开门故障', en: 'Door fails to open', severity: 'major' },
  { type: 'stop_outside_door_zone', code: '04', zh: '门区外停梯', en: 'Stopped outside the door zone', severity: 'major' },
  { type: 'unintended_movement', code: '05', zh: '轿厢意外移动', en: 'Unintended car movement', severity: 'critical' },
  { type: 'door_open_while_running', code: null, zh: '运行中开门', en: 'Door opened while running', severity: 'critical' },
  { type: 'runtime_limit', code: '06', zh: '电动机运转时间限制器动作', en: 'Motor runtime limiter', severity: 'major' },
  { type: 'floor_lost', code: '07', zh: '楼层位置丢失', en: 'Floor position lost', severity: 'major' },
  { type: 'restart_prevented', code: '08', zh: '防止电梯再运行故障', en: 'Restart prevented', severity: 'major' },
  { type: 'overtravel_top', code: '09', zh: '冲顶', en: 'Overtravel at the top', severity: 'critical' },
  { type: 'overtravel_bottom', code: '10', zh: '蹲底', en: 'Overtravel at the bottom', severity: 'critical' },
  { type: 'overspeed', code: null, zh: '超速', en: 'Overspeed', severity: 'critical' },
  { type: 'power_failure', code: '41', zh: '停电', en: 'Power failure', severity: 'major' },
  { type: 'alarm_button', code: '90', zh: '报警按钮', en: 'Alarm button pressed', severity: 'major' },
  { type: 'door_open_too_long', code: null, zh: '长时间开门', en: 'Door open too long', severity: 'minor' },
  { type: 'repeated_door_reopen', code: null, zh: '反复开关门', en: 'Repeated door reopening', severity: 'minor' },
  { type: 'communication_lost', code: null, zh: '通讯中断', en: 'Communication lost', severity: 'major' },
  { type: 'long_idle', code: null, zh: '长时间未运行', en: 'Long idle', severity: 'warning' },
  { type: 'anomaly', code: null, zh: '运行异常趋势', en: 'Operating anomaly', severity: 'warning' },
  { type: 'maintenance_overdue', code: null, zh: '维保超期', en: 'Maintenance overdue', severity: 'warning' },
] as const satisfies readonly CatalogueEntry[]

export type AlarmType = (typeof CATALOGUE)[number]['type']
export const ALARM_TYPES: readonly AlarmType[] = CATALOGUE.map((e) => e.type)

const byType = new Map<string, CatalogueEntry>(CATALOGUE.map((e) => [e.type, e]))
export function catalogueEntry(type: AlarmType): CatalogueEntry {
  return byType.get(type) as CatalogueEntry
}
export const isAlarmType = (s: string): s is AlarmType => byType.has(s)
