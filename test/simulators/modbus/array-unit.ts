// A ModbusUnit on plain arrays, shared by the server tests: what it holds is what a client must see.
import { ModbusException } from '../../../simulators/modbus/device.ts'
import type { BitArea, ModbusExceptionCode, ModbusUnit, RegisterArea, WireBehaviour } from '../../../simulators/modbus/device.ts'

export class ArrayUnit implements ModbusUnit {
  readonly coils: boolean[]
  readonly discrete: boolean[]
  readonly holding: number[]
  readonly input: number[]
  behaviour: WireBehaviour = { mode: 'ok' }

  constructor(size = 100, seed = 0) {
    this.coils = Array.from({ length: size }, (_, i) => (i + seed) % 3 === 0)
    this.discrete = Array.from({ length: size }, (_, i) => (i + seed) % 2 === 0)
    this.holding = Array.from({ length: size }, (_, i) => (seed * 1000 + i) & 0xffff)
    this.input = Array.from({ length: size }, (_, i) => (seed * 1000 + 500 + i) & 0xffff)
  }

  readBits(area: BitArea, address: number, count: number): boolean[] | ModbusExceptionCode {
    const bits = area === 'coil' ? this.coils : this.discrete
    if (address + count > bits.length) return ModbusException.IllegalDataAddress
    return bits.slice(address, address + count)
  }

  readRegisters(area: RegisterArea, address: number, count: number): number[] | ModbusExceptionCode {
    const regs = area === 'holding' ? this.holding : this.input
    if (address + count > regs.length) return ModbusException.IllegalDataAddress
    return regs.slice(address, address + count)
  }

  writeCoils(address: number, values: readonly boolean[]): ModbusExceptionCode | undefined {
    if (address + values.length > this.coils.length) return ModbusException.IllegalDataAddress
    values.forEach((v, i) => (this.coils[address + i] = v))
    return undefined
  }

  writeRegisters(address: number, values: readonly number[]): ModbusExceptionCode | undefined {
    if (address + values.length > this.holding.length) return ModbusException.IllegalDataAddress
    values.forEach((v, i) => (this.holding[address + i] = v))
    return undefined
  }

  wire(): WireBehaviour {
    return this.behaviour
  }
}
