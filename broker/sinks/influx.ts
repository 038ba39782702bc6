// The InfluxDB telemetry sink (docs/architecture.md#real-peers). Lines go through the client's WriteApi,
// which batches, gzips and retries with exponential backoff in memory. That memory is bounded, so
// a batch the client gives up on (retries or time used up, retry buffer full) is spilled to the
// on-disk spool instead of dropped. From then on new lines go to the spool too, and the spool is
// re-sent oldest first until it is empty. A line leaves the spool only after the server took it.
import { HttpError, InfluxDB, setLogger, type Logger as ClientLogger, type WriteApi } from '@influxdata/influxdb-client'
import type { Logger } from 'pino'
import type { AlarmEvent, Telemetry } from '../../protocol/index.ts'
import { backoffDelay } from '../../core/backoff.ts'
import { SinkError, SinkErrorCode } from './errors.ts'
import type { InfluxSinkConfig } from './influx-config.ts'
import { alarmLine, sampleLine, telemetryLine } from './line-protocol.ts'
import { LogThrottle } from '../../core/rate-limit.ts'
import { CHUNK_LINES, Spool } from './spool.ts'
import type { StoredTelemetry, TelemetrySink } from './types.ts'

export { InfluxSinkConfigSchema, parseInfluxSinkConfig, type InfluxSinkConfig } from './influx-config.ts'

// Refused for good, so re-sending would fail forever: bad line protocol or a field type conflict
// (400), a body over the server's limit (413), points outside the bucket's retention (422).
const REFUSED = new Set([400, 413, 422])

const statusOf = (err: unknown): number | undefined => (err instanceof HttpError ? err.statusCode : undefined)

export class InfluxSink implements TelemetrySink {
  readonly kind = 'influxdb'
  private readonly cfg: Readonly<InfluxSinkConfig>
  private readonly log: Logger
  private state: 'stopped' | 'running' | 'stopping' = 'stopped'
  private spool: Spool | undefined
  private writeApi: WriteApi | undefined
  private resendApi: WriteApi | undefined
  private previousClientLogger: ClientLogger | undefined
  /** new lines go to the spool: it is not empty, or the server keeps failing */
  private spooling = false
  private resendTimer: NodeJS.Timeout | undefined
  private resending: Promise<void> | undefined
  private resendFailures = 0
  /** lines handed to the client and not yet written, spilled or refused */
  private inClient = 0
  private clientSettled: (() => void) | undefined
  private stopping: Promise<void> | undefined
  private readonly counters = { accepted: 0, written: 0, retries: 0, spilled: 0, resent: 0, failed: 0, lost: 0 }
  private readonly retryLog = new LogThrottle(10_000)
  private readonly refusedLog = new LogThrottle(10_000)

  constructor(cfg: Readonly<InfluxSinkConfig>, log: Logger) {
    this.cfg = cfg
    this.log = log
  }

  async start(): Promise<void> {
    await this.stopping
    if (this.state !== 'stopped') return
    const c = this.cfg
    const influx = new InfluxDB({ url: c.url, token: c.token, timeout: c.timeoutMs })
    this.spool ??= new Spool({ dir: c.spillDir, maxBytes: c.maxSpillBytes }, this.log)
    this.spool.open()
    this.writeApi = influx.getWriteApi(c.org, c.bucket, c.precision, {
      batchSize: c.batchSize, flushInterval: c.flushIntervalMs, maxBatchBytes: c.maxBatchBytes, gzipThreshold: c.gzipThreshold,
      maxRetries: c.maxRetries, maxRetryTime: c.maxRetryTimeMs, maxBufferLines: c.maxBufferLines,
      minRetryDelay: c.minRetryDelayMs, maxRetryDelay: c.maxRetryDelayMs, retryJitter: c.retryJitterMs, exponentialBase: 2, randomRetry: true,
      writeSuccess: (lines) => this.clientWrote(lines),
      writeFailed: (err, lines, attempt, expires) => this.clientFailed(err, lines, attempt, expires),
      writeRetrySkipped: (entry) => { this.spill(entry.lines, 'retry buffer full'); this.settled(entry.lines.length) },
    })
    // The spool is re-sent one batch at a time with the sink's own backoff: no client retries, no
    // timer flushes, a batch never split (batchSize above any peek), failure = flush() rejected.
    this.resendApi = influx.getWriteApi(c.org, c.bucket, c.precision, {
      batchSize: Math.max(c.batchSize, CHUNK_LINES) + 1, flushInterval: 0, maxBatchBytes: Number.MAX_SAFE_INTEGER,
      gzipThreshold: c.gzipThreshold, maxRetries: 0,
      writeFailed: (err) => Promise.reject(err),
    })
    // The client logs through one process-wide logger (console by default): route it to pino.
    // Our hooks log every failure that matters, so its own lines are detail.
    const clientLog = this.log.child({ source: 'influxdb-client' })
    this.previousClientLogger = setLogger({
      error: (detail, err) => clientLog.warn({ err, detail }, 'influxdb client error'),
      warn: (detail, err) => clientLog.debug({ err, detail }, 'influxdb client warning'),
    })
    this.state = 'running'
    const spooled = this.spool.lines
    this.log.info({ url: c.url, org: c.org, bucket: c.bucket, spool: this.spool.path, spooled }, 'influx sink started')
    if (spooled > 0) {
      this.spooling = true
      this.scheduleResend(0)
    }
  }

