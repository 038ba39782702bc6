// The detector runtime's error table (docs/architecture.md#conventions, rule 9).
import { errorClass, type CodeOf } from '../../core/errors.ts'

export const DetectErrorCode = {
  Config: 'LW_ERR_DETECTOR_CONFIG',          // detector configuration invalid (every problem listed)
  Failed: 'LW_ERR_DETECTOR_FAILED',          // a detector instance threw or errored; it was restarted
  Signal: 'LW_ERR_DETECTOR_SIGNAL',          // a detector emitted a signal outside its contract; dropped
  Input: 'LW_ERR_DETECTOR_INPUT',            // the input stream itself failed; detection has stopped
  Stopped: 'LW_ERR_DETECTOR_STOPPED',        // start() after stop()
  Learned: 'LW_ERR_DETECTOR_LEARNED',        // learned state not read, not written, or not fitting its detector
} as const
export type DetectErrorCode = CodeOf<typeof DetectErrorCode>

export class DetectError extends errorClass('DetectError', DetectErrorCode) {}
