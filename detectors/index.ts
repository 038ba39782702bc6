// The one registration list (aedes handlers/index, z2m controller). Adding a detector = its file
// plus one line here. Order is the catalogue's (protocol/catalogue.ts).
import { alarmButton } from './alarm-button.ts'
import { anomaly } from './anomaly.ts'
import { communicationLost } from './communication-lost.ts'
import { doorCloseFault } from './door-close-fault.ts'
import { doorOpenFault } from './door-open-fault.ts'
import { doorOpenTooLong } from './door-open-too-long.ts'
import { doorOpenWhileRunning } from './door-open-while-running.ts'
import { entrapment } from './entrapment.ts'
import { faultCode } from './fault-code.ts'
import { floorLost } from './floor-lost.ts'
import { longIdle } from './long-idle.ts'
import { maintenanceOverdue } from './maintenance-overdue.ts'
import { overspeed } from './overspeed.ts'
import { overtravelBottom } from './overtravel-bottom.ts'
import { overtravelTop } from './overtravel-top.ts'
import { powerFailure } from './power-failure.ts'
import { repeatedDoorReopen } from './repeated-door-reopen.ts'
import { runtimeLimit } from './runtime-limit.ts'
import { safetyCircuitOpen } from './safety-circuit-open.ts'
import { stopOutsideDoorZone } from './stop-outside-door-zone.ts'
import { unintendedMovement } from './unintended-movement.ts'
import type { Detector } from './runtime/types.ts'

export const DETECTORS: readonly Detector[] = [
  entrapment,
  safetyCircuitOpen,
  doorCloseFault,
  doorOpenFault,
  stopOutsideDoorZone,
  unintendedMovement,
  doorOpenWhileRunning,
  runtimeLimit,
  floorLost,
  faultCode,
  overtravelTop,
  overtravelBottom,
  overspeed,
  powerFailure,
  alarmButton,
  doorOpenTooLong,
  repeatedDoorReopen,
  communicationLost,
  longIdle,
  anomaly,
  maintenanceOverdue,
]

export type { AlarmSignal, Detector, DetectorContext, DetectorInput, ElevatorFacts } from './runtime/types.ts'
export { AlarmLifecycle, LifecycleConfigSchema, LIFECYCLE_DEFAULTS, alarmIds, alarmKey, type Applied, type LifecycleConfig } from './runtime/alarms.ts'