  /** Tries once more to write what memory holds; what fails stays in the spool for the next start. */
  stop(): Promise<void> {
    if (this.state === 'stopped') return Promise.resolve()
    this.stopping ??= this.shutdown().finally(() => { this.stopping = undefined })
    return this.stopping
  }

  writeTelemetry(t: StoredTelemetry): void {
    this.write(telemetryLine(t))
  }

  writeSample(msg: Telemetry, elevatorId: string, region: string, ts: number = msg.ts): void {
    this.write(sampleLine(msg, elevatorId, region, ts))
  }

  writeAlarm(a: AlarmEvent): void {
    this.write(alarmLine(a))
  }

  stats() {
    const spool = this.spool
    return {
      counters: {
        ...this.counters,
        dropped: spool?.counters.dropped ?? 0,
        spoolCommits: spool?.counters.commits ?? 0,
        spoolWriteErrors: spool?.counters.writeErrors ?? 0,
      },
      gauges: {
        running: this.state === 'running' ? 1 : 0,
        spooling: this.spooling ? 1 : 0,
        clientLines: this.inClient,
        spoolLines: spool?.lines ?? 0,
        spoolBytes: spool?.bytes ?? 0,
      },
    }
  }

  private write(line: string): void {
    if (this.state !== 'running') throw new SinkError(SinkErrorCode.NotStarted, 'influx sink is not running', { state: this.state })
    this.counters.accepted++
    if (this.spooling) {
      this.spool!.add([line])
      this.counters.spilled++
    } else {
      this.inClient++
      this.writeApi!.writeRecord(line)
    }
  }

  private clientWrote(lines: string[]): void {
    this.counters.written += lines.length
    this.settled(lines.length)
    // the server answers again while the spool waits for its next try: try now
    if (this.spooling && this.resendTimer) {
      clearTimeout(this.resendTimer)
      this.resendTimer = undefined
      this.scheduleResend(0)
    }
  }

  /** The client's writeFailed hook: undefined lets it retry; a promise ends the batch here. */
  private clientFailed(err: Error, lines: string[], attempt: number, expires: number): Promise<void> | undefined {
    const status = statusOf(err)
    if (status !== undefined && REFUSED.has(status)) {
      this.refused(err, status, lines)
    } else if (this.state === 'running' && attempt <= this.cfg.maxRetries && expires > Date.now() && (status === undefined || status >= 429)) {
      // the conditions under which WriteApiImpl retries the batch from its own buffer
      this.counters.retries++
      const suppressed = this.retryLog.take()
      if (suppressed !== null) this.log.warn({ err, status, attempt, lines: lines.length, suppressed: this.retryLog.take() }, 'influxdb write failed: retrying')
      return undefined
    } else {
      // retries or time used up, auth/bucket errors (an operator must act; keep the data), or stopping
      this.spill(lines, err)
    }
    this.settled(lines.length)
    return Promise.resolve()
  }

  private settled(lines: number): void {
    this.inClient -= lines
    if (this.inClient <= 0) this.clientSettled?.()
  }

  private spill(lines: readonly string[], cause: unknown): void {
    const spool = this.spool
    if (!spool?.isOpen) {
      this.counters.lost += lines.length
      this.log.error({ err: new SinkError(SinkErrorCode.Lost, 'lines neither written nor spooled: spool closed', { lines: lines.length }, cause) }, 'influx lines lost')
      return
    }
    spool.add(lines)
    this.counters.spilled += lines.length
    if (!this.spooling) {
      this.spooling = true
      this.log.warn({ err: cause, lines: lines.length, spool: spool.path }, 'influxdb write given up in memory: spooling to disk')
      this.scheduleResend(this.cfg.minRetryDelayMs)
    }
  }

