import type { Telemetry } from '../../protocol/index.ts'

export const sampleTelemetry = (over: Partial<Telemetry> = {}): Telemetry => ({
  v: 1, ts: 1_764_000_000_000, seq: 0, boot: 'b-1', gateway: 'gw-01', reason: 'change',
  floor: 'B1', floorIndex: 0, position: 0, speed: 0, direction: 'none', moving: false,
  door: 'closed', doorZone: true, occupied: null, load: null, alarmButton: false,
  safetyCircuit: true, mode: 'normal', power: 'mains', upLimit: false, downLimit: false, faultCode: 0,
  ...over,
})
