import { afterEach, describe, expect, it } from 'vitest'
import { Deadline } from '../../../gateway/modbus/deadline.ts'

const stops: Deadline[] = []
afterEach(() => { for (const d of stops.splice(0)) d.stop() })

function deadline(): { d: Deadline; due: Promise<number> } {
  let fired: (at: number) => void = () => undefined
  const due = new Promise<number>((resolve) => { fired = resolve })
  const d = new Deadline(() => fired(performance.now()))
  stops.push(d)
  return { d, due }
}

const turn = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('Deadline', () => {
  it('fires once the latest deadline passed, however often it was pushed back', async () => {
    const { d, due } = deadline()
    let fired = false
    void due.then(() => { fired = true })
    // requests answered every 10 ms, each with a 60 ms timeout: never due
    for (let i = 0; i < 15; i++) {
      d.set(60)
      await turn(10)
    }
    expect(fired).toBe(false)
    const t0 = performance.now()
    d.set(60)
    expect((await due) - t0).toBeGreaterThanOrEqual(59)
  })

  it('fires for a shorter deadline set after a longer one, and not after clear()', async () => {
    const { d, due } = deadline()
    const t0 = performance.now()
    d.set(1000)
    d.set(30)
    const at = await due
    expect(at - t0).toBeGreaterThanOrEqual(29)
    expect(at - t0).toBeLessThan(500)

    const again = deadline()
    let fired = false
    void again.due.then(() => { fired = true })
    again.d.set(20)
    again.d.clear()
    await turn(60)
    expect(fired).toBe(false)
  })
})
