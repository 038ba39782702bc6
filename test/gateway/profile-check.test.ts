// Profile mistakes that used to load and then misbehave in silence: each is now an error or a
// warning at load, naming the file, the point and the key (gateway/profile-check.ts,
// protocol/validate.ts). Temp files only: no peers.
import { describe, expect, it } from 'vitest'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { decode, encode, type Profile } from '../../protocol/index.ts'
import { builtinProfiles, loadProfileChecked } from '../../gateway/profiles.ts'

const dir = mkdtempSync(join(tmpdir(), 'lw-profile-check-'))
let n = 0
/** A profile file with these points (and top-level keys); returns its path. */
function profileFile(points: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const file = join(dir, `p${n++}.yaml`)
  writeFileSync(file, stringify({ name: 'check', description: 'profile check test', addressBase: 0, points, ...extra }))
  return file
}
/** The problem lines of a profile that must not load. */
function loadErrors(file: string): string[] {
  try {
    loadProfileChecked(file)
  } catch (err) {
    return (err as Error).message.split('\n')
  }
  throw new Error(`${file} loaded`)
}
const door = { doorClosed: { area: 'discrete', address: 0, type: 'bool' } }

describe('profile load: mistakes are errors or warnings, naming file, point and key', () => {
  it('bits with width 1 on a true/false signal is an error (it decoded to a number: door unknown)', () => {
    const file = profileFile({ doorClosed: { area: 'holding', address: 0, type: 'bits', bit: 3, width: 1 } })
    expect(loadErrors(file)).toEqual([
      `${file}: invalid profile`,
      '  points.doorClosed.type: doorClosed is true/false: use bit (a register bit) or bool (a coil or discrete input), not bits (bits decodes to a number, which the gateway ignores)',
    ])
  })

  it('a misnamed point (doorzone) is an error that names the point it means; other unknown names are warnings', () => {
    const file = profileFile({ ...door, doorzone: { area: 'discrete', address: 1, type: 'bool' } })
    expect(loadErrors(file)).toEqual([
      `${file}: invalid profile`,
      '  points.doorzone: not a point name the gateway knows, so it would never be polled: did you mean doorZone?',
    ])
    const extra = profileFile({ ...door, cabinTemperature: { area: 'input', address: 0, type: 'i16' } })
    expect(loadProfileChecked(extra).warnings).toEqual([
      `${extra}: points.cabinTemperature: not a point name the gateway knows: shown by probe and commission, never polled or published`,
    ])
  })

  it('scale 1 on an f32 is a warning, and no longer rounds the value to 0.1', () => {
    const points = { position: { area: 'input', address: 0, type: 'f32', order: 'CDAB', scale: 1 } }
    const file = profileFile(points)
    const { profile, warnings } = loadProfileChecked(file)
    expect(warnings).toEqual([`${file}: points.position.scale: 1 with no offset has no effect`])
    expect(decode(profile, encode(profile, { position: 12.345 }))).toEqual({ position: 12.345 })
    const mm: Profile = { ...profile, points: { position: { area: 'input', address: 0, type: 'f32', scale: 0.001 } } }
    expect(decode(mm, encode(mm, { position: 41.257 }))).toEqual({ position: 41.257 })
  })

  it('address 40101 (Modicon numbering) is an error that says what to write instead', () => {
    const file = profileFile({ ...door, floorIndex: { area: 'holding', address: 40101, type: 'u16' } })
    expect(loadErrors(file)).toEqual([
      `${file}: invalid profile`,
      '  points.floorIndex.address: 40101 looks like Modicon 4xxxx numbering: write 100 with addressBase 0 (or 101 with addressBase 1)',
    ])
    const input = profileFile({ ...door, load: { area: 'input', address: 30002, type: 'u16' } })
    expect(loadErrors(input)[1]).toBe('  points.load.address: 30002 looks like Modicon 3xxxx numbering: write 1 with addressBase 0 (or 2 with addressBase 1)')
  })

  it('a signed speed without a sign is a warning; a sign where it cannot mean a direction is an error', () => {
    const file = profileFile({ speed: { area: 'input', address: 0, type: 'i16', scale: 0.001 } })
    expect(loadProfileChecked(file).warnings).toEqual([
      `${file}: points.speed.sign: speed is i16, so it may be negative: say what that means (down-negative, up-negative or abs); taken as down-negative`,
    ])
    expect(loadProfileChecked(profileFile({ speed: { area: 'input', address: 0, type: 'i16', sign: 'down-negative' } })).warnings).toEqual([])
    expect(loadErrors(profileFile({ speed: { area: 'input', address: 0, type: 'u16', sign: 'down-negative' } }))[1])
      .toBe('  points.speed.sign: a u16 is never negative: sign needs i16, i32 or f32')
    expect(loadErrors(profileFile({ position: { area: 'input', address: 0, type: 'i32', sign: 'abs' } }))[1])
      .toBe('  points.position.sign: only speed has a sign that means a direction')
  })

  it('an enum value that is not one of the field\'s states, a text where a number goes, a faultCodes type no controller reports', () => {
    expect(loadErrors(profileFile({ door: { area: 'input', address: 0, type: 'u16', enum: { 0: 'opened', 1: 'closed' } } }))[1])
      .toBe('  points.door.enum.0: "opened" is not a door: use one of open, opening, closing, closed, unknown')
    expect(loadErrors(profileFile({ floorIndex: { area: 'input', address: 0, type: 'string', length: 2 } }))[1])
      .toBe('  points.floorIndex.type: floorIndex is a number: use u16, i16, u32, i32, f32 or bits, not string')
    expect(loadErrors(profileFile(door, { faultCodes: { 7: 'communication_lost' } }))[1]).toMatch(/^ {2}faultCodes\.7: must be one of "entrapment", /)
  })

  it('the built-in profiles load with neither errors nor warnings', () => {
    for (const name of builtinProfiles()) expect(loadProfileChecked(name).warnings, name).toEqual([])
  })
})
