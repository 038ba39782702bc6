// `liftwatch commission --auto` as a real process against `liftwatch sim` playing a scenario that
// walks the car through the checklist (commission-walk.yaml), and against idle cars.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { registrationCode } from '../../../protocol/index.ts'
import { loadScenario, runScenario, checkExpectations } from '../../../simulators/scenario.ts'
import type { CommissioningReport } from '../../../gateway/commission/report.ts'
import { freePort } from '../../helpers/ports.ts'
import { LIFTWATCH, run, startCli, type Cli } from '../../helpers/cli.ts'

const SCENARIO = new URL('./commission-walk.yaml', import.meta.url).pathname
const CAR1 = registrationCode('3110', '330922', '202401', 1)
const CAR2 = registrationCode('3110', '330922', '202401', 2)

function gatewayConfig(port: number, elevators: { id: string; unitId: number }[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'lw-commission-'))
  const file = join(dir, 'gateway.yaml')
  writeFileSync(file, stringify({
    gateway: { id: 'gw-commission-test', region: '330922' },
    mqtt: { url: 'mqtt://127.0.0.1:1883' },
    links: [{ id: 'machine-room', transport: 'tcp', host: '127.0.0.1', port }],
    elevators: elevators.map((e) => ({ ...e, link: 'machine-room', profile: 'liftwatch-ref', pollMs: 100 })),
  }))
  return file
}

const reports = (dir: string) => readdirSync(dir).sort()

describe('the commission-walk scenario', () => {
  it('is valid and moves the car as the checklist needs (virtual time)', () => {
    const sc = loadScenario(SCENARIO)
    expect(checkExpectations(sc, runScenario(sc))).toEqual([])
  })
})

describe('liftwatch commission --auto against a scenario', () => {
  let sim: Cli
  let port: number
  beforeAll(async () => {
    port = await freePort()
    sim = startCli(['sim', '--port', String(port), '--traffic', '0', '--scenario', SCENARIO])
    await sim.waitFor('simulator listening')
  })
  afterAll(async () => { expect(await sim.stop()).toBe(0) })

  it('passes every step the scenario covers and writes the JSON and Markdown reports', async () => {
    const config = gatewayConfig(port, [{ id: CAR1, unitId: 1 }])
    const dir = mkdtempSync(join(tmpdir(), 'lw-reports-'))
    const r = await run(process.execPath, [
      // the steps the scenario walks: the door zone, presence and safety chain steps are the checklist tests'
      LIFTWATCH, 'commission', '--config', config, '--auto', '--step-timeout', '25', '--report', dir, '--lang', 'both', '--installer', '张工',
      '--steps', 'top,bottom,doorOpen,doorClose,alarm,inspection,normal',
    ], 90_000)
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0)
    for (const id of ['top', 'bottom', 'doorOpen', 'doorClose', 'alarm', 'inspection', 'normal']) {
      expect(r.stdout).toMatch(new RegExp(`\\[pass\\] ${id}: 通过 PASS`))
    }
    const files = reports(dir)
    expect(files).toEqual([expect.stringMatching(new RegExp(`^${CAR1}-\\d{8}T\\d{6}Z\\.json$`)), expect.stringMatching(/\.md$/)])
    const report = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as CommissioningReport
    expect(report).toMatchObject({
      kind: 'liftwatch-commissioning', result: 'pass', mode: 'auto', installer: '张工',
      elevator: { id: CAR1, unitId: 1, region: '330922' }, gateway: { id: 'gw-commission-test' },
      link: { id: 'machine-room', transport: 'tcp', port }, profile: { name: 'liftwatch-ref', addressBase: 0 },
      software: { name: 'liftwatch', version: expect.any(String) }, summary: { pass: 7, fail: 0, skip: 0, total: 7 },
    })
    const step = (id: string) => report.steps.find((s) => s.id === id)!
    expect(step('top')).toMatchObject({ status: 'pass', before: { floorIndex: 0 }, observed: { floorIndex: 2, moving: false } })
    expect(step('bottom').observed).toMatchObject({ floorIndex: 0, moving: false })
    expect(step('doorOpen').observed).toMatchObject({ door: 'open' })
    expect(step('alarm')).toMatchObject({ before: { alarmButton: false }, observed: { alarmButton: true } })
    expect(step('normal')).toMatchObject({ before: { mode: 'inspection' }, observed: { mode: 'normal' } })
    for (const s of report.steps) expect(Date.parse(s.endedAt)).toBeGreaterThanOrEqual(Date.parse(s.startedAt))
    // every point, raw beside decoded; the car is back at the bottom in normal mode
    expect(report.points.map((p) => p.name)).toContain('floorIndex')
    expect(report.points.find((p) => p.name === 'mode')).toMatchObject({ area: 'input', address: 6, raw: [0], value: 'normal' })
    expect(report.points.find((p) => p.name === 'landings')).toMatchObject({ value: 3 })
    const md = readFileSync(join(dir, files[1]!), 'utf8')
    expect(md).toMatch(/^# 电梯监测终端调试报告 \/ Elevator monitoring commissioning report/)
    expect(md).toMatch(/\| 结论 Result \| \*\*通过 PASS\*\*/)
    expect(md).toMatch(/\| 3 \| 开门 Open the door \| 通过 PASS \|/)
    expect(md).toMatch(/\| `floorIndex` \| input \| 0 \| `0x0000` \| 0 \|/)
  }, 100_000)
})

