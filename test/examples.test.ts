// The shipped example configurations, as a person would run them, on their documented ports:
//   liftwatch broker --config deploy/examples/broker.yaml     (MQTT 127.0.0.1:1883, HTTP :8080)
//   liftwatch sim --elevators 2 --port 1502
//   liftwatch gateway --config deploy/examples/gateway.yaml   (metrics :9464)
// and Debian's mosquitto_sub with the read-only monitor user receives telemetry and alarms.
import { afterAll, describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCli, type Cli } from './helpers/cli.ts'
import { login } from './helpers/http-login.ts'

const example = (f: string) => new URL(`../deploy/examples/${f}`, import.meta.url).pathname
const scenario = new URL('../simulators/scenarios/alarm_button.yaml', import.meta.url).pathname

/** mosquitto_sub until `count` messages, as `topic payload` lines. */
function mosquittoSub(args: string[], count: number, timeoutS: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', '1883', '-u', 'monitor', '-P', 'monitor-demo', '-v', '-C', String(count), '-W', String(timeoutS), ...args])
    let out = '', err = ''
    p.stdout.on('data', (d) => { out += d })
    p.stderr.on('data', (d) => { err += d })
    p.once('error', (e) => reject(new Error(`mosquitto_sub could not start (apt-get install mosquitto-clients): ${e.message}`)))
    p.once('exit', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`mosquitto_sub exited ${code}: ${err}${out}`))))
  })
}

describe('the example configurations, as shipped', () => {
  const procs: Cli[] = []
  afterAll(async () => {
    for (const p of procs.reverse()) expect(await p.stop()).toBe(0)
  })

  it('broker + simulator + gateway on their documented ports; mosquitto_sub as monitor gets telemetry and alarms', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lw-example-'))
    const broker = startCli(['broker', '--config', example('broker.yaml')], {}, cwd)
    procs.push(broker)
    await broker.waitFor('broker started')
    const telemetry = mosquittoSub(['-t', 'lift/v1/+/+/telemetry'], 2, 60)
    const alarm = mosquittoSub(['-t', 'lift/v1/+/+/alarm'], 1, 90)
    // a refused password is refused
    const wrong = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', '1883', '-u', 'monitor', '-P', 'nope', '-t', '#', '-C', '1', '-W', '5'])
    const wrongCode = await new Promise((r) => wrong.once('exit', r))
    expect(wrongCode).not.toBe(0)

    // car 1 plays the alarm-button scenario: the button held 5 s during a trip
    const sim = startCli(['sim', '--elevators', '2', '--port', '1502', '--scenario', scenario])
    procs.push(sim)
    await sim.waitFor('simulator listening')
    const gateway = startCli(['gateway', '--config', example('gateway.yaml')], {}, cwd)
    procs.push(gateway)
    await gateway.waitFor('gateway started')

    const t = await telemetry
    expect(t[0]).toMatch(/^lift\/v1\/330922\/3110330922202401000[12]\/telemetry \{"v":1,/)
    const [a] = await alarm
    expect(a).toMatch(/^lift\/v1\/330922\/31103309222024010001\/alarm /)
    expect(JSON.parse(a!.slice(a!.indexOf(' ') + 1))).toMatchObject({ type: 'alarm_button', code: '90', state: 'raised', elevatorId: '31103309222024010001' })

    // the live page's API and the gateway's metrics on their documented ports; the API as the first
    // admin, whose password the broker printed once on its first start
    expect((await fetch('http://127.0.0.1:8080/api/alarms')).status).toBe(401)
    const first = await broker.waitFor(/first admin: admin /)
    const password = /password: (\S+)/.exec(String(first.msg))![1]!
    const admin = await login('http://127.0.0.1:8080', 'admin', password)
    const api = await admin.json<{ alarms?: unknown[] }>('/api/alarms?state=all')
    expect(JSON.stringify(api)).toContain('alarm_button')
    expect(await (await fetch('http://127.0.0.1:9464/metrics')).text()).toContain('liftwatch_gateway_polls_total')
  }, 120_000)
})
