// The broker host's composition root: MQTT host → ingest → detectors → alarm store, sinks and the
// HTTP API. Opens nothing until start().
import { readFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs'
import type { FastifyInstance } from 'fastify'
import { alarmEventTopic, type AlarmEvent } from '../protocol/index.ts'
import type { Db } from '../core/sqlite.ts'
import type { BrokerConfig } from './config.ts'
import { MqttHost, type BoundPorts } from './mqtt/host.ts'
import { Ingest, isForwarded } from './ingest/ingest.ts'
import { DetectorRuntime } from './detect/runtime.ts'
import { AlarmStore, unackedView, type StoredAlarm } from './alarms/store.ts'
import { createTelemetrySink, type TelemetrySink } from './sinks/index.ts'
import { build } from './http/app.ts'
import { plainHttpRefusal } from './http/hosts.ts'
import { LiveView } from './live-view.ts'
import { AccountStore } from './accounts/store.ts'
import { auditConfigChange } from './accounts/config-audit.ts'
import { BrokerMetrics } from './metrics.ts'
import type { PartiesDirectory } from './parties/directory.ts'
import { logReload, readBoth, warnings, type Reloaded } from './parties/reload.ts'
import { openResponseDb } from './incidents/db.ts'
import { reachableRoles } from './incidents/config.ts'
import { validatePolicies } from '../response/index.ts'
import { IncidentService } from './incidents/service.ts'
import { incidentMessage, whereCarStopped } from './incidents/wire.ts'
import { Outbox } from './notify/outbox.ts'
import { Dispatcher } from './notify/dispatcher.ts'
import { createSend, resolveEndpoint } from './notify/channels/index.ts'
import { startRecords, type Records } from './records/wire.ts'

export interface BrokerOptions {
  scheduler?: SchedulerLike
  /** where the first admin's password goes, once: stdout by default, never the log */
  announce?: (line: string) => void
}
export interface BrokerPorts { mqtt: BoundPorts; http: number }

export class Broker {
  readonly metrics = new BrokerMetrics()
  private store: AlarmStore | undefined
  private accountStore: AccountStore | undefined
  private sink: TelemetrySink | undefined
  private ingest: Ingest | undefined
  private host: MqttHost | undefined
  private runtime: DetectorRuntime | undefined
  private view: LiveView | undefined
  private http: FastifyInstance | undefined
  private subs: Subscription[] = []
  private alarmPublishErrors = 0
  private alarmStoreErrors = 0
  private stopping: Promise<void> | undefined
  private directory: PartiesDirectory
  private responseDb: Db | undefined
  private incidentService: IncidentService | undefined
  private dispatcher: Dispatcher | undefined
  private incidentPublishErrors = 0
  private records: Records | undefined
  private outbox: Outbox | undefined
  private endpointProblems = new Set<string>()

  constructor(readonly cfg: BrokerConfig, private readonly log: Logger, private readonly opts: BrokerOptions = {}) {
    this.directory = cfg.parties
  }

  /** The parties directory in effect (a reload may replace it). */
  get parties(): PartiesDirectory {
    return this.directory
  }

  /**
   * Re-reads the registry and parties files; swaps both only when both are valid, else keeps the
   * old ones and logs every problem. MQTT and HTTP connections are not touched.
   */
  reload(): Reloaded {
    const read = readBoth(this.cfg.sources, { registry: this.cfg.registry, parties: this.directory })
    const log = this.log.child({ component: 'reload' })
    if (!read.ok) {
      const r = { ok: false, problems: read.problems }
      logReload(log, r)
      return r
    }
    // the escalation policies must still reach someone with the new directory (docs/domain.md#response-chain)
    const unreachable = this.cfg.sources.parties
      ? validatePolicies(this.cfg.response.policySet, reachableRoles(read.parties)).map((p) => ({ file: this.cfg.sources.parties!, path: `(policies) ${p.path}`, message: p.message }))
      : []
    if (unreachable.length) {
      const r = { ok: false, problems: unreachable }
      logReload(log, r)
      return r
    }
    if (read.registry !== this.cfg.registry) this.cfg.registry.replaceWith(read.registry)
    this.directory = read.parties
    const r = { ok: true, problems: this.partiesWarnings() }
    logReload(log, r, { elevators: this.cfg.registry.elevators.length, parties: read.parties.file.elevators.length })
    return r
  }

  private partiesWarnings(): Reloaded['problems'] {
    if (!this.cfg.sources.parties) return []
    const file = this.cfg.sources.parties
    return warnings(this.directory, this.cfg.registry).map((p) => ({ file, ...p }))
  }

  async start(): Promise<BrokerPorts> {
    const { cfg, log } = this
    const registry = cfg.registry
    // before anything opens: no logins in clear text across a network (docs/deploy.md)
    const refusal = plainHttpRefusal(cfg.http)
    if (refusal) throw new Error(refusal)
    const tls = cfg.http.tls && { cert: readFileSync(cfg.http.tls.cert), key: readFileSync(cfg.http.tls.key) }
    this.store = new AlarmStore(cfg.alarms.path)
    this.store.start()
    const accounts = this.accountStore = new AccountStore({ path: cfg.accounts.path, sessionIdleMinutes: cfg.accounts.sessionIdleMinutes, sessionMaxHours: cfg.accounts.sessionMaxHours })
    accounts.start()
    await this.firstAdmin(accounts)
    auditConfigChange(accounts, cfg)
    this.sink = createTelemetrySink(cfg.telemetry, log.child({ component: 'sink' }))
    await this.sink.start()
    // one clock for receipt times and detector time: the scheduler's (virtual in tests)
    const scheduler = this.opts.scheduler
    const ingest = this.ingest = new Ingest({ registry, log: log.child({ component: 'ingest' }), config: cfg.ingest, ...(scheduler ? { now: () => scheduler.now() } : {}) })
    this.host = new MqttHost({
      config: cfg.mqtt, registry, log: log.child({ component: 'mqtt' }),
      onPublish: (m) => isForwarded(ingest.handle(m)),
    })
    this.runtime = new DetectorRuntime({
      input$: ingest.events$, config: cfg.detectors, active: this.store.active(), log: log.child({ component: 'detectors' }),
      facts: (id) => {
        const e = registry.elevator(id)
        return e ? { landings: e.landings, ratedSpeed: e.ratedSpeed, travel: e.travel ?? null } : null
      },
      ...(this.opts.scheduler ? { scheduler: this.opts.scheduler } : {}),
    })
    const view = this.view = new LiveView(registry, this.store, () => this.metrics.text(), () => this.health(), cfg.alarms.keepUntilAcked)
    const incidents = this.startResponse(scheduler ?? asyncScheduler, (id) => whereCarStopped(view.telemetry(id), registry.elevator(id)))
    view.attachIncidents(incidents.live$)
    const alarmStore = this.store
    this.records = startRecords({
      db: this.responseDb!, path: cfg.response.path, registry, parties: () => this.directory, scheduler: scheduler ?? asyncScheduler,
      log: log.child({ component: 'records' }), outbox: this.outbox!, kick: () => this.dispatcher?.kick(),
      linkBase: () => cfg.response.linkBase ?? cfg.http.publicOrigin ?? this.httpOrigin,
      linkKey: cfg.response.linkKeyEnv ? process.env[cfg.response.linkKeyEnv] : undefined, alarms: alarmStore, incidents, config: cfg.records,
      live: (id) => ({
        ...(view.telemetry(id) ? { telemetry: view.telemetry(id)! } : {}), availability: view.availabilityOf(id),
        activeAlarms: alarmStore.active().filter((a) => a.elevatorId === id),
      }),
    })
    this.subs.push(
      ingest.events$.subscribe((e) => view.onInput(e)),
      ingest.telemetry$.subscribe((t) => this.sink!.writeSample(t.msg, t.elevatorId, t.region, t.gatewayTs)),
      this.runtime.alarms$.subscribe((a) => this.onAlarm(a)),
    )
    this.runtime.start()
    this.registerMetrics()
    const mqtt = await this.host.start()
    this.http = build({
      view, log: log.child({ component: 'http' }), registry: this.metrics.registry, accounts, sse: { ...cfg.http.sse },
      http: { tls, publicOrigin: cfg.http.publicOrigin, listenHost: cfg.http.host, autoLogin: cfg.http.autoLogin },
      incidents,
      routes: this.records.routes,
    })
    await this.http.listen({ host: cfg.http.host, port: cfg.http.port })
    const http = (this.http.server.address() as { port: number }).port
    this.httpOrigin = `${tls ? 'https' : 'http'}://${/:/.test(cfg.http.host) ? `[${cfg.http.host}]` : cfg.http.host === '0.0.0.0' ? '127.0.0.1' : cfg.http.host}:${http}`
    for (const p of this.partiesWarnings()) log.warn({ file: p.file, path: p.path, problem: p.message }, 'parties directory warning')
    log.info({ mqtt, http, elevators: registry.elevators.length, sink: this.sink.kind }, 'broker started')
    return { mqtt, http }
  }

  private httpOrigin = ''

  /** The response chain: its store, the outbox and dispatcher, the incident service (docs/domain.md#response-chain). */
  private startResponse(scheduler: SchedulerLike, carAt: (elevatorId: string) => string | undefined): IncidentService {
    const { cfg, log } = this
    const rc = cfg.response
    const db = this.responseDb = openResponseDb(rc.path)
    const outbox = this.outbox = new Outbox(db)
    const dlog = log.child({ component: 'notify' })
    const endpoint = (id: string) => {
      const ep = this.directory.endpoint(id)
      if (!ep) return undefined
      const r = resolveEndpoint(ep, process.env)
      if (!('problem' in r)) return r
      // sent unsigned, the service refuses it: the timeline says so; the log says why, once
      if (!this.endpointProblems.has(id)) { this.endpointProblems.add(id); dlog.error({ endpoint: id, problem: r.problem }, 'endpoint secret missing') }
      return ep
    }
    const linkKey = rc.linkKeyEnv ? process.env[rc.linkKeyEnv] : undefined
    if (rc.linkKeyEnv && !linkKey) throw new Error(`response.linkKeyEnv: environment variable ${rc.linkKeyEnv} is not set`)
    const origin = (): string => this.httpOrigin
    const incidents = this.incidentService = new IncidentService({
      db, registry: cfg.registry, parties: () => this.directory, policies: rc.policySet, scheduler, log: log.child({ component: 'incidents' }),
      outbox, kick: () => this.dispatcher?.kick(),
      // the HTTP port is known once it listens (0 in tests); links are made later than that
      get linkBase() { return rc.linkBase ?? cfg.http.publicOrigin ?? origin() },
      ...(linkKey ? { linkKey } : {}), linkTtlMs: rc.linkTtlHours * 3_600_000, carAt,
      ...(rc.mqtt ? { publish: (s) => this.publishIncident(s) } : {}),
    })
    this.dispatcher = new Dispatcher({
      outbox, send: createSend({ now: () => scheduler.now() }), endpoint, scheduler, log: dlog,
      ...(rc.limits ? { limits: rc.limits } : {}),
      retry: { minMs: rc.retry.minSeconds * 1000, maxMs: rc.retry.maxSeconds * 1000, giveUpAfterMs: rc.retry.giveUpHours * 3_600_000 },
      // an incident's messages, or a record's (hazards hz-, patrols pt-, residents' reports cp-)
      onAttempt: (r) => (this.records?.owns(r.item.incidentId) ? this.records.onAttempt(r) : incidents.onAttempt(r)),
    })
    incidents.start()
    this.dispatcher.start()
    return incidents
  }

  private publishIncident(s: Parameters<typeof incidentMessage>[0]): void {
    if (this.stopping || !this.host) return
    const m = incidentMessage(s, this.opts.scheduler?.now() ?? Date.now())
    this.host.publish(m.topic, m.payload, { qos: 1 }).catch((err: unknown) => {
      this.incidentPublishErrors++
      this.log.error({ err, incident: s.id }, 'incident publish failed')
    })
  }

  /** The incident service while started (the demo and tests read it). */
  get incidents(): IncidentService | undefined {
    return this.incidentService
  }

  /** The accounts store while started (the demo adds its users through it). */
  get accounts(): AccountStore | undefined {
    return this.accountStore
  }

  private async firstAdmin(accounts: AccountStore): Promise<void> {
    const made = await accounts.ensureFirstAdmin(this.cfg.accounts.admin)
    if (!made) return
    this.log.info({ username: made.username, fromConfig: made.password === null }, 'first admin created')
    if (made.password === null) return
    const announce = this.opts.announce ?? ((line: string) => process.stdout.write(line))
    // a plain line, not a log record: logs are shipped and kept, this password must not be
    announce(`首个管理员 first admin: ${made.username}  口令 password: ${made.password}  (仅显示一次 shown once; liftwatch user passwd ${made.username} to change)\n`)
  }

  private onAlarm(a: AlarmEvent): void {
    // stored first: what the page and the API show is what survives a restart
    let stored: StoredAlarm
    try {
      stored = this.store!.record(a)
    } catch (err) {
      this.alarmStoreErrors++
      this.log.error({ err, alarm: a.id }, 'alarm store write failed')
      stored = unackedView(a)
    }
    this.sink!.writeAlarm(a)
    this.view!.onAlarm(stored)
    // the response chain: an entrapment opens an incident, which tells its parties (docs/domain.md#response-chain)
    this.incidentService?.onAlarm(a)
    // repeated faults and safety-critical ones register a hazard (docs/records.md)
    this.records?.hazards.onAlarm(a)
    // stopping: the MQTT host may already be closed; the alarm is in the store for the next start
    if (this.stopping) return
    this.host!.publish(alarmEventTopic(a), JSON.stringify(a), { qos: 1 }).catch((err: unknown) => {
      this.alarmPublishErrors++
      this.log.error({ err, alarm: a.id }, 'alarm publish failed')
    })
  }

  private health(): { ok: boolean; checks: Record<string, boolean> } {
    const checks = { store: this.store !== undefined, mqtt: this.host !== undefined, detectors: this.runtime !== undefined, incidents: this.incidentService !== undefined }
    return { ok: Object.values(checks).every(Boolean) && !this.stopping, checks }
  }

  private registerMetrics(): void {
    const m = this.metrics
    m.part('mqtt', () => this.host?.stats())
    m.part('detectors', () => this.runtime?.stats())
    m.part('sink', () => this.sink?.stats())
    m.part('incidents', () => this.incidentService && { ...this.incidentService.stats(), publishErrors: this.incidentPublishErrors })
    m.part('notify', () => this.dispatcher?.stats())
    m.part('records', () => this.records?.stats())
    m.part('alarms', () => ({ publishErrors: this.alarmPublishErrors, storeErrors: this.alarmStoreErrors, active: this.store?.active().length ?? 0 }))
    const refused = () => this.host?.stats().refused
    m.samples('liftwatch_broker_mqtt_refused_connect', 'connects refused, per reason', ['reason'], () =>
      Object.entries(refused()?.connect ?? {}).map(([reason, n]) => [{ reason }, n]))
    for (const action of ['publish', 'subscribe'] as const) {
      m.samples(`liftwatch_broker_mqtt_refused_${action}`, `${action}s refused by the ACL, per client and reason`, ['client', 'reason'], () =>
        Object.entries(refused()?.[action] ?? {}).flatMap(([client, counts]) => Object.entries(counts).map(([reason, n]) => [{ client, reason }, n] as [Record<string, string>, number])))
    }
    m.labelled('liftwatch_broker_ingest', 'ingest counts per gateway', 'gateway', () => (this.ingest?.stats().gateways ?? {}) as unknown as Record<string, Record<string, number>>)
    m.perLabel('liftwatch_broker_gateway_clock_offset_seconds', "how far each gateway's clock is ahead of the broker's (negative: behind), as measured on its live telemetry", 'gateway', () => this.ingest?.clockOffsets() ?? {})
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // detectors first: no alarm may come after the MQTT host that publishes it has closed
      this.runtime?.stop()
      for (const s of this.subs) s.unsubscribe()
      this.ingest?.stop()
      await this.http?.close()
      // the dispatcher's in-flight sends finish (or time out) before the store closes
      await this.dispatcher?.stop()
      this.records?.stop()
      this.incidentService?.stop()
      this.responseDb?.close()
      await this.host?.stop()
      this.view?.stop()
      await this.sink?.stop()
      this.store?.stop()
      this.accountStore?.stop()
    })()
    return this.stopping
  }
}
