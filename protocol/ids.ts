// Identifier rules of the v1 wire contract (docs/protocol.md#identifiers, docs/domain.md#identifiers).
export const ELEVATOR_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'
export const GATEWAY_ID_PATTERN = ELEVATOR_ID_PATTERN
// 6-digit administrative division code of the county or district, e.g. 330922.
export const REGION_PATTERN = '^[0-9]{6}$'

const elevatorIdRe = new RegExp(ELEVATOR_ID_PATTERN)
const regionRe = new RegExp(REGION_PATTERN)

export const isElevatorId = (s: string): boolean => elevatorIdRe.test(s)
export const isGatewayId = isElevatorId
export const isRegion = (s: string): boolean => regionRe.test(s)

/**
 * 电梯注册代码: 4-digit equipment category + 6-digit region + 6-digit year-month + 4-digit sequence.
 */
export function registrationCode(category: string, region: string, yearMonth: string, seq: number): string {
  return `${category}${region}${yearMonth}${String(seq).padStart(4, '0')}`
}
