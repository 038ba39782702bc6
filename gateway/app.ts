// The gateway composition root: links → pollers → reporters → durable publisher. Opens nothing
// until start().
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import { decode, formatProblems, gatewayStatusTopic, markReplay, type ControllerState, type GatewayStatus, type Problem, type Profile } from '../protocol/index.ts'
import { LogThrottle } from '../core/rate-limit.ts'
import type { GatewayConfig } from './config.ts'
import { ModbusLink } from './modbus/link.ts'
import { LinkPoller } from './modbus/link-poller.ts'
import { Outbox } from './outbox/outbox.ts'
import { Publisher } from './outbox/publisher.ts'
import { loadProfileChecked } from './profiles.ts'
import { ElevatorReporter, type OutMessage } from './reporter.ts'
import { GatewayMetrics, serveMetrics, type Tally } from './metrics.ts'
import { pollingProfile, speedSignOf } from './telemetry.ts'
import { SOFTWARE_VERSION } from './version.ts'


export interface GatewayOptions {
  /** profiles by name, for tests and tools that already loaded them */
  profiles?: Record<string, Profile>
}

export class Gateway {
  readonly boot = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  readonly metrics = new GatewayMetrics()
  readonly reporters = new Map<string, ElevatorReporter>()
  private readonly messageTallies: Record<OutMessage['kind'], Tally> = {
    change: this.metrics.messages.tally({ kind: 'change' }),
    heartbeat: this.metrics.messages.tally({ kind: 'heartbeat' }),
    availability: this.metrics.messages.tally({ kind: 'availability' }),
  }
  private links: ModbusLink[] = []
  private pollers: LinkPoller[] = []
  private outbox: Outbox | undefined
  private publisher: Publisher | undefined
  private metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined
  private stopping: Promise<void> | undefined
  private readonly invalidLog = new LogThrottle(60_000)

  constructor(readonly cfg: Readonly<GatewayConfig>, private readonly log: Logger, private readonly opts: GatewayOptions = {}) {}

  get statusTopic(): string { return gatewayStatusTopic(this.cfg.gateway.id) }
  get publisherStats() { return this.publisher?.stats() }

