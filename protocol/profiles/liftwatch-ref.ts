// liftwatch-ref: the register map of LiftWatch's reference controller (the simulator).
// docs/register-map.md is generated from this object.
import type { Profile } from '../profile.ts'

const DOOR = { 0: 'unknown', 1: 'opening', 2: 'open', 3: 'closing', 4: 'closed' }
const DIRECTION = { 0: 'none', 1: 'up', 2: 'down' }
const MODE = {
  0: 'normal', 1: 'inspection', 2: 'maintenance', 3: 'fire', 4: 'fireman', 5: 'emergency_power',
  6: 'earthquake', 7: 'out_of_service', 255: 'unknown',
}
const POWER = { 0: 'mains', 1: 'battery', 2: 'off' }
const str = (o: Record<number, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v]))

export const liftwatchRef: Profile = {
  name: 'liftwatch-ref',
  description: 'LiftWatch reference controller, served by `liftwatch sim`; one unit id per car',
  addressBase: 0,
  points: {
    moving: { area: 'coil', address: 0, type: 'bool', description: 'run contactor energised (car in motion)' },
    doorZone: { area: 'discrete', address: 0, type: 'bool', description: 'door-zone sensor' },
    alarmButton: { area: 'discrete', address: 1, type: 'bool', description: 'in-car alarm button' },
    safetyCircuit: { area: 'discrete', address: 2, type: 'bool', description: 'safety chain closed' },
    upLimit: { area: 'discrete', address: 3, type: 'bool', description: 'up final limit acted' },
    downLimit: { area: 'discrete', address: 4, type: 'bool', description: 'down final limit acted' },
    occupied: {
      area: 'discrete', address: 5, type: 'bool', description: 'presence sensor; null when discrete input 6 (sensor fitted) is off',
      validIf: { area: 'discrete', address: 6 },
    },
    floorIndex: { area: 'input', address: 0, type: 'u16', description: 'landing index, 0 = lowest' },
    position: {
      area: 'input', address: 1, type: 'i32', order: 'CDAB', scale: 0.001, nullValue: 2147483647,
      description: 'car position in mm above the lowest landing, low word first; 0x7FFFFFFF = unknown',
    },
    speed: { area: 'input', address: 3, type: 'u16', scale: 0.001, nullValue: 65535, description: 'speed in mm/s; 0xFFFF = unknown' },
    load: { area: 'input', address: 4, type: 'u16', scale: 0.1, nullValue: 65535, description: 'load in 0.1 % of rated; 0xFFFF = no sensor' },
    door: { area: 'input', address: 5, type: 'bits', bit: 0, width: 3, enum: str(DOOR), description: 'status word bits 0–2: door state' },
    direction: { area: 'input', address: 5, type: 'bits', bit: 3, width: 2, enum: str(DIRECTION), description: 'status word bits 3–4: direction' },
    mode: { area: 'input', address: 6, type: 'u16', enum: str(MODE), description: 'service mode' },
    power: { area: 'input', address: 7, type: 'u16', enum: str(POWER), description: 'supply' },
    faultCode: { area: 'input', address: 8, type: 'u16', description: 'controller fault code, 0 = none' },
    floor: { area: 'input', address: 9, type: 'string', length: 4, description: 'floor label, ASCII, 2 characters per register, high byte first, NUL padded' },
    landings: { area: 'holding', address: 0, type: 'u16', description: 'number of landings (parameter)' },
    ratedSpeed: { area: 'holding', address: 1, type: 'u16', scale: 0.001, description: 'rated speed in mm/s (parameter)' },
    tripCount: { area: 'holding', address: 2, type: 'u32', order: 'ABCD', description: 'trips since commissioning, high word first' },
    mainLanding: { area: 'holding', address: 4, type: 'u16', description: 'main (fire recall) landing index (parameter)' },
  },
  // Only codes with no telemetry condition of their own: the rest are detected from the signals.
  faultCodes: { 81: 'restart_prevented' },
}
