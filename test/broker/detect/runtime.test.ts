import { describe, expect, it } from 'vitest'
import { Writable } from 'node:stream'
import { map } from 'rxjs'
import { Type } from '@sinclair/typebox'
import pino from 'pino'
import type { Detector, DetectorInput } from '../../../detectors/index.ts'
import { entrapment } from '../../../detectors/entrapment.ts'
import { alarmButton } from '../../../detectors/alarm-button.ts'
import { communicationLost } from '../../../detectors/communication-lost.ts'
import { validateAlarmEvent, type AlarmEvent } from '../../../protocol/index.ts'
import { DetectorRuntime, type DetectorFailure, type DetectorRuntimeOptions } from '../../../broker/detect/runtime.ts'
import { DetectorConfigError } from '../../../broker/detect/config.ts'
import { E1, E2, STUCK, T0, beats, play, tele, vts } from '../../detectors/harness.ts'

interface Seen { frame: number; event: AlarmEvent }

/** The runtime's mechanics are tested with three detectors whose behaviour the tests spell out. */
const THREE = [entrapment, alarmButton, communicationLost]

/**
 * A runtime over inputs played in virtual time; flushed to `until`. Clears are published at once
 * unless the test sets holds (the lifecycle's own tests cover them).
 */
function run(inputs: DetectorInput[], opts: Partial<DetectorRuntimeOptions> & { until?: number } = {}) {
  const scheduler = vts(opts.until ?? 600_000)
  const input$ = play(scheduler, inputs)
  const config = { ...opts.config, alarms: opts.config?.alarms ?? { clearHoldMs: 0, flappingHoldMs: 0 } }
  const runtime = new DetectorRuntime({ scheduler, detectors: THREE, ...opts, config, input$ })
  const seen: Seen[] = []
  runtime.alarms$.subscribe((event) => seen.push({ frame: scheduler.now(), event }))
  runtime.start()
  scheduler.flush()
  return { runtime, seen, scheduler }
}
const summary = (seen: Seen[]) => seen.map((s) => `${s.frame} ${s.event.key} ${s.event.state}`)

/** A detector with a bug: throws on telemetry with faultCode 66 (and, for E1 only, `create` can be made to throw). */
const flaky: Detector = {
  id: 'flaky',
  types: ['restart_prevented'],
  configSchema: Type.Object({}),
  create: () => (input$) => input$.pipe(map((i) => {
    if (i.kind === 'telemetry' && i.msg.faultCode === 66) throw new Error('flaky detector bug')
    return { elevatorId: i.elevatorId, region: i.region, type: 'restart_prevented' as const, state: i.kind === 'telemetry' && i.msg.faultCode === 8 ? 'raised' as const : 'cleared' as const, at: i.ts, evidence: {} }
  })),
}

