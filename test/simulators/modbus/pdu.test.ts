import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { handlePdu, respond, Limits } from '../../../simulators/modbus/pdu.ts'
import { ArrayUnit } from './array-unit.ts'

const pdu = (...bytes: number[]): Buffer => Buffer.from(bytes)
const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff]
const read = (fc: number, address: number, count: number): Buffer => pdu(fc, ...u16(address), ...u16(count))
const hex = (b: Buffer): string => b.toString('hex')

function writeCoilsPdu(address: number, count: number, byteCount = (count + 7) >> 3): Buffer {
  return pdu(0x0f, ...u16(address), ...u16(count), byteCount, ...new Array<number>(byteCount).fill(0))
}
function writeRegsPdu(address: number, count: number, byteCount = 2 * count): Buffer {
  return pdu(0x10, ...u16(address), ...u16(count), byteCount, ...new Array<number>(byteCount).fill(0))
}

describe('handlePdu reads', () => {
  it('FC01 packs coils LSB first, zero-padding the last byte', () => {
    const unit = new ArrayUnit(20)
    unit.coils.fill(false)
    unit.coils[0] = unit.coils[3] = unit.coils[8] = unit.coils[9] = true
    expect(hex(handlePdu(unit, read(0x01, 0, 10)))).toBe('01020903')
  })

  it('FC02 reads discrete inputs from their own area', () => {
    const unit = new ArrayUnit(20)
    unit.discrete.fill(true)
    unit.coils.fill(false)
    expect(hex(handlePdu(unit, read(0x02, 4, 3)))).toBe('020107')
  })

  it('FC03 and FC04 answer big-endian registers from holding and input', () => {
    const unit = new ArrayUnit(10)
    unit.holding[1] = 0x1234
    unit.holding[2] = 0xabcd
    unit.input[1] = 0x0001
    expect(hex(handlePdu(unit, read(0x03, 1, 2)))).toBe('03041234abcd')
    expect(hex(handlePdu(unit, read(0x04, 1, 1)))).toBe('04020001')
  })

  it('the register quantity is limited to 125 and the bit quantity to 2000 (exception 03)', () => {
    const unit = new ArrayUnit(4000)
    expect(handlePdu(unit, read(0x03, 0, Limits.readRegisters))[1]).toBe(250)
    expect(hex(handlePdu(unit, read(0x03, 0, Limits.readRegisters + 1)))).toBe('8303')
    expect(hex(handlePdu(unit, read(0x04, 0, 0)))).toBe('8403')
    expect(handlePdu(unit, read(0x01, 0, Limits.readBits))[1]).toBe(250)
    expect(hex(handlePdu(unit, read(0x01, 0, Limits.readBits + 1)))).toBe('8103')
    expect(hex(handlePdu(unit, read(0x02, 0, 0)))).toBe('8203')
  })

  it('a range past 0xFFFF is exception 02 before the unit is asked', () => {
    const unit = new ArrayUnit(10)
    expect(hex(handlePdu(unit, read(0x03, 0xffff, 2)))).toBe('8302')
    expect(hex(handlePdu(unit, read(0x01, 0xfff0, 17)))).toBe('8102')
  })

  it('passes on the exception the unit returns', () => {
    const unit = new ArrayUnit(10)
    expect(hex(handlePdu(unit, read(0x03, 9, 2)))).toBe('8302')
    unit.readRegisters = () => 0x06
    expect(hex(handlePdu(unit, read(0x04, 0, 1)))).toBe('8406')
  })

  it('a unit that returns fewer values than asked is a device failure (04)', () => {
    const unit = new ArrayUnit(10)
    unit.readRegisters = () => [1]
    unit.readBits = () => [true]
    expect(hex(handlePdu(unit, read(0x03, 0, 2)))).toBe('8304')
    expect(hex(handlePdu(unit, read(0x01, 0, 2)))).toBe('8104')
  })

  it('a read PDU of the wrong length is exception 03', () => {
    expect(hex(handlePdu(new ArrayUnit(), pdu(0x03, 0, 0, 0)))).toBe('8303')
  })
})

