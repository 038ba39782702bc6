// Prometheus text for the whole broker: each part's stats() read at scrape time.
import { Gauge, Registry } from 'prom-client'

/** Flattens nested numeric stats into `{prefix}_{path}` samples. */
function flatten(prefix: string, value: unknown, out: Map<string, number>): void {
  if (typeof value === 'number') { out.set(prefix, value); return }
  if (typeof value === 'boolean') { out.set(prefix, value ? 1 : 0); return }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return
  for (const [k, v] of Object.entries(value)) flatten(`${prefix}_${k.replace(/[^A-Za-z0-9_]/g, '_')}`, v, out)
}

export class BrokerMetrics {
  readonly registry = new Registry()

  /** One gauge per numeric leaf of `read()`, named liftwatch_broker_{part}_{path}. */
  part(part: string, read: () => unknown): void {
    const names = new Map<string, number>()
    flatten(`liftwatch_broker_${part}`, read(), names)
    for (const name of names.keys()) {
      new Gauge({
        name, help: `${part} statistic`, registers: [this.registry],
        collect() {
          const now = new Map<string, number>()
          flatten(`liftwatch_broker_${part}`, read(), now)
          this.set(now.get(name) ?? 0)
        },
      })
    }
  }

  /** Per-label families, e.g. ingest counts per gateway. */
  labelled(name: string, help: string, label: string, read: () => Record<string, Record<string, number>>): void {
    new Gauge({
      name, help, labelNames: [label, 'stat'], registers: [this.registry],
      collect() {
        this.reset()
        for (const [key, stats] of Object.entries(read())) {
          for (const [stat, v] of Object.entries(stats)) if (typeof v === 'number') this.set({ [label]: key, stat }, v)
        }
      },
    })
  }

  /** One gauge with one label, e.g. each gateway's clock offset. */
  perLabel(name: string, help: string, label: string, read: () => Record<string, number>): void {
    new Gauge({
      name, help, labelNames: [label], registers: [this.registry],
      collect() {
        this.reset()
        for (const [key, v] of Object.entries(read())) this.set({ [label]: key }, v)
      },
    })
  }

  /**
   * A family whose label sets come and go after registration (part() fixes its gauges at the first
   * read): every sample of `read()` at scrape time, e.g. refusals per client and reason.
   */
  samples(name: string, help: string, labelNames: readonly string[], read: () => Iterable<[labels: Record<string, string>, value: number]>): void {
    new Gauge({
      name, help, labelNames: [...labelNames], registers: [this.registry],
      collect() {
        this.reset()
        for (const [labels, v] of read()) this.set(labels, v)
      },
    })
  }

  text(): Promise<string> { return this.registry.metrics() }
}
