// The detector runtime's error table (STYLE rule 9).
export const DetectErrorCode = {
  Config: 'LW_ERR_DETECTOR_CONFIG',          // detector configuration invalid (every problem listed)
  Failed: 'LW_ERR_DETECTOR_FAILED',          // a detector instance threw or errored; it was restarted
  Signal: 'LW_ERR_DETECTOR_SIGNAL',          // a detector emitted a signal outside its contract; dropped
  Input: 'LW_ERR_DETECTOR_INPUT',            // the input stream itself failed; detection has stopped
  Stopped: 'LW_ERR_DETECTOR_STOPPED',        // start() after stop()
} as const
export type DetectErrorCode = (typeof DetectErrorCode)[keyof typeof DetectErrorCode]

export class DetectError extends Error {
  override readonly name = 'DetectError'
  constructor(readonly code: DetectErrorCode, message: string, readonly data: Readonly<Record<string, unknown>> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
  }
}
