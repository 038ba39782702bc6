// Every detector of every elevator, driven directly: per elevator one record holding a driver per
// detector, no stream per detector per elevator (a county is thousands of elevators × 21
// detectors). Each driver is contained (docs/architecture.md#conventions, rule 9): when it throws, the failure is reported
// and a fresh instance takes the elevator's later inputs; the others never see it. An elevator
// silent for `evictAfterMs` is forgotten; its active alarms stay in the lifecycle.
import { Subject, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs'
import type { Detector, DetectorContext, DetectorInput, AlarmSignal } from '../../detectors/index.ts'
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

interface Group {
  readonly elevatorId: string
  readonly slots: Slot[]
  /** the elevator's link, written once per input for every driver launched with the group (detectors/runtime/link.ts) */
  readonly link: LinkState
  /** per detector k: [2k] its driver's wake-up time, [2k + 1] 1 while it must see each live sample (driver.ts SharedLink) */
  readonly cells: number[]
  plan: Plan | null
  /** detectors without a running instance, launched again at the next input */
  down: number
  lastSeen: number
}

/** One detector of one elevator: its current instance, and the sink its signals go through. */
class Slot implements DriverSink {
  driver: Driven | null = null
  constructor(readonly d: Detector, readonly group: Group, private readonly engine: ElevatorEngine) {}

  signal(s: AlarmSignal): void {
    this.engine.hooks.signal(this.d, this.group.elevatorId, s)
  }

  fail(err: unknown, from: unknown): void {
    this.engine.failed(this, from, err)
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

/** Where detector k's position band goes: after the wake-up cells, in detector order (plan.ts). */
function bandCell(g: Group, k: number): number {
  let at = 2 * g.slots.length
  for (let j = 0; j < k; j++) {
    const d = g.slots[j]!.driver
    if (d instanceof MachineDriver && d.dispatch?.positionBand) at += 2
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
    private readonly detectors: readonly Detector[],
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
      const group: Group = { elevatorId: i.elevatorId, slots: [], link: new LinkState(), cells: driverCells(n, this.cellsHint), plan: null, down: 0, lastSeen: 0 }
      for (const d of this.detectors) group.slots.push(new Slot(d, group, this))
      this.groups.set(i.elevatorId, (g = group))
      for (let k = 0; k < n; k++) this.launch(group.slots[k]!, k, true)
      group.plan = this.plans.of(group.slots.map((s) => (s.driver instanceof MachineDriver ? s.driver.dispatch : null)))
      this.cellsHint = group.cells.length
      this.restore(group)
      this.sweeping ??= this.scheduler.schedule(sweepWork, this.sweepEvery(), this)
    }
    // an instance that failed while starting is retried at the next input, not at once, so a
    // detector whose create() always throws costs one attempt per input instead of a busy loop
    if (g.down > 0) {
      g.down = 0
      for (const slot of g.slots) {
        if (slot.driver) continue
        this.hooks.restarted(slot.d)
        this.launch(slot)
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
    if (i.kind !== 'telemetry' || i.msg.reason !== 'replay') {
      link.live(i, this.scheduler)
      const prev = link.prev
      if (i.kind === 'telemetry' && prev !== null && link.prevOffline === 0 && i.ts - link.prevAt! <= GAP_MS) {
        fast = true
        changed = link.changed
        dt = Math.max(i.ts - link.prevAt!, i.msg.ts - prev.ts)
        now = link.now(this.scheduler)
        position = i.msg.position
      }
    }
    const { slots, cells, plan } = g
    for (let k = 0; k < slots.length; k++) {
      if (fast && skippable(plan!, cells, k, changed, dt, now)) {
        const b = plan!.band[k]!
        if (b < 0 || (changed & F.position) === 0 || inBand(cells, b, position)) continue
      }
      const slot = slots[k]!
      const driver = slot.driver
      if (!driver) continue
      try {
        driver.input(i)
      } catch (err) {
        this.failed(slot, driver, err)
      }
    }
  }

  stop(): void {
    this.stopped = true
    this.sweeping?.unsubscribe()
    for (const g of this.groups.values()) for (const s of g.slots) s.driver?.dispose()
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
      for (const s of g.slots) s.driver?.dispose()
      this.groups.delete(id)
    }
    if (rows.length > 0) this.hooks.evicting?.(rows)
    if (this.groups.size > 0 && !this.stopped) this.sweeping = this.scheduler.schedule(sweepWork, this.sweepEvery(), this)
  }

  /** @internal an instance failed: reported; restarted at once for the inputs after the one that broke it */
  failed(slot: Slot, from: unknown, err: unknown): void {
    this.hooks.failed(slot.d, slot.group.elevatorId, err)
    // a late failure of an instance already replaced is only reported
    if (slot.driver !== from || !slot.driver) return
    slot.driver.dispose()
    slot.driver = null
    if (this.groups.get(slot.group.elevatorId) !== slot.group || this.stopped) return
    this.hooks.restarted(slot.d)
    this.launch(slot)
  }

  private snapshotInto(g: Group, rows: LearnedRow[]): void {
    for (const slot of g.slots) {
      try {
        const record = slot.driver?.snapshot?.()
        if (record) rows.push({ elevatorId: g.elevatorId, detectorId: slot.d.id, record })
      } catch (err) {
        this.hooks.failed(slot.d, g.elevatorId, err)
      }
    }
  }

  /** A new group's instances get what was learned before, before its first input. */
  private restore(g: Group): void {
    const stored = this.hooks.learned?.(g.elevatorId)
    if (!stored || stored.size === 0) return
    for (const slot of g.slots) {
      const r = stored.get(slot.d.id)
      if (!r || !slot.driver) continue
      const done = slot.driver.restore ? slot.driver.restore(r) : 'version'
      if (done !== true) this.hooks.dropped?.(slot.d, g.elevatorId, done)
    }
  }

  private sweepEvery(): number {
    return Math.max(1, Math.min(this.evictAfterMs / 10, 60_000))
  }

  /**
   * A driver launched with its group shares the group's link and cells; one launched later (a
   * restart) has not seen the inputs before, keeps a link of its own and sees every input.
   */
  private launch(slot: Slot, k = slot.group.slots.indexOf(slot), withGroup = false): void {
    const { d, group } = slot
    const id = group.elevatorId
    slot.driver = null
    group.cells[2 * k] = Infinity
    group.cells[2 * k + 1] = 1
    try {
      const ctx = this.hooks.context(id)
      const cfg = this.hooks.configFor(d, id)
      if (d.machine) {
        const m = d.machine(cfg, ctx)
        // a position band's cells follow the wake-up cells, in detector order (plan.ts)
        const band = withGroup && m.dispatch?.positionBand ? bandCell(group, k) : -1
        const shared = withGroup ? { link: group.link, cells: group.cells, cell: 2 * k, band } : null
        slot.driver = new MachineDriver(m.machine, this.scheduler, slot, m.replay !== false, m.dispatch ?? null, shared)
      } else {
        slot.driver = streamed(slot, d.create(cfg, ctx))
      }
    } catch (err) {
      this.hooks.failed(d, id, err)
    }
    group.down += slot.driver ? 0 : 1
  }
}

/** A detector that is only a stream transform, fed through a subject of its own. Throws what it fails with at once. */
function streamed(slot: Slot, transform: ReturnType<Detector['create']>): Driven {
  const input$ = new Subject<DetectorInput>()
  let starting = true
  let startErr: { err: unknown } | null = null
  const driver: Driven = {
    input: (i) => input$.next(i),
    dispose: () => sub.unsubscribe(),
  }
  const sub: Subscription = transform(input$).subscribe({
    next: (s) => slot.signal(s),
    error: (err) => {
      if (starting) startErr = { err }
      else slot.fail(err, driver)
    },
  })
  starting = false
  if (startErr) throw (startErr as { err: unknown }).err
  return driver
}