  private refused(err: unknown, status: number, lines: readonly string[]): void {
    this.counters.failed += lines.length
    const suppressed = this.refusedLog.take()
    if (suppressed !== null) {
      const e = new SinkError(SinkErrorCode.Rejected, 'influxdb refused lines', { status, lines: lines.length, sample: lines[0]?.slice(0, 300) }, err)
      this.log.error({ err: e, suppressed }, 'influxdb refused lines')
    }
  }

  private scheduleResend(delayMs: number): void {
    if (this.state !== 'running' || this.resending || this.resendTimer) return
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined
      this.resending = this.resend().then((empty) => {
        this.resending = undefined
        if (!empty) this.scheduleResend(this.resendDelay())
      })
    }, delayMs)
  }

  /** Re-sends the spool oldest first. true when it is empty and new lines go to the client again. */
  private async resend(): Promise<boolean> {
    const spool = this.spool!
    while (this.state === 'running') {
      let batch: ReturnType<Spool['peek']>
      try {
        batch = spool.peek(this.cfg.batchSize, this.cfg.maxBatchBytes)
      } catch (err) {
        this.resendFailures++
        this.log.error({ err }, 'spool read failed')
        return false
      }
      if (!batch) {
        this.spooling = false
        this.resendFailures = 0
        this.log.info({ resent: this.counters.resent }, 'spool empty: writing directly again')
        return true
      }
      let written = true
      try {
        this.resendApi!.writeRecords(batch.lines)
        await this.resendApi!.flush()
      } catch (err) {
        spool.release()
        const status = statusOf(err)
        if (status === undefined || !REFUSED.has(status)) {
          this.resendFailures++
          this.counters.retries++
          const suppressed = this.retryLog.take()
          if (suppressed !== null) this.log.warn({ err, status, spooled: spool.lines, attempt: this.resendFailures, suppressed: this.retryLog.take() }, 'spool re-send failed: retrying')
          return false
        }
        this.refused(err, status, batch.lines)
        written = false
      }
      try {
        spool.remove(batch.uptoId)
      } catch (err) {
        // the server has these lines; they will be sent once more (same series and time: no new point)
        this.log.error({ err, uptoId: batch.uptoId }, 'spool delete failed')
        return false
      }
      if (written) {
        this.counters.resent += batch.lines.length
        this.counters.written += batch.lines.length
      }
      this.resendFailures = 0
    }
    return false
  }

  /** The client's own retry timing (exponential, a random extra of up to retryJitterMs), for the spool. */
  private resendDelay(): number {
    const { minRetryDelayMs: minMs, maxRetryDelayMs: maxMs, retryJitterMs: jitterMs } = this.cfg
    return backoffDelay(this.resendFailures - 1, { minMs, maxMs, jitter: 0, jitterMs })
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping'
    clearTimeout(this.resendTimer)
    this.resendTimer = undefined
    await this.resending
    const deadline = performance.now() + this.cfg.stopTimeoutMs
    // one more try for the client's buffers; clientFailed spills whatever fails now
    const flushed = this.writeApi!.flush(true).catch((err: unknown) => this.log.error({ err }, 'final flush failed'))
    await this.untilClientIdle(deadline, flushed)
    const unsent = this.inClient
    this.writeApi!.dispose()
    this.resendApi!.dispose()
    if (unsent > 0) {
      this.counters.lost += unsent
      this.log.error({ err: new SinkError(SinkErrorCode.Lost, 'lines still in the client at the stop deadline', { lines: unsent }) }, 'influx lines lost')
    }
    this.inClient = 0
    setLogger(this.previousClientLogger!)
    this.spool!.close()
    this.spooling = false
    this.state = 'stopped'
    this.log.info({ spooled: this.spool!.lines, ...this.counters }, 'influx sink stopped')
  }

  /** Until the final flush is done and no batch is in flight (or the deadline). */
  private async untilClientIdle(deadline: number, flushed: Promise<void>): Promise<void> {
    let flushDone = false
    void flushed.then(() => { flushDone = true; this.clientSettled?.() })
    while (!flushDone || this.inClient > 0) {
      const left = deadline - performance.now()
      if (left <= 0) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.clientSettled = () => { clearTimeout(timer); resolve() }
      })
      this.clientSettled = undefined
    }
  }
}
