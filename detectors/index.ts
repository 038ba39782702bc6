// The one registration list (aedes handlers/index, z2m controller). Adding a detector = its file
// plus one line here.
import { alarmButton } from './alarm-button.ts'
import { communicationLost } from './communication-lost.ts'
import { entrapment } from './entrapment.ts'
import type { Detector } from './types.ts'

export const DETECTORS: readonly Detector[] = [
  entrapment,
  alarmButton,
  communicationLost,
]

export type { AlarmSignal, Detector, DetectorContext, DetectorInput } from './types.ts'
export { AlarmLifecycle, LifecycleConfigSchema, LIFECYCLE_DEFAULTS, alarmIds, alarmKey, type Applied, type LifecycleConfig } from './alarms.ts'
