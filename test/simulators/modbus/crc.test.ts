import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { crc16 } from '../../../simulators/modbus/crc.ts'

// The bit-by-bit definition of Modbus over Serial Line V1.02 §6.2.2, to check the table against.
function crcBitwise(bytes: Uint8Array): number {
  let crc = 0xffff
  for (const byte of bytes) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1
  }
  return crc
}

describe('crc16', () => {
  it('matches known frames (CRC sent low byte first)', () => {
    // Read 10 holding registers from unit 1: 01 03 00 00 00 0A C5 CD.
    expect(crc16(Buffer.from('01030000000a', 'hex'))).toBe(0xcdc5)
    // Standard check value of CRC-16/MODBUS for ASCII "123456789".
    expect(crc16(Buffer.from('123456789'))).toBe(0x4b37)
  })

  it('honours start and end', () => {
    const buf = Buffer.from('ff01030000000aff', 'hex')
    expect(crc16(buf, 1, 7)).toBe(0xcdc5)
  })

  it('agrees with the bitwise definition, and a frame with its CRC appended checks to zero', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        const crc = crc16(bytes)
        const framed = Buffer.concat([bytes, Buffer.from([crc & 0xff, crc >>> 8])])
        return crc === crcBitwise(bytes) && crc16(framed) === 0
      }),
    )
  })
})
