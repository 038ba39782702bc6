// A simulated maintenance technician for the demo (docs/domain.md#response-chain): when the first
// notice of an incident reaches the maintenance unit (its WeCom group or the technician's SMS), the
// technician opens the responder link it carries, exactly as received, and after a while reports
// 已响应, then 已到达, then 已解救 1 人. An incident closed meanwhile (409) or a stop ends it.
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs'
import type { Received } from '../simulators/notify/receivers.ts'

/** [min, max] seconds of each wait: after the notice, after responding, after arriving. */
export interface TechnicianTimes {
  readonly respond: readonly [number, number]
  readonly arrive: readonly [number, number]
  readonly release: readonly [number, number]
}

/** The demo's: responds in 1–4 min, arrives 3–8 min later, releases 1–3 min after that. */
export const DEMO_TIMES: TechnicianTimes = { respond: [60, 240], arrive: [180, 480], release: [60, 180] }

export interface TechnicianOptions {
  /** shown in each line: `[维保技师1] …` */
  readonly name: string
  /** the maintenance unit's group robots and the technician's mobile: what this technician reads */
  readonly endpoints: ReadonlySet<string>
  readonly mobile?: string
  readonly times?: TechnicianTimes
  readonly print: (line: string) => void
  readonly scheduler?: SchedulerLike
  readonly random?: () => number
  readonly fetch?: typeof fetch
}

type Step = 'responded' | 'arrived' | 'released'
const STEPS: readonly { kind: Step; wait: keyof TechnicianTimes; zh: string }[] = [
  { kind: 'responded', wait: 'respond', zh: '已响应' },
  { kind: 'arrived', wait: 'arrive', zh: '已到达' },
  { kind: 'released', wait: 'release', zh: '已解救 1 人' },
]
const LINK = /https?:\/\/[^\s/]+\/r\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/

/** The link in a message and what its token says (read, not verified: the broker verifies). */
export function linkOf(text: string): { url: string; incidentId: string; role: string } | undefined {
  const m = LINK.exec(text)
  if (!m) return undefined
  try {
    const claims = JSON.parse(Buffer.from(m[1]!.split('.')[0]!, 'base64url').toString('utf8')) as { i?: unknown; r?: unknown }
    return typeof claims.i === 'string' && typeof claims.r === 'string' ? { url: m[0], incidentId: claims.i, role: claims.r } : undefined
  } catch {
    return undefined
  }
}

export class DemoTechnician {
  private readonly handled = new Set<string>()
  private readonly timers = new Set<Subscription>()
  private readonly inFlight = new Set<AbortController>()
  private stopped = false

  constructor(private readonly opts: TechnicianOptions) {}

  /** Every message the receivers take; the technician picks the first notices meant for it. */
  onMessage(r: Received): void {
    if (this.stopped) return
    const mine = this.opts.endpoints.has(r.endpointId) || (this.opts.mobile !== undefined && r.kind === 'sms' && r.mobiles.includes(this.opts.mobile))
    if (!mine || r.text.includes('【提醒】')) return
    const link = linkOf(r.text)
    if (!link || link.role !== 'maintenance' || this.handled.has(link.incidentId)) return
    this.handled.add(link.incidentId)
    this.after(0, link.url, link.incidentId)
  }

  stop(): void {
    this.stopped = true
    for (const t of this.timers) t.unsubscribe()
    this.timers.clear()
    for (const c of this.inFlight) c.abort()
  }

  private after(i: number, url: string, incidentId: string): void {
    const step = STEPS[i]
    if (!step || this.stopped) return
    const [lo, hi] = (this.opts.times ?? DEMO_TIMES)[step.wait]
    const ms = Math.round((lo + (hi - lo) * (this.opts.random ?? Math.random)()) * 1000)
    const timer = (this.opts.scheduler ?? asyncScheduler).schedule(() => {
      this.timers.delete(timer)
      void this.act(step.kind, url).then((done) => {
        const who = `[${this.opts.name}]`
        if (done === 'ok') {
          this.opts.print(`${who} ${step.zh} / ${step.kind}  (${incidentId})`)
          this.after(i + 1, url, incidentId)
        } else if (done === 'closed') {
          this.opts.print(`${who} 事件已结束，不再处置 / the incident is closed already, stopping  (${incidentId})`)
        } else if (done !== 'stopped') {
          this.opts.print(`${who} 处置链接未能提交 / the link did not take ${step.kind}: ${done}  (${incidentId})`)
        }
      })
    }, ms)
    this.timers.add(timer)
  }

  private async act(kind: Step, url: string): Promise<string> {
    const ctl = new AbortController()
    this.inFlight.add(ctl)
    try {
      const res = await (this.opts.fetch ?? fetch)(`${url}/actions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, signal: ctl.signal,
        body: JSON.stringify(kind === 'released' ? { kind, persons: 1 } : { kind }),
      })
      await res.arrayBuffer()
      if (res.status === 200) return 'ok'
      return res.status === 409 || res.status === 410 ? 'closed' : `HTTP ${res.status}`
    } catch (err) {
      return this.stopped ? 'stopped' : (err as Error).message
    } finally {
      this.inFlight.delete(ctl)
    }
  }
}