  async start(): Promise<{ metricsPort?: number }> {
    const { cfg, log } = this
    const profiles = new Map<string, Profile>()
    const profileOf = (name: string) => {
      let p = this.opts.profiles?.[name] ?? profiles.get(name)
      if (!p) {
        const loaded = loadProfileChecked(name)
        for (const warning of loaded.warnings) log.warn({ profile: name, warning }, 'profile warning')
        p = loaded.profile
        profiles.set(name, p)
      }
      return p
    }
    for (const e of cfg.elevators) {
      this.reporters.set(e.id, new ElevatorReporter({
        elevatorId: e.id, region: e.region ?? cfg.gateway.region, gatewayId: cfg.gateway.id, boot: this.boot,
        heartbeatMs: cfg.polling.heartbeatSeconds * 1000, offlineAfterFailures: cfg.polling.offlineAfterFailures,
        deadband: cfg.polling.deadband, landings: e.landings,
        speedSign: speedSignOf(profileOf(e.profile)), faultCodes: profileOf(e.profile).faultCodes,
        onInvalid: (problems, state) => this.invalidTelemetry(e.id, problems, state),
      }))
    }
    this.outbox = new Outbox(cfg.outbox, log.child({ component: 'outbox' }))
    this.outbox.open()
    const outbox = this.outbox
    // the status says when the outbox cannot store: the centre then knows an outage would lose data
    const online = (): GatewayStatus => ({
      v: 1, state: 'online', version: SOFTWARE_VERSION, boot: this.boot, elevators: cfg.elevators.map((e) => e.id),
      ...(outbox.state === 'ok' ? {} : { outbox: outbox.state }),
    })
    this.publisher = new Publisher({
      mqtt: cfg.mqtt, clientId: cfg.mqtt.clientId ?? cfg.gateway.id, outbox: this.outbox,
      outboxConfig: cfg.outbox,
      will: { topic: this.statusTopic, payload: JSON.stringify({ v: 1, state: 'offline' }) },
      onConnect: () => [
        { topic: this.statusTopic, payload: JSON.stringify(online()), retain: true },
        ...[...this.reporters.values()].flatMap((r) => r.currentAvailability() ?? []),
      ],
      toReplay: markReplay,
      onAcked: (latencyMs: number) => this.metrics.publishLatency.observe(latencyMs / 1000),
    }, log.child({ component: 'mqtt' }))
    this.metrics.gauge('liftwatch_gateway_outbox_depth', 'messages waiting in the outbox', () => this.publisher?.stats().depth ?? 0)
    this.metrics.gauge('liftwatch_gateway_outbox_drops', 'messages dropped from a full outbox', () => {
      const drops: Record<string, number> = this.publisher?.stats().drops ?? {}
      return Object.values(drops).reduce((a, b) => a + b, 0)
    })
    this.metrics.gauge('liftwatch_gateway_mqtt_connected', '1 while connected to the broker', () => (this.publisher?.stats().connected ? 1 : 0))
    this.metrics.gauge('liftwatch_gateway_outbox_full', '1 while SQLite reports the outbox file or its disk full', () => (outbox.state === 'full' ? 1 : 0))
    this.metrics.gauge('liftwatch_gateway_outbox_write_errors', 'outbox write transactions that failed', () => outbox.stats().writeErrors)
    this.metrics.gauge('liftwatch_gateway_outbox_bypassed', 'messages published unstored while the outbox could not write', () => outbox.stats().bypassed)
    outbox.on('state', () => this.publisher?.announce({ topic: this.statusTopic, payload: JSON.stringify(online()), retain: true }))
    await this.publisher.start()

    for (const linkCfg of cfg.links) {
      const link = new ModbusLink(linkCfg, log.child({ component: 'link', link: linkCfg.id }))
      const targets = cfg.elevators.filter((e) => e.link === linkCfg.id).map((e) => ({
        key: e.id, unitId: e.unitId, profile: pollingProfile(profileOf(e.profile)), pollMs: e.pollMs ?? cfg.polling.pollMs,
      }))
      // Looked up once per poll by key: what each elevator's callbacks need.
      const units = new Map(targets.map((t) => [t.key, {
        profile: t.profile, reporter: this.reporters.get(t.key)!,
        ok: this.metrics.polls.tally({ elevator: t.key, result: 'ok' }), failed: this.metrics.polls.tally({ elevator: t.key, result: 'failed' }),
      }]))
      const poller = new LinkPoller(link, targets, {
        sample: (key, image, at, pointErrors) => {
          for (const pe of pointErrors) this.metrics.pointErrors.inc({ elevator: key, point: pe.point })
          const u = units.get(key)!
          this.emit(u.reporter.sample(decode(u.profile, image), at))
        },
        failure: (key, err, consecutive) => {
          this.metrics.failures.inc({ elevator: key, code: err.code })
          this.emit(units.get(key)!.reporter.failure(consecutive, err.code, Date.now()))
        },
        polled: (key, ok, durationMs) => {
          const u = units.get(key)!
          if (ok) u.ok.n++
          else u.failed.n++
          this.metrics.pollDuration.observe(durationMs / 1000)
        },
      }, log.child({ component: 'poller', link: linkCfg.id }), { offlineAfterFailures: cfg.polling.offlineAfterFailures })
      this.links.push(link)
      this.pollers.push(poller)
      link.start()
      poller.start()
    }
    if (cfg.metrics) this.metricsServer = await serveMetrics(this.metrics, cfg.metrics.host, cfg.metrics.port)
    log.info({ gateway: cfg.gateway.id, boot: this.boot, elevators: cfg.elevators.length, links: cfg.links.length, metricsPort: this.metricsServer?.port }, 'gateway started')
    return { metricsPort: this.metricsServer?.port }
  }

  /** The contract rejects what the reporter made of a sample: counted, logged (throttled), never published. */
  private invalidTelemetry(elevator: string, problems: Problem[], state: ControllerState): void {
    const first = problems[0] ?? { path: '(root)', message: 'invalid' }
    this.metrics.invalidTelemetry.inc({ elevator, field: first.path.split('.')[0]! })
    const suppressed = this.invalidLog.take(`${elevator}\0${first.path}`)
    if (suppressed === null) return
    const field = first.path.split('.')[0]! as keyof ControllerState
    this.log.warn({ elevator, field: first.path, problem: formatProblems([first]), value: state[field], problems: problems.length, suppressed }, 'telemetry rejected by the v1 contract, not published')
  }

  private emit(messages: OutMessage[]): void {
    for (const m of messages) {
      this.messageTallies[m.kind].n++
      if (m.kind === 'availability') this.metrics.available.set({ elevator: m.elevatorId }, m.state === 'online' ? 1 : 0)
      this.publisher!.send(m)
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.pollers.map((p) => p.stop()))
      await Promise.all(this.links.map((l) => l.stop()))
      await this.publisher?.stop()
      this.outbox?.close()
      await new Promise<void>((resolve) => (this.metricsServer ? this.metricsServer.server.close(() => resolve()) : resolve()))
    })()
    return this.stopping
  }
}
