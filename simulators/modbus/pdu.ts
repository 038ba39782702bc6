// Request PDU → response PDU for the function codes a lift controller needs. Pure: the only
// side effects are the unit's own reads and writes. Section numbers cite the Modbus Application
// Protocol Specification V1.1b3.
import { ModbusException } from './device.ts'
import type { ModbusUnit } from './device.ts'

export const FunctionCode = {
  ReadCoils: 0x01,
  ReadDiscreteInputs: 0x02,
  ReadHoldingRegisters: 0x03,
  ReadInputRegisters: 0x04,
  WriteSingleCoil: 0x05,
  WriteSingleRegister: 0x06,
  WriteMultipleCoils: 0x0f,
  WriteMultipleRegisters: 0x10,
} as const

// Quantity limits of §6.1–6.4, §6.11 and §6.12: the largest that fits a 253-byte PDU.
export const Limits = {
  readBits: 2000,
  readRegisters: 125,
  writeCoils: 1968,
  writeRegisters: 123,
} as const

// §7: an exception response echoes the function code with its high bit set.
const EXCEPTION_FLAG = 0x80
const ADDRESS_SPACE = 0x10000

export function handlePdu(unit: ModbusUnit, pdu: Buffer): Buffer {
  return respond(unit, pdu, 0, pdu.length, 0, 0)
}

/**
 * Answers the request PDU `req[start, end)` into one new buffer with `head` spare bytes before
 * the response PDU and `tail` after it, so a transport adds its MBAP header or RTU address and
 * CRC in place instead of copying. Throws only if the unit throws.
 */
export function respond(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  if (end <= start) return exceptionFrame(0, ModbusException.IllegalFunction, head, tail)
  const fc = req[start]!
  switch (fc) {
    case FunctionCode.ReadCoils:
    case FunctionCode.ReadDiscreteInputs:
      return readBits(unit, req, start, end, head, tail)
    case FunctionCode.ReadHoldingRegisters:
    case FunctionCode.ReadInputRegisters:
      return readRegisters(unit, req, start, end, head, tail)
    case FunctionCode.WriteSingleCoil:
      return writeSingleCoil(unit, req, start, end, head, tail)
    case FunctionCode.WriteSingleRegister:
      return writeSingleRegister(unit, req, start, end, head, tail)
    case FunctionCode.WriteMultipleCoils:
      return writeMultipleCoils(unit, req, start, end, head, tail)
    case FunctionCode.WriteMultipleRegisters:
      return writeMultipleRegisters(unit, req, start, end, head, tail)
    default:
      return exceptionFrame(fc, ModbusException.IllegalFunction, head, tail)
  }
}

export function exceptionFrame(fc: number, code: number, head: number, tail: number): Buffer {
  const out = Buffer.allocUnsafe(head + 2 + tail)
  out[head] = (fc | EXCEPTION_FLAG) & 0xff
  out[head + 1] = code
  return out
}

export function isException(frame: Buffer, pduOffset: number): boolean {
  return (frame[pduOffset]! & EXCEPTION_FLAG) !== 0
}

// §6.1, §6.2: quantity first (03), then address range (02), then the unit's own answer.
function readBits(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const fc = req[start]!
  if (end - start !== 5) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const address = req.readUInt16BE(start + 1)
  const count = req.readUInt16BE(start + 3)
  if (count < 1 || count > Limits.readBits) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  if (address + count > ADDRESS_SPACE) return exceptionFrame(fc, ModbusException.IllegalDataAddress, head, tail)
  const bits = unit.readBits(fc === FunctionCode.ReadCoils ? 'coil' : 'discrete', address, count)
  if (typeof bits === 'number') return exceptionFrame(fc, bits, head, tail)
  if (bits.length < count) return exceptionFrame(fc, ModbusException.ServerDeviceFailure, head, tail)

  const bytes = (count + 7) >>> 3
  const out = Buffer.allocUnsafe(head + 2 + bytes + tail)
  const data = head + 2
  out[head] = fc
  out[head + 1] = bytes
  out.fill(0, data, data + bytes)
  // §6.1: LSB of the first data byte is the first bit asked for.
  for (let i = 0; i < count; i++) if (bits[i]) out[data + (i >>> 3)]! |= 1 << (i & 7)
  return out
}

