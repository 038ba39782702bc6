// The sinks' error table (docs/architecture.md#conventions, rule 9): every failure carries a code and the data to find it.
import { errorClass, type CodeOf } from '../../core/errors.ts'

export const SinkErrorCode = {
  Config: 'LW_ERR_SINK_CONFIG',          // a sink's configuration section is invalid (data.problems)
  NotStarted: 'LW_ERR_SINK_NOT_STARTED', // a write before start() or after stop()
  Spool: 'LW_ERR_SINK_SPOOL',            // the InfluxDB sink's spill spool on disk failed (data.path)
  Store: 'LW_ERR_SINK_STORE',            // the SQLite telemetry store failed (data.path)
  Rejected: 'LW_ERR_SINK_REJECTED',      // the server refused lines for good (data.status)
  Lost: 'LW_ERR_SINK_LOST',              // lines neither written nor spooled (data.lines)
} as const
export type SinkErrorCode = CodeOf<typeof SinkErrorCode>

export class SinkError extends errorClass('SinkError', SinkErrorCode) {}
