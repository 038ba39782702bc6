// What the Modbus servers (TCP and RTU) serve: one unit per car, resolved by unit id.
import { errorClass, type CodeOf } from '../../core/errors.ts'

export type BitArea = 'coil' | 'discrete'
export type RegisterArea = 'holding' | 'input'

/** Modbus exception codes (Modbus Application Protocol v1.1b3, §7). */
export const ModbusException = {
  IllegalFunction: 0x01,
  IllegalDataAddress: 0x02,
  IllegalDataValue: 0x03,
  ServerDeviceFailure: 0x04,
  ServerDeviceBusy: 0x06,
  GatewayTargetFailed: 0x0b,
} as const
export type ModbusExceptionCode = (typeof ModbusException)[keyof typeof ModbusException]

/** How the unit behaves on the wire right now (fault scenarios set this). */
export type WireBehaviour =
  | { mode: 'ok' }
  | { mode: 'silent' }                                  // never answers
  | { mode: 'exception'; code: number }                  // answers every request with this exception
  | { mode: 'slow'; delayMs: number }                    // answers correctly after a delay

export interface ModbusUnit {
  /** Returns the bits, or an exception code (e.g. 0x02 for an address outside the map). */
  readBits(area: BitArea, address: number, count: number): boolean[] | ModbusExceptionCode
  readRegisters(area: RegisterArea, address: number, count: number): ArrayLike<number> | ModbusExceptionCode
  writeCoils(address: number, values: readonly boolean[]): ModbusExceptionCode | undefined
  writeRegisters(address: number, values: readonly number[]): ModbusExceptionCode | undefined
  wire(): WireBehaviour
}

/** undefined = no such unit: a TCP server answers exception 0x0B, an RTU server stays silent. */
export type UnitResolver = (unitId: number) => ModbusUnit | undefined

/** Error codes of the Modbus servers: one table for simulators/modbus (docs/architecture.md#conventions, rule 9). */
export const ModbusServerErrorCode = {
  BadFrame: 'LW_ERR_MODBUS_BAD_FRAME',     // MBAP header or RTU frame rejected
  UnitFailed: 'LW_ERR_MODBUS_UNIT_FAILED', // the unit or resolver threw; answered 0x04
  Transport: 'LW_ERR_MODBUS_TRANSPORT',    // socket, listener or serial port error
} as const
export type ModbusServerErrorCode = CodeOf<typeof ModbusServerErrorCode>

/** Where a server error happened; handed to `onError` next to the error. */
export interface ModbusErrorContext {
  transport: 'tcp' | 'rtu'
  remote?: string
  path?: string
  unitId?: number
}

export type ModbusErrorHandler = (err: ModbusServerError, ctx: ModbusErrorContext) => void

export class ModbusServerError extends errorClass('ModbusServerError', ModbusServerErrorCode) {}
