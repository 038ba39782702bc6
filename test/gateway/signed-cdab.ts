// A controller layout nobody here wrote, as its manual numbers it (registers from 1): speed in mm/s
// with its sign (negative = down), 32-bit values low word first (CDAB). The reporter's unit tests
// and the python3-pymodbus acceptance test read the same layout; each names its own fault codes.
import type { Point, Profile } from '../../protocol/index.ts'

export function signedCdab(opts: { name: string; description: string; faultCodes: Profile['faultCodes']; extra?: Record<string, Point> }): Profile {
  return {
    name: opts.name,
    description: opts.description,
    addressBase: 1,
    points: {
      moving: { area: 'coil', address: 1, type: 'bool' },
      doorZone: { area: 'discrete', address: 1, type: 'bool' },
      ...opts.extra,
      floorIndex: { area: 'holding', address: 1, type: 'u16' },
      position: { area: 'holding', address: 2, type: 'f32', order: 'CDAB' },
      speed: { area: 'holding', address: 4, type: 'i32', order: 'CDAB', scale: 0.001, sign: 'down-negative' },
      door: { area: 'holding', address: 6, type: 'u16', enum: { 0: 'closed', 1: 'opening', 2: 'open', 3: 'closing' } },
      faultCode: { area: 'holding', address: 7, type: 'u16' },
      floor: { area: 'holding', address: 8, type: 'string', length: 8 },
    },
    faultCodes: opts.faultCodes,
  }
}