describe('DetectorRuntime', () => {
  it('groups per elevator and turns signals into AlarmEvents that match the protocol schema', () => {
    const { seen, runtime } = run([...beats(0, 60_000, STUCK, 10_000, E1), ...beats(0, 60_000, {}, 10_000, E2)], { until: 60_000 })
    expect(summary(seen)).toEqual([`15000 ${E1.elevatorId}:entrapment raised`])
    const e = seen[0]!.event
    expect(validateAlarmEvent(e)).toEqual({ ok: true, value: e })
    expect(e).toMatchObject({ v: 1, type: 'entrapment', code: '11', severity: 'critical', state: 'raised', region: '330922', raisedAt: T0, clearedAt: null, drill: false })
    expect(runtime.stats()).toMatchObject({ eventsIn: 12, elevators: 2, alarmsRaised: 1, alarmsCleared: 0, alarmsActive: 1 })
  })

  it('raises once per key while active, clears once, and a new alarm after a clear gets a new id', () => {
    const press = (ms: number, held: number) => [tele(ms, { alarmButton: true }), tele(ms + held)]
    const { seen, runtime } = run([...press(0, 5_000), ...press(10_000, 5_000)], { until: 30_000 })
    expect(summary(seen)).toEqual([
      `3000 ${E1.elevatorId}:alarm_button raised`, `5000 ${E1.elevatorId}:alarm_button cleared`,
      `13000 ${E1.elevatorId}:alarm_button raised`, `15000 ${E1.elevatorId}:alarm_button cleared`,
    ])
    const [a, b, c, d] = seen.map((s) => s.event)
    expect(a!.id).toBe(b!.id)
    expect(c!.id).toBe(d!.id)
    expect(c!.id).not.toBe(a!.id)
    expect(b).toMatchObject({ code: '90', severity: 'major', raisedAt: T0, clearedAt: T0 + 5_000 })
    for (const s of seen) expect(validateAlarmEvent(s.event).ok).toBe(true)
    expect(runtime.stats()).toMatchObject({ alarmsRaised: 2, alarmsCleared: 2, alarmsActive: 0 })
  })

  it('alarm ids are unique across many elevators and alarms', () => {
    const inputs: DetectorInput[] = []
    for (let n = 0; n < 50; n++) {
      const who = { ...E1, elevatorId: `E${n}` }
      for (let k = 0; k < 4; k++) inputs.push(tele(k * 10_000, { alarmButton: true }, who), tele(k * 10_000 + 4_000, {}, who))
    }
    const { seen } = run(inputs, { until: 45_000 })
    const raisedIds = seen.filter((s) => s.event.state === 'raised').map((s) => s.event.id)
    expect(raisedIds).toHaveLength(200)
    expect(new Set(raisedIds).size).toBe(200)
  })

  it('contains a failing detector: reported, counted, restarted; other detectors and elevators carry on', () => {
    const failures: DetectorFailure[] = []
    const { seen, runtime } = run([
      ...beats(0, 60_000, STUCK, 10_000, E1), ...beats(0, 60_000, STUCK, 10_000, E2),
      tele(2_000, { ...STUCK, faultCode: 66 }, E1),
      // after its restart the instance for E1 still works
      tele(30_000, { ...STUCK, faultCode: 8 }, E1),
    ], { detectors: [...THREE, flaky], onDetectorError: (f) => failures.push(f), until: 60_000 })
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ code: 'LW_ERR_DETECTOR_FAILED', detectorId: 'flaky', elevatorId: E1.elevatorId })
    expect((failures[0]!.err as Error).message).toBe('flaky detector bug')
    expect(summary(seen)).toEqual([
      // the bug's elevator still gets its entrapment, the other elevator too
      `15000 ${E1.elevatorId}:entrapment raised`, `15000 ${E2.elevatorId}:entrapment raised`,
      `30000 ${E1.elevatorId}:restart_prevented raised`, `40000 ${E1.elevatorId}:restart_prevented cleared`,
    ])
    expect(runtime.stats().detectors).toEqual({
      'entrapment': { errors: 0, restarts: 0, invalidSignals: 0 },
      'alarm-button': { errors: 0, restarts: 0, invalidSignals: 0 },
      'communication-lost': { errors: 0, restarts: 0, invalidSignals: 0 },
      'flaky': { errors: 1, restarts: 1, invalidSignals: 0 },
    })
  })

  it('a detector whose create() throws costs one attempt per input, never a loop, and harms no one else', () => {
    const broken: Detector = { id: 'broken', types: ['anomaly'], configSchema: Type.Object({}), create: () => { throw new Error('cannot start') } }
    const { seen, runtime } = run(beats(0, 60_000, STUCK), { detectors: [broken, ...THREE], until: 60_000 })
    expect(summary(seen)).toEqual([`15000 ${E1.elevatorId}:entrapment raised`])
    // the first start, then one attempt per input (6 inputs)
    expect(runtime.stats().detectors.broken).toEqual({ errors: 7, restarts: 6, invalidSignals: 0 })
  })

  it('drops signals outside the detector contract and says so', () => {
    const liar: Detector = {
      id: 'liar', types: ['anomaly'], configSchema: Type.Object({}),
      create: () => (input$) => input$.pipe(map((i) => ({ elevatorId: i.elevatorId, region: i.region, type: 'entrapment' as const, state: 'raised' as const, at: i.ts, evidence: {} }))),
    }
    const failures: DetectorFailure[] = []
    const { seen, runtime } = run([tele(0)], { detectors: [liar], onDetectorError: (f) => failures.push(f), until: 1_000 })
    expect(seen).toEqual([])
    expect(failures.map((f) => f.code)).toEqual(['LW_ERR_DETECTOR_SIGNAL'])
    expect(runtime.stats().detectors.liar).toEqual({ errors: 0, restarts: 0, invalidSignals: 1 })
  })

  it('logs a failure as one pino JSON line with the detector and the elevator', () => {
    const lines: Record<string, unknown>[] = []
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } })
    const log = pino({ level: 'info' }, sink).child({ component: 'detect' })
    run([tele(0, { faultCode: 66 })], { detectors: [flaky], log, until: 1_000 })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 50, component: 'detect', detector: 'flaky', elevatorId: E1.elevatorId, code: 'LW_ERR_DETECTOR_FAILED', msg: 'detector failed; instance restarted' })
    expect((lines[0]!.err as { message: string }).message).toBe('flaky detector bug')
  })

  it('thresholds are overridable per elevator; an invalid configuration lists every problem', () => {
    const config = { detectors: { entrapment: { outsideDoorZoneMs: 20_000 } }, elevators: { [E2.elevatorId]: { entrapment: { outsideDoorZoneMs: 25_000 } } } }
    const { seen } = run([...beats(0, 60_000, STUCK, 10_000, E1), ...beats(0, 60_000, STUCK, 10_000, E2)], { config, until: 60_000 })
    expect(summary(seen)).toEqual([`20000 ${E1.elevatorId}:entrapment raised`, `25000 ${E2.elevatorId}:entrapment raised`])

    const bad = new DetectorRuntime({
      input$: play(vts(), []),
      config: {
        detectors: { 'entrapment': { outsideDoorZoneMs: -1, colour: 'red' }, 'nope': {} },
        elevators: { 'bad id!': { 'alarm-button': { holdMs: 'long' } } },
      },
    })
    let err: unknown
    try { bad.start() } catch (e) { err = e }
    expect(err).toBeInstanceOf(DetectorConfigError)
    expect((err as DetectorConfigError).problems.map((p) => p.path).sort()).toEqual([
      'detectors.entrapment.colour', 'detectors.entrapment.outsideDoorZoneMs', 'detectors.nope',
      'elevators.bad id!', 'elevators.bad id!.alarm-button.holdMs',
    ])
    expect((err as DetectorConfigError).code).toBe('LW_ERR_DETECTOR_CONFIG')
  })

  it('takes over alarms active from before: the same id is cleared when the condition ends', () => {
    const before: AlarmEvent = {
      v: 1, id: '01HZZZZZZZ000000', key: `${E1.elevatorId}:communication_lost`, type: 'communication_lost', code: null, severity: 'major',
      state: 'raised', elevatorId: E1.elevatorId, region: E1.region, raisedAt: T0 - 60_000, clearedAt: null, evidence: { cause: 'silence' }, drill: false,
    }
    const { seen, runtime } = run([tele(1_000)], { active: [before], until: 10_000 })
    expect(seen.map((s) => [s.event.id, s.event.state, s.event.clearedAt])).toEqual([[before.id, 'cleared', T0 + 1_000]])
    expect(runtime.active()).toEqual([])
  })

  it('forgets a silent elevator after evictAfterMs and picks its active alarm up again when it speaks', () => {
    const { seen, runtime } = run([tele(0), tele(3_000_000)], { evictAfterMs: 600_000, until: 3_100_000 })
    expect(summary(seen)).toEqual([`30000 ${E1.elevatorId}:communication_lost raised`, `3000000 ${E1.elevatorId}:communication_lost cleared`])
    expect(seen[0]!.event.id).toBe(seen[1]!.event.id)
    expect(runtime.stats()).toMatchObject({ elevators: 1, eventsIn: 2 })
    const idle = run([tele(0)], { evictAfterMs: 600_000, until: 700_000 })
    expect(idle.runtime.stats()).toMatchObject({ elevators: 0, alarmsActive: 1 })
  })

  it('start() is idempotent; stop() is idempotent and completes alarms$', () => {
    const scheduler = vts()
    const runtime = new DetectorRuntime({ input$: play(scheduler, [tele(0)]), scheduler })
    let completed = 0
    runtime.alarms$.subscribe({ complete: () => completed++ })
    runtime.start()
    runtime.start()
    runtime.stop()
    runtime.stop()
    expect(completed).toBe(1)
    expect(() => runtime.start()).toThrow(expect.objectContaining({ code: 'LW_ERR_DETECTOR_STOPPED' }))
  })
})
