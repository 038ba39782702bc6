// Every detector of every elevator, driven directly: per elevator one record holding a driver per
// detector, no stream per detector per elevator (a county is thousands of elevators × 21
// detectors). Each driver is contained (docs/architecture.md#conventions, rule 9): when it throws, the failure is reported
// and a fresh instance takes the elevator's later inputs; the others never see it. An elevator
// silent for `evictAfterMs` is forgotten; its active alarms stay in the lifecycle.
import { Subject, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs'
import type { Detector, DetectorContext, DetectorInput, AlarmSignal } from '../../detectors/index.ts'
import type { Dispatch } from '../../detectors/runtime/types.ts'
import { GAP_MS, MachineDriver, type DriverSink } from '../../detectors/runtime/driver.ts'
import type { LearnedDrop, LearnedRecord } from '../../detectors/runtime/learned.ts'
import { F, LinkState } from '../../detectors/runtime/link.ts'
import { Plans, inBand, skippable, type Plan } from './plan.ts'

/** One detector's learned state about one elevator (detectors/runtime/learned.ts). */
export interface LearnedRow { readonly elevatorId: string; readonly detectorId: string; readonly record: LearnedRecord }

/** What the engine needs from its runtime. */
export interface EngineHooks {
  /** a fresh instance's settings and context */
  configFor(d: Detector, elevatorId: string): unknown
  context(elevatorId: string): DetectorContext
  signal(d: Detector, elevatorId: string, s: AlarmSignal): void
  failed(d: Detector, elevatorId: string, err: unknown): void
  restarted(d: Detector): void
  /** what was learned about an elevator before, by detector id, for its first input */
  learned?(elevatorId: string): ReadonlyMap<string, LearnedRecord> | null
  /** a stored snapshot that did not fit its detector */
  dropped?(d: Detector, elevatorId: string, why: LearnedDrop): void
  /** the learned state of elevators about to be forgotten for silence */
  evicting?(rows: LearnedRow[]): void
}

interface Driven {
  input(i: DetectorInput): void
  dispose(): void
  snapshot?(): LearnedRecord | null
  restore?(r: LearnedRecord): true | LearnedDrop
}

/**
 * One elevator: the current instance of each detector (by the engine's detector order), and the
 * sink their signals go through, which knows a detector by its instance (one object per
 * elevator, not one per detector).
 */
class Group implements DriverSink {
  readonly drivers: (Driven | null)[] = []
  /** the elevator's link, written once per input for every driver launched with the group (detectors/runtime/link.ts) */
  readonly link = new LinkState()
  /** per detector k: [2k] its driver's wake-up time, [2k + 1] 1 while it must see each live sample, then bands (driver.ts SharedLink) */
  readonly cells: number[]
  plan: Plan | null = null
  /** detectors without a running instance, launched again at the next input */
  down = 0
  lastSeen = 0

  constructor(readonly elevatorId: string, private readonly engine: ElevatorEngine, cellsHint: number) {
    this.cells = driverCells(engine.detectors.length, cellsHint)
  }

  signal(s: AlarmSignal, from: unknown): void {
    const k = this.drivers.indexOf(from as Driven)
    // a late signal of an instance already replaced names no detector of this group
    if (k >= 0) this.signalOf(k, s)
  }

  signalOf(k: number, s: AlarmSignal): void {
    this.engine.hooks.signal(this.engine.detectors[k]!, this.elevatorId, s)
  }

  fail(err: unknown, from: unknown): void {
    // a machine driver's timers end with it: a failure comes from the instance in place
    const k = this.drivers.indexOf(from as Driven)
    if (k >= 0) this.failOf(k, err, from)
  }

  failOf(k: number, err: unknown, from: unknown): void {
    this.engine.failed(this, k, from, err)
  }
}

// plain doubles in the heap (a typed array this size keeps its data outside it): [wake, must] per detector
// made at its final length: pushing one by one would leave it twice the room it needs
function driverCells(n: number, length: number): number[] {
  const cells = new Array<number>(Math.max(2 * n, length)).fill(NaN)
  for (let k = 0; k < n; k++) {
    cells[2 * k] = Infinity
    cells[2 * k + 1] = 1
  }
  return cells
}

const banded = (d: Dispatch | null): boolean => d?.band === F.position || d?.band === F.speed

/** Where detector k's band goes: after the wake-up cells, in detector order (plan.ts). */
function bandCell(g: Group, k: number): number {
  let at = 2 * g.drivers.length
  for (let j = 0; j < k; j++) {
    const d = g.drivers[j]
    if (d instanceof MachineDriver && banded(d.dispatch)) at += 2
  }
  g.cells[at] = g.cells[at + 1] = NaN
  return at
}

function sweepWork(this: SchedulerAction<ElevatorEngine>, e?: ElevatorEngine): void {
  e!.sweep()
}

export class ElevatorEngine {
  private readonly groups = new Map<string, Group>()
  private readonly plans = new Plans()
  /** the length of the last group's cells: the next one's is most likely the same */
  private cellsHint = 0
  private sweeping: Subscription | null = null
  private stopped = false

  constructor(
    readonly detectors: readonly Detector[],
    private readonly scheduler: SchedulerLike,
    private readonly evictAfterMs: number,
    readonly hooks: EngineHooks,
  ) {}

  get size(): number {
    return this.groups.size
  }

  input(i: DetectorInput): void {
    if (this.stopped) return
    let g = this.groups.get(i.elevatorId)
    if (!g) {
      const n = this.detectors.length
      const group = new Group(i.elevatorId, this, this.cellsHint)
      for (let k = 0; k < n; k++) group.drivers.push(null)
      this.groups.set(i.elevatorId, (g = group))
      for (let k = 0; k < n; k++) this.launch(group, k, true)
      group.plan = this.plans.of(group.drivers.map((d) => (d instanceof MachineDriver ? d.dispatch : null)))
      this.cellsHint = group.cells.length
      this.restore(group)
      this.sweeping ??= this.scheduler.schedule(sweepWork, this.sweepEvery(), this)
    }
    // an instance that failed while starting is retried at the next input, not at once, so a
    // detector whose create() always throws costs one attempt per input instead of a busy loop
    if (g.down > 0) {
      g.down = 0
      for (let k = 0; k < g.drivers.length; k++) {
        if (g.drivers[k]) continue
        this.hooks.restarted(this.detectors[k]!)
        this.launch(g, k)
      }
    }
    g.lastSeen = this.scheduler.now()
    const link = g.link
    // a live sample close after the previous one, with no offline report between: the skip
    // test of each detector is made here (plan.ts), so most detectors' drivers are not called
    let fast = false
    let changed = 0
    let dt = 0
    let now = 0
    let position: number | null = null
    let speed: number | null = null
    if (i.kind !== 'telemetry' || i.msg.reason !== 'replay') {
      link.live(i, this.scheduler)
      const prev = link.prev
      if (i.kind === 'telemetry' && prev !== null && link.prevOffline === 0 && i.ts - link.prevAt! <= GAP_MS) {
        fast = true
        changed = link.changed
        dt = Math.max(i.ts - link.prevAt!, i.msg.ts - prev.ts)
        now = link.now(this.scheduler)
        position = i.msg.position
        speed = i.msg.speed
      }
    }
    const { drivers, cells, plan } = g
    for (let k = 0; k < drivers.length; k++) {
      if (fast && skippable(plan!, cells, k, changed, dt, now)) {
        const f = plan!.banded[k]!
        if (f === 0 || (changed & f) === 0 || inBand(cells, plan!.band[k]!, f === F.position ? position : speed)) continue
      }
      const driver = drivers[k]
      if (!driver) continue
      try {
        driver.input(i)
      } catch (err) {
        this.failed(g, k, driver, err)
      }
    }
  }

  stop(): void {
    this.stopped = true
    this.sweeping?.unsubscribe()
    for (const g of this.groups.values()) for (const d of g.drivers) d?.dispose()
    this.groups.clear()
  }

  /** What every elevator held now has learned. */
  snapshots(): LearnedRow[] {
    const rows: LearnedRow[] = []
    for (const g of this.groups.values()) this.snapshotInto(g, rows)
    return rows
  }

  /** @internal forgets the elevators silent for evictAfterMs */
  sweep(): void {
    this.sweeping = null
    const before = this.scheduler.now() - this.evictAfterMs
    const rows: LearnedRow[] = []
    for (const [id, g] of this.groups) {
      if (g.lastSeen > before) continue
      this.snapshotInto(g, rows)
      for (const d of g.drivers) d?.dispose()
      this.groups.delete(id)
    }
    if (rows.length > 0) this.hooks.evicting?.(rows)
    if (this.groups.size > 0 && !this.stopped) this.sweeping = this.scheduler.schedule(sweepWork, this.sweepEvery(), this)
  }

  /** @internal an instance failed: reported; restarted at once for the inputs after the one that broke it */
  failed(g: Group, k: number, from: unknown, err: unknown): void {
    const d = this.detectors[k]!
    this.hooks.failed(d, g.elevatorId, err)
    // a late failure of an instance already replaced is only reported
    const driver = g.drivers[k]
    if (driver !== from || !driver) return
    driver.dispose()
    g.drivers[k] = null
    if (this.groups.get(g.elevatorId) !== g || this.stopped) return
    this.hooks.restarted(d)
    this.launch(g, k)
  }

  private snapshotInto(g: Group, rows: LearnedRow[]): void {
    for (let k = 0; k < g.drivers.length; k++) {
      const d = this.detectors[k]!
      try {
        const record = g.drivers[k]?.snapshot?.()
        if (record) rows.push({ elevatorId: g.elevatorId, detectorId: d.id, record })
      } catch (err) {
        this.hooks.failed(d, g.elevatorId, err)
      }
    }
  }

  /** A new group's instances get what was learned before, before its first input. */
  private restore(g: Group): void {
    const stored = this.hooks.learned?.(g.elevatorId)
    if (!stored || stored.size === 0) return
    for (let k = 0; k < g.drivers.length; k++) {
      const d = this.detectors[k]!
      const driver = g.drivers[k]
      const r = stored.get(d.id)
      if (!r || !driver) continue
      const done = driver.restore ? driver.restore(r) : 'version'
      if (done !== true) this.hooks.dropped?.(d, g.elevatorId, done)
    }
  }

  private sweepEvery(): number {
    return Math.max(1, Math.min(this.evictAfterMs / 10, 60_000))
  }

  /**
   * A driver launched with its group shares the group's link and cells; one launched later (a
   * restart) has not seen the inputs before, keeps a link of its own and sees every input.
   */
  private launch(group: Group, k: number, withGroup = false): void {
    const d = this.detectors[k]!
    const id = group.elevatorId
    group.drivers[k] = null
    group.cells[2 * k] = Infinity
    group.cells[2 * k + 1] = 1
    try {
      const ctx = this.hooks.context(id)
      const cfg = this.hooks.configFor(d, id)
      if (d.machine) {
        const m = d.machine(cfg, ctx)
        // a band's cells follow the wake-up cells, in detector order (plan.ts)
        const band = withGroup && banded(m.dispatch ?? null) ? bandCell(group, k) : -1
        const shared = withGroup ? { link: group.link, cells: group.cells, cell: 2 * k, band } : null
        group.drivers[k] = new MachineDriver(m.machine, this.scheduler, group, m.replay !== false, m.dispatch ?? null, shared)
      } else {
        group.drivers[k] = streamed(group, k, d.create(cfg, ctx))
      }
    } catch (err) {
      this.hooks.failed(d, id, err)
    }
    group.down += group.drivers[k] ? 0 : 1
  }
}

/** A detector that is only a stream transform, fed through a subject of its own. Throws what it fails with at once. */
function streamed(group: Group, k: number, transform: ReturnType<Detector['create']>): Driven {
  const input$ = new Subject<DetectorInput>()
  let starting = true
  let startErr: { err: unknown } | null = null
  const driver: Driven = {
    input: (i) => input$.next(i),
    dispose: () => sub.unsubscribe(),
  }
  const sub: Subscription = transform(input$).subscribe({
    next: (s) => group.signalOf(k, s),
    error: (err) => {
      if (starting) startErr = { err }
      else group.failOf(k, err, driver)
    },
  })
  starting = false
  if (startErr) throw (startErr as { err: unknown }).err
  return driver
}
