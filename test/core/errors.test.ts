// core/errors.ts: a module's error class from its code table.
import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { Writable } from 'node:stream'
import { CoreError, CoreErrorCode, errorClass } from '../../core/errors.ts'

const PumpCode = { Stuck: 'LW_ERR_PUMP_STUCK', Dry: 'LW_ERR_PUMP_DRY' } as const
class PumpError extends errorClass('PumpError', PumpCode) {}
class OtherError extends errorClass('OtherError', { X: 'LW_ERR_X' }) {}

describe('errorClass', () => {
  it('makes an Error with code, message, data and cause, named for pino', () => {
    const cause = new Error('gear')
    const e = new PumpError(PumpCode.Stuck, 'pump stuck', { unitId: 4 }, cause)
    expect(e).toBeInstanceOf(PumpError)
    expect(e).toBeInstanceOf(Error)
    expect(e).not.toBeInstanceOf(OtherError)
    expect(e).toMatchObject({ code: 'LW_ERR_PUMP_STUCK', message: 'pump stuck', data: { unitId: 4 }, cause, name: 'PumpError' })
    const plain = new PumpError(PumpCode.Dry, 'dry')
    expect(plain.data).toEqual({})
    expect('cause' in plain).toBe(false)
    expect(String(e.stack)).toMatch(/^PumpError: pump stuck/)
  })

  it('is logged by pino with its type, code and data', () => {
    const lines: string[] = []
    const log = pino(new Writable({ write(c: Buffer, _e, done) { lines.push(c.toString()); done() } }))
    log.error({ err: new PumpError(PumpCode.Dry, 'dry', { unitId: 2 }) }, 'failed')
    expect(JSON.parse(lines[0]!).err).toMatchObject({ type: 'PumpError', code: 'LW_ERR_PUMP_DRY', data: { unitId: 2 }, message: 'dry' })
  })

  it('core has its own table', () => {
    expect(new CoreError(CoreErrorCode.Sqlite, 'x')).toMatchObject({ name: 'CoreError', code: 'LW_ERR_SQLITE' })
  })
})
