// Line protocol, the field table derived from protocol/, the config sections, and the doc.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { TelemetrySchema } from '../../../protocol/index.ts'
import { TELEMETRY_FIELDS } from '../../../broker/sinks/fields.ts'
import { alarmLine, sampleLine, telemetryLine } from '../../../broker/sinks/line-protocol.ts'
import { parseInfluxSinkConfig } from '../../../broker/sinks/influx.ts'
import { parseTelemetryStorageConfig } from '../../../broker/sinks/index.ts'
import { Point } from '@influxdata/influxdb-client'
import type { StoredTelemetry } from '../../../broker/sinks/types.ts'
import { alarmEvent, stored } from './fixtures.ts'

// the line as the client's Point writes it: what the hand-written sampleLine must equal
function pointLine(t: StoredTelemetry): string {
  const p = new Point('lift_telemetry').tag('elevator', t.elevatorId).tag('region', t.region).tag('gateway', t.gateway)
  for (const f of TELEMETRY_FIELDS) {
    const v = t[f.name]
    if (v === null || v === undefined) continue
    if (f.kind === 'int') p.intField(f.name, v)
    else if (f.kind === 'float') p.floatField(f.name, v)
    else if (f.kind === 'bool') p.booleanField(f.name, v as boolean)
    else p.stringField(f.name, v)
  }
  return p.timestamp(t.ts).toLineProtocol({ convertTime: (x) => String(x) })!
}

describe('line protocol', () => {
  it('writes a telemetry point with typed fields, tags, and the message ts in ms', () => {
    const line = telemetryLine(stored({ ts: 1_764_000_000_123, seq: 3, position: 2, speed: 0.5, occupied: false, load: 12.5, door: 'open' }))
    expect(line).toBe('lift_telemetry,elevator=E-1,gateway=gw-01,region=330922 '
      + 'alarmButton=F,boot="b-1",direction="none",door="open",doorZone=T,downLimit=F,faultCode=0i,floor="B1",floorIndex=0i,'
      + 'load=12.5,mode="normal",moving=F,occupied=F,position=2,power="mains",reason="change",safetyCircuit=T,seq=3i,speed=0.5,upLimit=F '
      + '1764000000123')
  })

  it("writes what the client's Point writes, escapes and absent fields included", () => {
    const samples = [
      stored(),
      stored({ ts: 1_764_000_000_123, seq: 9_007_199_254_740_991, position: -3.25, speed: 1e-7, load: 1000, faultCode: 65535, faultType: 'door_close_fault' }),
      stored({ position: null, speed: null, occupied: null, load: null, faultType: null, floor: 'a "b"\\c,d e=f', boot: '\\"' }),
      stored({ elevatorId: 'E 1,x=y', region: 'r\tn', gateway: 'g\n1', reason: 'replay', moving: true, door: 'opening' }),
    ]
    for (const t of samples) expect(telemetryLine(t)).toBe(pointLine(t))
  })

  it('writes the ts it is given (the gateway\'s) when the message carries broker time', () => {
    const { elevatorId, region, ...msg } = stored({ ts: 1_764_000_000_500 })
    expect(sampleLine(msg, elevatorId, region, 1_764_000_000_123)).toBe(telemetryLine(stored({ ts: 1_764_000_000_123 })))
  })

  it('leaves null fields out and escapes strings', () => {
    const line = telemetryLine(stored({ position: null, speed: null, occupied: null, load: null, floor: 'a "b"\\c' }))
    expect(line).not.toMatch(/position=|speed=|occupied=|load=/)
    expect(line).toContain('floor="a \\"b\\"\\\\c"')
  })

  it('writes an alarm event at raisedAt, or clearedAt once cleared', () => {
    expect(alarmLine(alarmEvent())).toBe('lift_alarm,elevator=E-1,region=330922,severity=critical,state=raised,type=entrapment '
      + 'code="11",drill=F,evidence="{\\"doorClosedMs\\":120000,\\"occupied\\":true}",id="a-1",raisedAt=1764000000000i 1764000000000')
    const cleared = alarmLine(alarmEvent({ state: 'cleared', clearedAt: 1_764_000_060_000, code: null, evidence: { n: 'x'.repeat(20_000) } }))
    expect(cleared).toMatch(/ clearedAt=1764000060000i,drill=F,/)
    expect(cleared).not.toContain('code=')
    expect(cleared.endsWith(' 1764000060000')).toBe(true)
    expect(cleared.length).toBeLessThan(17_000) // evidence capped
  })

  it('stores every telemetry property but v, ts and gateway as a field of the schema type', () => {
    const props = Object.keys(TelemetrySchema.properties).filter((k) => !['v', 'ts', 'gateway'].includes(k))
    expect(TELEMETRY_FIELDS.map((f) => f.name)).toEqual(props)
    expect(TELEMETRY_FIELDS.find((f) => f.name === 'position')).toEqual({ name: 'position', kind: 'float', nullable: true, optional: false })
    expect(TELEMETRY_FIELDS.find((f) => f.name === 'floorIndex')).toEqual({ name: 'floorIndex', kind: 'int', nullable: false, optional: false })
    expect(TELEMETRY_FIELDS.find((f) => f.name === 'faultType')).toEqual({ name: 'faultType', kind: 'string', nullable: true, optional: true })
  })

  it('docs/telemetry-storage.md names every field', () => {
    const doc = readFileSync(new URL('../../../docs/telemetry-storage.md', import.meta.url), 'utf8')
    for (const f of TELEMETRY_FIELDS) expect(doc, f.name).toContain(`\`${f.name}\``)
  })
})

describe('sink config sections', () => {
  it('fills defaults and freezes', () => {
    const c = parseInfluxSinkConfig({ url: 'http://influx:8086' })
    expect(c).toMatchObject({ org: 'liftwatch', bucket: 'liftwatch', precision: 'ms', batchSize: 5000, flushIntervalMs: 1000, maxRetries: 3 })
    expect(Object.isFrozen(c)).toBe(true)
    const storage = parseTelemetryStorageConfig({})
    expect(storage.influx).toBeUndefined()
    expect(storage.sqlite).toMatchObject({ path: './data/telemetry.db', retentionDays: 30 })
  })

  it('reports every problem with its path', () => {
    expect(() => parseTelemetryStorageConfig({ influx: { url: 'influx:8086', batchSize: 0, minRetryDelayMs: 10, maxRetryDelayMs: 5, bogus: 1 } }))
      .toThrow(expect.objectContaining({ code: 'LW_ERR_SINK_CONFIG', data: { problems: expect.arrayContaining([
        expect.objectContaining({ path: 'telemetry.influx.url' }),
        expect.objectContaining({ path: 'telemetry.influx.batchSize' }),
        expect.objectContaining({ path: 'telemetry.influx.bogus', message: 'unknown property' }),
      ]) } }))
    expect(() => parseInfluxSinkConfig({ url: 'http://x', minRetryDelayMs: 10, maxRetryDelayMs: 5 }))
      .toThrow(/telemetry\.influx\.maxRetryDelayMs: must be ≥ minRetryDelayMs/)
  })
})