// §6.3, §6.4
function readRegisters(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const fc = req[start]!
  if (end - start !== 5) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const address = req.readUInt16BE(start + 1)
  const count = req.readUInt16BE(start + 3)
  if (count < 1 || count > Limits.readRegisters) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  if (address + count > ADDRESS_SPACE) return exceptionFrame(fc, ModbusException.IllegalDataAddress, head, tail)
  const area = fc === FunctionCode.ReadHoldingRegisters ? 'holding' : 'input'
  const values = unit.readRegisters(area, address, count)
  if (typeof values === 'number') return exceptionFrame(fc, values, head, tail)
  if (values.length < count) return exceptionFrame(fc, ModbusException.ServerDeviceFailure, head, tail)

  const out = Buffer.allocUnsafe(head + 2 + 2 * count + tail)
  out[head] = fc
  out[head + 1] = 2 * count
  let o = head + 2
  for (let i = 0; i < count; i++) {
    // Masking keeps negative (int16) values in two's complement rather than throwing.
    const v = values[i]!
    out[o++] = (v >>> 8) & 0xff
    out[o++] = v & 0xff
  }
  return out
}

// §6.5: the value is 0xFF00 (on) or 0x0000 (off); anything else is 03. The reply echoes the request.
function writeSingleCoil(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const fc = req[start]!
  if (end - start !== 5) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const value = req.readUInt16BE(start + 3)
  if (value !== 0xff00 && value !== 0x0000) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const code = unit.writeCoils(req.readUInt16BE(start + 1), [value === 0xff00])
  return code === undefined ? echo(req, start, end, head, tail) : exceptionFrame(fc, code, head, tail)
}

// §6.6: the reply echoes the request.
function writeSingleRegister(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const fc = req[start]!
  if (end - start !== 5) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const code = unit.writeRegisters(req.readUInt16BE(start + 1), [req.readUInt16BE(start + 3)])
  return code === undefined ? echo(req, start, end, head, tail) : exceptionFrame(fc, code, head, tail)
}

// §6.11: byte count must equal ceil(quantity / 8) and match the bytes actually sent.
function writeMultipleCoils(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const fc = req[start]!
  if (end - start < 6) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const address = req.readUInt16BE(start + 1)
  const count = req.readUInt16BE(start + 3)
  const byteCount = req[start + 5]!
  if (count < 1 || count > Limits.writeCoils || byteCount !== (count + 7) >>> 3 || end - start !== 6 + byteCount) {
    return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  }
  if (address + count > ADDRESS_SPACE) return exceptionFrame(fc, ModbusException.IllegalDataAddress, head, tail)
  const values = new Array<boolean>(count)
  const data = start + 6
  for (let i = 0; i < count; i++) values[i] = (req[data + (i >>> 3)]! & (1 << (i & 7))) !== 0
  const code = unit.writeCoils(address, values)
  return code === undefined ? echo(req, start, start + 5, head, tail) : exceptionFrame(fc, code, head, tail)
}

// §6.12: byte count must equal 2 × quantity and match the bytes actually sent.
function writeMultipleRegisters(unit: ModbusUnit, req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const fc = req[start]!
  if (end - start < 6) return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  const address = req.readUInt16BE(start + 1)
  const count = req.readUInt16BE(start + 3)
  const byteCount = req[start + 5]!
  if (count < 1 || count > Limits.writeRegisters || byteCount !== 2 * count || end - start !== 6 + byteCount) {
    return exceptionFrame(fc, ModbusException.IllegalDataValue, head, tail)
  }
  if (address + count > ADDRESS_SPACE) return exceptionFrame(fc, ModbusException.IllegalDataAddress, head, tail)
  const values = new Array<number>(count)
  for (let i = 0; i < count; i++) values[i] = req.readUInt16BE(start + 6 + 2 * i)
  const code = unit.writeRegisters(address, values)
  return code === undefined ? echo(req, start, start + 5, head, tail) : exceptionFrame(fc, code, head, tail)
}

// Writes answer with the first bytes of their own request (function code, address, value or quantity).
function echo(req: Buffer, start: number, end: number, head: number, tail: number): Buffer {
  const out = Buffer.allocUnsafe(head + (end - start) + tail)
  req.copy(out, head, start, end)
  return out
}
