// One car served as a Modbus unit: its controller state encoded with the reference profile.
import { areaSizes, emptyImage, encode, liftwatchRef, type ControllerState, type Profile, type RegisterImage } from '../protocol/index.ts'
import { ModbusException, type BitArea, type ModbusExceptionCode, type ModbusUnit, type RegisterArea, type WireBehaviour } from './modbus/device.ts'

export interface UnitSource {
  /** Bumps whenever the car's state changes, so the encoded image is rebuilt only then. */
  version(): number
  state(): ControllerState
  extras(): Record<string, number>
  wire(): WireBehaviour
}

// Served sizes: reads may span the whole block a gateway coalesces (input registers 0–31 read 0
// past the last mapped register); beyond this the unit answers exception 02.
const SERVED = { coil: 16, discrete: 16, holding: 32, input: 32 } as const

export class CarUnit implements ModbusUnit {
  private image: RegisterImage = emptyImage()
  private builtAt = -1
  private readonly sizes: Record<keyof RegisterImage, number>
  private readonly dense: { holding: Uint16Array; input: Uint16Array; coil: boolean[]; discrete: boolean[] }

  constructor(private readonly source: UnitSource, private readonly profile: Profile = liftwatchRef) {
    const mapped = areaSizes(profile)
    this.sizes = {
      coil: Math.max(SERVED.coil, mapped.coil), discrete: Math.max(SERVED.discrete, mapped.discrete),
      holding: Math.max(SERVED.holding, mapped.holding), input: Math.max(SERVED.input, mapped.input),
    }
    this.dense = {
      holding: new Uint16Array(this.sizes.holding), input: new Uint16Array(this.sizes.input),
      coil: new Array<boolean>(this.sizes.coil).fill(false), discrete: new Array<boolean>(this.sizes.discrete).fill(false),
    }
  }

  private refresh(): void {
    const v = this.source.version()
    if (v === this.builtAt) return
    this.image = encode(this.profile, { ...this.source.state(), ...this.source.extras() }, emptyImage())
    for (const area of ['holding', 'input'] as const) {
      const d = this.dense[area]
      d.fill(0)
      this.image[area].forEach((r, i) => { if (r !== undefined) d[i] = r })
    }
    for (const area of ['coil', 'discrete'] as const) {
      const d = this.dense[area]
      d.fill(false)
      this.image[area].forEach((b, i) => { if (b !== undefined) d[i] = b })
    }
    this.builtAt = v
  }

  readBits(area: BitArea, address: number, count: number): boolean[] | ModbusExceptionCode {
    if (address + count > this.sizes[area]) return ModbusException.IllegalDataAddress
    this.refresh()
    return this.dense[area].slice(address, address + count)
  }

  readRegisters(area: RegisterArea, address: number, count: number): ArrayLike<number> | ModbusExceptionCode {
    if (address + count > this.sizes[area]) return ModbusException.IllegalDataAddress
    this.refresh()
    return this.dense[area].subarray(address, address + count)
  }

  // A monitoring terminal never controls the lift (GB/T 42616): the reference controller
  // refuses writes.
  writeCoils(): ModbusExceptionCode { return ModbusException.IllegalFunction }
  writeRegisters(): ModbusExceptionCode { return ModbusException.IllegalFunction }

  wire(): WireBehaviour { return this.source.wire() }
}