describe('liftwatch commission --auto against idle cars', () => {
  let sim: Cli
  let port: number
  beforeAll(async () => {
    port = await freePort()
    sim = startCli(['sim', '--elevators', '2', '--port', String(port), '--traffic', '0'])
    await sim.waitFor('simulator listening')
  })
  afterAll(async () => { expect(await sim.stop()).toBe(0) })

  it('fails a step whose signal never changes, for the named elevator only, and exits 1', async () => {
    const config = gatewayConfig(port, [{ id: CAR1, unitId: 1 }, { id: CAR2, unitId: 2 }])
    const dir = mkdtempSync(join(tmpdir(), 'lw-reports-'))
    const r = await run(process.execPath, [
      LIFTWATCH, 'commission', '--config', config, '--elevator', CAR2, '--auto', '--steps', 'alarm', '--step-timeout', '1', '--report', dir, '--lang', 'en',
    ], 30_000)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/\[fail\] alarm: FAIL — timed out/)
    const files = reports(dir)
    expect(files).toHaveLength(2)
    expect(files[0]).toMatch(new RegExp(`^${CAR2}-`))
    const report = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as CommissioningReport
    expect(report).toMatchObject({ result: 'fail', elevator: { unitId: 2 }, steps: [{ id: 'alarm', status: 'fail', reason: 'timeout' }] })
  })

  it('names an elevator that is not in the configuration, and bad steps', async () => {
    const config = gatewayConfig(port, [{ id: CAR1, unitId: 1 }])
    const absent = await run(process.execPath, [LIFTWATCH, 'commission', '--config', config, '--elevator', 'nope', '--auto'])
    expect(absent.code).toBe(2)
    expect(absent.stderr).toMatch(/配置中没有电梯 nope/)
    expect(absent.stderr).toMatch(/no elevator nope/)
    const steps = await run(process.execPath, [LIFTWATCH, 'commission', '--config', config, '--steps', 'top,fly', '--auto'])
    expect(steps.code).toBe(2)
    expect(steps.stderr).toMatch(/--steps: unknown fly/)
  })

  it('reports an unreachable link in both languages and exits 1', async () => {
    const config = gatewayConfig(await freePort(), [{ id: CAR1, unitId: 1 }])
    const dir = mkdtempSync(join(tmpdir(), 'lw-reports-'))
    const r = await run(process.execPath, [LIFTWATCH, 'commission', '--config', config, '--auto', '--connect-timeout', '1000', '--report', dir])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/无法连接 tcp 127\.0\.0\.1:\d+/)
    expect(r.stderr).toMatch(/cannot reach tcp 127\.0\.0\.1:\d+/)
  })
})