describe('handlePdu writes', () => {
  it('FC05 writes one coil and echoes the request; values other than FF00/0000 are 03', () => {
    const unit = new ArrayUnit(10)
    unit.coils.fill(false)
    expect(hex(handlePdu(unit, pdu(0x05, 0, 7, 0xff, 0)))).toBe('050007ff00')
    expect(unit.coils[7]).toBe(true)
    expect(hex(handlePdu(unit, pdu(0x05, 0, 7, 0, 0)))).toBe('0500070000')
    expect(unit.coils[7]).toBe(false)
    expect(hex(handlePdu(unit, pdu(0x05, 0, 7, 0x12, 0x34)))).toBe('8503')
    expect(unit.coils[7]).toBe(false)
  })

  it('FC06 writes one register and echoes the request', () => {
    const unit = new ArrayUnit(10)
    expect(hex(handlePdu(unit, pdu(0x06, 0, 3, 0xbe, 0xef)))).toBe('060003beef')
    expect(unit.holding[3]).toBe(0xbeef)
    expect(hex(handlePdu(unit, pdu(0x06, 0, 30, 0, 1)))).toBe('8602')
  })

  it('FC15 unpacks coils LSB first and answers address and quantity', () => {
    const unit = new ArrayUnit(20)
    unit.coils.fill(false)
    // Application Protocol §6.11 example: 10 coils from 19 (here 2), bytes CD 01.
    expect(hex(handlePdu(unit, pdu(0x0f, 0, 2, 0, 10, 2, 0xcd, 0x01)))).toBe('0f0002000a')
    expect(unit.coils.slice(2, 12)).toEqual([true, false, true, true, false, false, true, true, true, false])
    expect(unit.coils[12]).toBe(false)
  })

  it('FC16 writes registers and answers address and quantity', () => {
    const unit = new ArrayUnit(10)
    expect(hex(handlePdu(unit, pdu(0x10, 0, 1, 0, 2, 4, 0, 0x0a, 0x01, 0x02)))).toBe('1000010002')
    expect(unit.holding.slice(1, 3)).toEqual([0x000a, 0x0102])
  })

  it('write quantities are limited to 1968 coils and 123 registers (exception 03)', () => {
    const unit = new ArrayUnit(4000)
    expect(hex(handlePdu(unit, writeCoilsPdu(0, Limits.writeCoils)))).toBe('0f000007b0')
    expect(hex(handlePdu(unit, writeCoilsPdu(0, Limits.writeCoils + 1, 246)))).toBe('8f03')
    expect(hex(handlePdu(unit, writeRegsPdu(0, Limits.writeRegisters)))).toBe('100000007b')
    expect(hex(handlePdu(unit, writeRegsPdu(0, Limits.writeRegisters + 1, 248 & 0xff)))).toBe('9003')
    expect(hex(handlePdu(unit, writeRegsPdu(0, 0)))).toBe('9003')
  })

  it('a byte count that disagrees with the quantity or the PDU length is exception 03', () => {
    const unit = new ArrayUnit(10)
    expect(hex(handlePdu(unit, writeCoilsPdu(0, 9, 1)))).toBe('8f03')
    expect(hex(handlePdu(unit, writeRegsPdu(0, 2, 3)))).toBe('9003')
    expect(hex(handlePdu(unit, pdu(0x10, 0, 0, 0, 1, 2, 0)))).toBe('9003')
    expect(hex(handlePdu(unit, pdu(0x10, 0, 0, 0)))).toBe('9003')
  })

  it('writes past the unit map are the unit exception 02 and change nothing', () => {
    const unit = new ArrayUnit(10)
    const before = [...unit.holding]
    expect(hex(handlePdu(unit, pdu(0x10, 0, 9, 0, 2, 4, 0, 1, 0, 2)))).toBe('9002')
    expect(unit.holding).toEqual(before)
  })
})

describe('handlePdu other', () => {
  it('an unknown function code is exception 01', () => {
    expect(hex(handlePdu(new ArrayUnit(), pdu(0x2b, 0x0e, 1, 0)))).toBe('ab01')
    expect(hex(handlePdu(new ArrayUnit(), pdu(0x17)))).toBe('9701')
  })

  it('respond leaves room for a transport header and trailer and reads a slice of a bigger buffer', () => {
    const unit = new ArrayUnit(10)
    const frame = Buffer.from([0xaa, 0xbb, 0x03, 0, 1, 0, 1, 0xcc])
    const out = respond(unit, frame, 2, 7, 3, 2)
    expect(out.length).toBe(3 + 4 + 2)
    expect(hex(out.subarray(3, 7))).toBe('03020001')
  })

  it('any FC03 read inside the map returns exactly the unit registers', () => {
    const unit = new ArrayUnit(300, 7)
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 299 }), fc.integer({ min: 1, max: 125 }), (address, count) => {
        const out = handlePdu(unit, read(0x03, address, count))
        if (address + count > 300) return hex(out) === '8302'
        const values = Array.from({ length: count }, (_, i) => out.readUInt16BE(2 + 2 * i))
        return out[1] === 2 * count && values.join() === unit.holding.slice(address, address + count).join()
      }),
    )
  })
})
