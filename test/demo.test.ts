// `npm start` (= `liftwatch demo`): the broker, 4 gateways and 20 simulated cars come up as separate
// processes, the page's URL is printed, and Ctrl-C stops them all.
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { connect } from 'node:net'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './helpers/ports.ts'
import { LIFTWATCH } from './helpers/cli.ts'

const refused = (port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, '127.0.0.1')
  s.once('connect', () => { s.destroy(); resolve(false) })
  s.once('error', () => resolve(true))
})

describe('liftwatch demo', () => {
  it('prints the page URL, serves 20 elevators behind 4 gateways, stops cleanly on Ctrl-C', async () => {
    const [http, mqtt, modbus] = [await freePort(), await freePort(), await freePort()]
    const proc = spawn(process.execPath, [LIFTWATCH, 'demo', '--http-port', String(http), '--mqtt-port', String(mqtt), '--modbus-port', String(modbus), '--data', mkdtempSync(join(tmpdir(), 'lw-demo-'))], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    proc.stdout.on('data', (d) => { out += d })
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)))
    try {
      for (let i = 0; i < 300 && !out.includes(`http://127.0.0.1:${http}/`); i++) await new Promise((r) => setTimeout(r, 100))
      expect(out).toContain(`http://127.0.0.1:${http}/`)
      // every car reported through its gateway
      let elevators: { availability: string; gatewayId: string }[] = []
      for (let i = 0; i < 60; i++) {
        elevators = (await (await fetch(`http://127.0.0.1:${http}/api/elevators`)).json() as { elevators: typeof elevators }).elevators
        if (elevators.length === 20 && elevators.every((e) => e.availability === 'online')) break
        await new Promise((r) => setTimeout(r, 500))
      }
      expect(elevators.filter((e) => e.availability === 'online')).toHaveLength(20)
      expect(new Set(elevators.map((e) => e.gatewayId)).size).toBe(4)
    } finally {
      proc.kill('SIGINT')
      expect(await exited).toBe(0)
    }
    for (const port of [http, mqtt, modbus]) expect(await refused(port), `port ${port} closed`).toBe(true)
  }, 90_000)
})
